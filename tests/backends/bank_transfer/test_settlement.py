"""What happens to an invoice's other payments, and to a written-off invoice, when
money arrives."""

import pytest

from django_carepay import services, signals
from django_carepay.exceptions import PermissionRefused
from django_carepay.models import Invoice, Payment
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


def test_settling_cancels_the_other_pending_attempts(invoice, staff,
                                                      django_capture_on_commit_callbacks):
    online = factories.start_online(invoice)  # a payer's tab, left open

    with django_capture_on_commit_callbacks(execute=True):
        factories.pay_cash(invoice, by=staff)

    assert factories.reload(online).status == Payment.Status.CANCELLED
    assert factories.reload(invoice).status == Invoice.Status.PAID


def test_a_written_off_invoice_paid_in_full_becomes_paid(invoice, staff, receive):
    paid = receive(signals.invoice_paid, sender=Appointment)
    transfer = services.submit_transfer(invoice, backend="transfer", reference="BT-1")
    services.write_off_invoice(invoice, by=staff)

    services.approve_payment(transfer, by=staff)

    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert paid.count == 1


def test_the_four_eyes_rule_needs_to_know_who_approves(invoice, staff, settings):
    settings.CAREPAY = {**settings.CAREPAY, "REQUIRE_DISTINCT_APPROVER": True}
    transfer = services.submit_transfer(invoice, backend="transfer", reference="BT-1",
                                        by=staff)

    with pytest.raises(PermissionRefused, match="say who approves"):
        services.approve_payment(transfer, by=None)

    assert factories.reload(transfer).status == Payment.Status.AWAITING_APPROVAL


def test_a_provider_confirmation_cancels_the_other_pending_attempts(invoice, settings):
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {
        **settings.CAREPAY["BACKENDS"],
        "wallet": {"BACKEND": "django_carepay.backends.dummy.DummyBackend"}}}
    card = factories.start_online(invoice)
    wallet = services.start_payment(invoice, backend="wallet")

    services.apply_provider_update(factories.provider_update(wallet))

    assert factories.reload(card).status == Payment.Status.CANCELLED
    assert factories.reload(wallet).status == Payment.Status.SUCCEEDED
