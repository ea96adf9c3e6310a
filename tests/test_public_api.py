"""The public names of design §3-§9 import from where host projects import them."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "django_carepay.models": [
        "Invoice", "InvoiceLine", "Payment", "Transaction", "WebhookEvent",
        "InvoiceSequence"],
    "django_carepay.services": [
        "create_invoice", "add_line", "issue_invoice", "void_invoice", "write_off_invoice",
        "start_payment", "record_payment", "submit_transfer", "approve_payment",
        "reject_payment", "refund_payment", "apply_provider_update", "mark_overdue",
        "payment_link", "resolve_payment_link", "handle_webhook", "cancel_payment",
        "cancel_abandoned_payments", "update_line", "remove_line", "validate_line",
        "refund_line"],
    "django_carepay.signals": [
        "invoice_issued", "invoice_paid", "invoice_overdue", "invoice_voided",
        "payment_succeeded", "payment_failed", "payment_submitted", "payment_approved",
        "payment_rejected", "payment_refunded", "payment_refund_reversed"],
    "django_carepay.backends": [
        "get_backend", "available_backends", "BasePaymentBackend", "ProviderUpdate",
        "UpdateKind"],
    "django_carepay.backends.base": [
        "BasePaymentBackend", "PaymentAction", "ProviderUpdate", "RefundResult",
        "UpdateKind"],
    "django_carepay.backends.manual": ["ManualBackend"],
    "django_carepay.backends.bank_transfer": ["BankTransferBackend"],
    "django_carepay.backends.dummy": ["DummyBackend"],
    "django_carepay.backends.stripe": ["StripeBackend", "StripeCheckoutBackend"],
    "django_carepay.money": [
        "to_minor_units", "from_minor_units", "quantize", "format_money",
        "currency_exponent"],
    "django_carepay.exceptions": [
        "CarepayError", "InvalidAmount", "InvalidState", "ProviderError",
        "WebhookVerificationError", "MissingDependency", "InvalidInput", "WouldOverpay",
        "RefundReversed"],
    "django_carepay.adapter": ["DefaultCarepayAdapter", "get_adapter"],
    "django_carepay.types": [
        "ProviderUpdate", "UpdateKind", "PaymentAction", "ActionKind", "RefundResult",
        "RefundStatus", "WebhookDelivery", "PaymentStart"],
}


@pytest.mark.parametrize(("module", "name"), [
    (module, name) for module, names in PUBLIC.items() for name in names])
def test_public_name_imports(module, name):
    assert hasattr(importlib.import_module(module), name)


def test_the_services_all_is_what_it_re_exports():
    from django_carepay import services

    assert set(PUBLIC["django_carepay.services"]) <= set(services.__all__)
    for name in services.__all__:
        assert callable(getattr(services, name)), name


def test_value_objects_are_the_same_objects_everywhere():
    from django_carepay import backends, types
    from django_carepay.backends import base

    for name in ("ProviderUpdate", "UpdateKind", "PaymentAction", "RefundResult"):
        assert getattr(base, name) is getattr(types, name)
    assert backends.ProviderUpdate is types.ProviderUpdate
