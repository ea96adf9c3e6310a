"""Money staff take in person: cash, a card terminal, a cheque."""

from __future__ import annotations

from .base import BasePaymentBackend, OfflineRefunds


class ManualBackend(OfflineRefunds, BasePaymentBackend):
    """Staff record money received, and money handed back; no provider, no webhooks.

    Options: ``label`` (e.g. ``"Cash"``), ``currencies``, ``countries``.
    """

    staff_entry = True
    # The money is handed back in person; recording it is the whole refund
    # (OfflineRefunds).
