"""The ``CAREPAY`` setting, read lazily.

Every property reads ``settings.CAREPAY`` when it is accessed, never at import, so
``override_settings(CAREPAY=…)`` and ``manage.py check`` always see the current value.
Each key is a documented property of :class:`CarepaySettings`; a key carepay does
not know is a system check error (``carepay.E007``), not silently ignored.

.. code-block:: python

    CAREPAY = {
        "BACKENDS": {"cash": {"BACKEND": "django_carepay.backends.manual.ManualBackend"}},
        "DEFAULT_CURRENCY": "GBP",
    }
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # alias -> {"BACKEND": dotted path, "OPTIONS": {...}}
    "BACKENDS": {},
    # ISO 4217 code used when create_invoice() is given none.
    "DEFAULT_CURRENCY": "GBP",
    # str.format() pattern for invoice numbers; {year} and {seq} are available.
    "INVOICE_NUMBER_FORMAT": "INV-{year}-{seq:05d}",
    # Days between issue and due date when issue_invoice() finds no due date.
    "PAYMENT_TERMS_DAYS": 30,
    # Dotted path of the adapter class (host policy).
    "ADAPTER": "django_carepay.adapter.DefaultCarepayAdapter",
    # Seconds a signed payment link stays valid (default 30 days).
    "PAYMENT_LINK_MAX_AGE": 30 * 24 * 3600,
    # Refuse approval by the user who submitted or recorded the payment.
    "REQUIRE_DISTINCT_APPROVER": False,
    # E-mail addresses told when a payer submits a transfer confirmation.
    "STAFF_NOTIFICATION_EMAILS": [],
    # Sender of carepay's e-mails; None means settings.DEFAULT_FROM_EMAIL.
    "FROM_EMAIL": None,
    # Largest proof-of-payment upload accepted, in bytes.
    "MAX_PROOF_SIZE": 5 * 1024 * 1024,
    # Scheme and host for links built outside a request (e-mailed payment links),
    # e.g. "https://clinic.example.com". None: django.contrib.sites if installed.
    "SITE_URL": None,
    # E-mail kinds switched on or off, e.g. {"staff_payment_received": False}; a kind
    # not named keeps its default (on).
    "EMAILS": {},
    # Days relative to an invoice's due date on which carepay_send_reminders reminds
    # the payer (negative: before it is due).
    "REMINDER_SCHEDULE": [-3, 0, 7, 14],
    # "sync": the webhook view applies each delivery before answering; "task": it
    # stores the delivery and a task worker applies it (Django's tasks framework).
    "WEBHOOK_PROCESSING": "sync",
    # "sync": e-mails are rendered and sent once the transaction commits, in the
    # process that committed it; "task": they are queued to Django's tasks framework
    # and a worker renders and sends them, retrying a mail server's refusal.
    "EMAIL_SENDING": "sync",
}

#: The values of ``CAREPAY["WEBHOOK_PROCESSING"]``.
WEBHOOK_PROCESSING_MODES: tuple[str, ...] = ("sync", "task")

#: The values of ``CAREPAY["EMAIL_SENDING"]``.
EMAIL_SENDING_MODES: tuple[str, ...] = ("sync", "task")

#: Every kind of e-mail carepay sends (design §12); each has the templates
#: ``carepay/email/<kind>_subject.txt``, ``<kind>_body.txt`` and ``<kind>_body.html``.
EMAIL_KINDS: tuple[str, ...] = (
    "invoice_issued",
    "payment_receipt",
    "payment_failed",
    "refund_issued",
    "transfer_submitted",
    "transfer_approved",
    "transfer_rejected",
    "invoice_reminder",
    "staff_payment_received",
)


class CarepaySettings:
    """Typed, lazy access to ``settings.CAREPAY``: one documented property per key.

    Every key a host may set is a property here and in :data:`DEFAULTS`; a key in
    ``settings.CAREPAY`` that is neither is a typo, reported by :meth:`unknown_keys`
    (system check ``carepay.E007``) instead of being silently ignored.
    """

    def _get(self, name: str) -> Any:
        user = getattr(settings, "CAREPAY", None) or {}
        return user.get(name, DEFAULTS[name])

    @property
    def BACKENDS(self) -> dict[str, dict[str, Any]]:
        """Payment methods by alias: ``{alias: {"BACKEND": dotted path, "OPTIONS": {...}}}``.

        Default ``{}`` (no way to pay). The alias is what payments record and URLs name.
        """
        return dict(self._get("BACKENDS"))

    @property
    def DEFAULT_CURRENCY(self) -> str:
        """ISO 4217 code of invoices created without one; default ``"GBP"`` (upper-cased)."""
        return str(self._get("DEFAULT_CURRENCY")).upper()

    @property
    def INVOICE_NUMBER_FORMAT(self) -> str:
        """``str.format()`` pattern of invoice numbers, given ``{year}`` and ``{seq}``;
        default ``"INV-{year}-{seq:05d}"`` (``INV-2026-00001``)."""
        return str(self._get("INVOICE_NUMBER_FORMAT"))

    @property
    def PAYMENT_TERMS_DAYS(self) -> int:
        """Days from issue to due date when an invoice is issued without a due date;
        default ``30``."""
        return int(self._get("PAYMENT_TERMS_DAYS"))

    @property
    def ADAPTER(self) -> str:
        """Dotted path of the adapter class holding host policy (who sees an invoice,
        billing details); default ``"django_carepay.adapter.DefaultCarepayAdapter"``."""
        return str(self._get("ADAPTER"))

    @property
    def PAYMENT_LINK_MAX_AGE(self) -> int:
        """Seconds a signed payment link stays valid; default 30 days (``2592000``)."""
        return int(self._get("PAYMENT_LINK_MAX_AGE"))

    @property
    def REQUIRE_DISTINCT_APPROVER(self) -> bool:
        """Refuse approval by the user who submitted or recorded the payment (four
        eyes); default ``False``."""
        return bool(self._get("REQUIRE_DISTINCT_APPROVER"))

    @property
    def STAFF_NOTIFICATION_EMAILS(self) -> list[str]:
        """Addresses e-mailed when a payer submits a transfer confirmation; default
        ``[]`` (nobody)."""
        return list(self._get("STAFF_NOTIFICATION_EMAILS"))

    @property
    def FROM_EMAIL(self) -> str | None:
        """Sender of carepay's e-mails; default ``None``, meaning
        ``settings.DEFAULT_FROM_EMAIL``."""
        return self._get("FROM_EMAIL") or getattr(settings, "DEFAULT_FROM_EMAIL", None)

    @property
    def MAX_PROOF_SIZE(self) -> int:
        """Largest proof-of-payment upload accepted, in bytes; default 5 MiB."""
        return int(self._get("MAX_PROOF_SIZE"))

    @property
    def SITE_URL(self) -> str | None:
        """Scheme and host of links built outside a request (e-mailed payment links),
        e.g. ``"https://clinic.example.com"`` (a trailing slash is dropped); default
        ``None``: the current ``django.contrib.sites`` site, if installed."""
        value = self._get("SITE_URL")
        return str(value).rstrip("/") if value else None

    @property
    def EMAILS(self) -> dict[str, bool]:
        """Which kinds of e-mail carepay sends, by kind (see :data:`EMAIL_KINDS`):
        ``{"staff_payment_received": False}`` switches one off. Default: every kind on.
        A kind carepay does not know is a system check error (``carepay.E008``)."""
        configured = self._get("EMAILS") or {}
        return {kind: bool(configured.get(kind, True)) for kind in EMAIL_KINDS}

    def unknown_email_kinds(self) -> list[str]:
        """The keys of ``CAREPAY["EMAILS"]`` that name no kind of e-mail (typos)."""
        configured = self._get("EMAILS") or {}
        if not isinstance(configured, Mapping):
            return []
        return [str(kind) for kind in configured if kind not in EMAIL_KINDS]

    @property
    def REMINDER_SCHEDULE(self) -> list[int]:
        """Days relative to an invoice's due date on which ``carepay_send_reminders``
        reminds the payer of an unpaid invoice, sorted (``-3``: three days before it
        is due, ``7``: a week late); default ``[-3, 0, 7, 14]``. ``[]`` sends none."""
        return sorted({int(day) for day in self._get("REMINDER_SCHEDULE") or []})

    @property
    def WEBHOOK_PROCESSING(self) -> str:
        """How webhook deliveries are applied: ``"sync"`` (default: the view applies a
        delivery before answering, and answers 500 when that fails so the provider
        retries) or ``"task"`` (the view verifies and stores it as ``received`` and
        answers 200 at once; a task of Django's tasks framework applies it, with the
        same guarantees, retrying failures with back-off). Another value is a system
        check error (``carepay.E050``); ``"task"`` without a task backend configured
        warns (``carepay.W050``)."""
        return str(self._get("WEBHOOK_PROCESSING") or "sync").lower()

    @property
    def EMAIL_SENDING(self) -> str:
        """How carepay's e-mails leave: ``"sync"`` (default: rendered and sent once the
        transaction commits, in the process that committed it; a card payment's
        receipt, its PDF rendered, is part of the webhook's response time) or
        ``"task"`` (queued to Django's tasks framework, in the same transaction as the
        money when the task backend writes to the same database; a worker renders and
        sends them, and retries those the mail server refused, with back-off). Another
        value is a system check error (``carepay.E051``); ``"task"`` without a task
        backend configured warns (``carepay.W051``)."""
        return str(self._get("EMAIL_SENDING") or "sync").lower()

    def unknown_keys(self) -> list[tuple[str, str | None]]:
        """The keys of ``settings.CAREPAY`` carepay does not know, each with the known
        key it most resembles (``("DEFAULT_CURENCY", "DEFAULT_CURRENCY")``) or ``None``.
        """
        user = getattr(settings, "CAREPAY", None) or {}
        if not isinstance(user, Mapping):
            return []
        return [(key, closest_key(key)) for key in user if key not in DEFAULTS]


def closest_key(key: object) -> str | None:
    """The known ``CAREPAY`` key that ``key`` is most likely a typo of, if any."""
    matches = difflib.get_close_matches(str(key).upper(), DEFAULTS, n=1)
    return matches[0] if matches else None


carepay_settings = CarepaySettings()
