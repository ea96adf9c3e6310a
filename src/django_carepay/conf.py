"""The ``CAREPAY`` setting, read lazily.

Every property reads ``settings.CAREPAY`` when it is accessed, never at import, so
``override_settings(CAREPAY=…)`` and ``manage.py check`` always see the current value.

.. code-block:: python

    CAREPAY = {
        "BACKENDS": {"cash": {"BACKEND": "django_carepay.backends.manual.ManualBackend"}},
        "DEFAULT_CURRENCY": "GBP",
    }
"""

from __future__ import annotations

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
}


class CarepaySettings:
    """Typed, lazy access to ``settings.CAREPAY`` with documented defaults."""

    def _get(self, name: str) -> Any:
        user = getattr(settings, "CAREPAY", None) or {}
        return user.get(name, DEFAULTS[name])

    @property
    def BACKENDS(self) -> dict[str, dict[str, Any]]:
        return dict(self._get("BACKENDS"))

    @property
    def DEFAULT_CURRENCY(self) -> str:
        return str(self._get("DEFAULT_CURRENCY")).upper()

    @property
    def INVOICE_NUMBER_FORMAT(self) -> str:
        return str(self._get("INVOICE_NUMBER_FORMAT"))

    @property
    def PAYMENT_TERMS_DAYS(self) -> int:
        return int(self._get("PAYMENT_TERMS_DAYS"))

    @property
    def ADAPTER(self) -> str:
        return str(self._get("ADAPTER"))

    @property
    def PAYMENT_LINK_MAX_AGE(self) -> int:
        return int(self._get("PAYMENT_LINK_MAX_AGE"))

    @property
    def REQUIRE_DISTINCT_APPROVER(self) -> bool:
        return bool(self._get("REQUIRE_DISTINCT_APPROVER"))

    @property
    def STAFF_NOTIFICATION_EMAILS(self) -> list[str]:
        return list(self._get("STAFF_NOTIFICATION_EMAILS"))

    @property
    def FROM_EMAIL(self) -> str | None:
        return self._get("FROM_EMAIL") or getattr(settings, "DEFAULT_FROM_EMAIL", None)

    @property
    def MAX_PROOF_SIZE(self) -> int:
        return int(self._get("MAX_PROOF_SIZE"))

    @property
    def SITE_URL(self) -> str | None:
        value = self._get("SITE_URL")
        return str(value).rstrip("/") if value else None


carepay_settings = CarepaySettings()
