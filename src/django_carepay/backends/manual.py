"""Money staff take in person: cash, a card terminal, a cheque."""

from __future__ import annotations

from decimal import Decimal

from ..models import Payment
from .base import BasePaymentBackend, RefundResult


class ManualBackend(BasePaymentBackend):
    """Staff record money received, and money handed back; no provider, no webhooks.

    Options: ``label`` (e.g. ``"Cash"``), ``currencies``, ``countries``.
    """

    staff_entry = True
    supports_refunds = True
    supports_partial_refunds = True

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> RefundResult:
        # The money is handed back in person; recording it is the whole refund.
        return RefundResult(status="succeeded", amount=amount, currency=payment.currency)
