"""``make_invoice``, ``pay_invoice`` through every kind of backend, ``invoice_factory``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from django_carepay.models import Invoice, Payment, WebhookEvent
from django_carepay.signals import invoice_paid
from django_carepay.testing import capture_signals, make_invoice, pay_invoice
from tests.backends.stripe.support import ALIAS


def test_make_invoice_issues_one_line_by_default(db, patient):
    invoice = make_invoice(customer=patient)
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.number
    assert invoice.total == Decimal("80.00")
    draft = make_invoice(issue=False, lines=[{"description": "Lesson", "unit_price": "30"}])
    assert (draft.status, draft.total) == (Invoice.Status.DRAFT, Decimal("30.00"))


def test_the_factory_fixture(invoice_factory, patient):
    assert invoice_factory(customer=patient, currency="EUR").currency == "EUR"


def test_cash_is_recorded_by_staff(invoice, staff):
    payment = pay_invoice(invoice, backend="cash", by=staff, reference="till 3")
    assert (payment.status, payment.recorded_by, payment.reference) == \
        (Payment.Status.SUCCEEDED, staff, "till 3")
    assert invoice.status == Invoice.Status.PAID


def test_a_part_payment(invoice, staff):
    pay_invoice(invoice, backend="cash", by=staff, amount="30.00")
    assert (invoice.status, invoice.amount_due) == (Invoice.Status.OPEN, Decimal("50.00"))


def test_a_bank_transfer_is_submitted_by_the_customer_and_approved(settings, invoice, staff,
                                                                   patient):
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {**settings.CAREPAY["BACKENDS"],
        "bank_transfer": {"BACKEND": "django_carepay.backends.bank_transfer."
                                     "BankTransferBackend"}}}
    with capture_signals() as sent:
        payment = pay_invoice(invoice, backend="bank_transfer", by=staff)
    assert sent.names()[:2] == ["payment_submitted", "payment_approved"]
    assert (payment.status, payment.decided_by, payment.reference) == \
        (Payment.Status.SUCCEEDED, staff, invoice.number)
    assert sent.one("payment_submitted")["by"] == patient
    assert invoice.status == Invoice.Status.PAID


def test_the_demo_provider_pays_as_a_browser_would(invoice):
    payment = pay_invoice(invoice, backend="online")
    assert payment.status == Payment.Status.SUCCEEDED
    assert invoice.status == Invoice.Status.PAID


def test_the_demo_providers_outcome_decides(settings, invoice):
    backends = settings.CAREPAY["BACKENDS"]
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {**backends, "online": {
        **backends["online"], "OPTIONS": {"outcome": "failed"}}}}
    payment = pay_invoice(invoice, backend="online")
    assert payment.status == Payment.Status.FAILED
    assert invoice.status == Invoice.Status.OPEN


def test_stripe_starts_the_payment_and_delivers_its_webhook(card_backend, localstripe, invoice):
    with capture_signals() as sent:
        payment = pay_invoice(invoice, backend=ALIAS)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider_reference.startswith("pi_")
    assert invoice.status == Invoice.Status.PAID
    assert sent.names() == ["payment_succeeded", "invoice_paid"]
    # The PaymentIntent was created at the configured server; the success came by webhook.
    assert localstripe.api_requests("POST", "/v1/payment_intents")
    assert WebhookEvent.objects.get().type == "payment_intent.succeeded"


def test_a_webhook_that_fails_is_an_assertion_error(card_backend, invoice):
    def refuse(**kwargs):
        raise RuntimeError("the host's receiver failed")

    invoice_paid.connect(refuse, weak=False)
    try:
        with pytest.raises(AssertionError, match="webhook answered 500"):
            pay_invoice(invoice, backend=ALIAS, client=Client(raise_request_exception=False))
    finally:
        invoice_paid.disconnect(refuse)
    assert invoice.status == Invoice.Status.OPEN  # rolled back with the receiver


def test_other_backends_are_refused(settings, invoice):
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {**settings.CAREPAY["BACKENDS"],
        "custom": {"BACKEND": "django_carepay.backends.base.BasePaymentBackend"}}}
    with pytest.raises(NotImplementedError, match="BasePaymentBackend"):
        pay_invoice(invoice, backend="custom")
