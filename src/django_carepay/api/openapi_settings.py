"""drf-spectacular settings of carepay's OpenAPI document, importable from a settings
module (a leaf: it imports nothing, so ``settings.py`` may use it before Django starts).

The schema view (``carepay-api:schema``) applies them itself; a host that runs
``manage.py spectacular`` for carepay's API puts them in ``SPECTACULAR_SETTINGS``::

    from django_carepay.api.openapi_settings import CAREPAY_SCHEMA_SETTINGS
    SPECTACULAR_SETTINGS = {**CAREPAY_SCHEMA_SETTINGS, "TITLE": "Our billing API"}
"""

from __future__ import annotations

from typing import Any

DESCRIPTION = """\
Invoices, payment methods, payments and bank transfers of django-carepay, for
single-page and mobile apps. Amounts are strings with the currency's decimals
("80.00"), never numbers. Every refusal is `{"code", "message", "field"}`. POSTs honour
an `Idempotency-Key` header (24 hours, per user or payment-link session): the same key
and body replay the first response (`Idempotent-Replayed: true`); the same key with
another body is refused with 422 `idempotency_key_reused`.
"""

CAREPAY_SCHEMA_SETTINGS: dict[str, Any] = {
    "TITLE": "django-carepay API",
    "DESCRIPTION": DESCRIPTION,
    "VERSION": "1",
    # Only carepay's views (and a host's subclasses of CarepayAPIView), at their paths.
    "PREPROCESSING_HOOKS": ["django_carepay.api.schema.carepay_endpoints_only"],
    # Request bodies get components of their own (a proof is a binary in multipart).
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CarepayInvoiceStatusEnum": "django_carepay.models.Invoice.Status",
        "CarepayPaymentStatusEnum": "django_carepay.models.Payment.Status",
        "CarepayNextActionEnum": ["confirm", "redirect", "none"],
        "CarepayDecisionOutcomeEnum": ["approved", "rejected"],
    },
}
