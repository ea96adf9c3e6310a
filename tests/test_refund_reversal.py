"""A refund the provider accepted and later failed: the money is back with us."""

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories

pytestmark = pytest.mark.django_db


def paid_online(invoice):
    payment = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(payment))
    return factories.reload(payment)


def refund_failed(payment, txn):
    return factories.provider_update(
        payment, UpdateKind.REFUND_FAILED, amount=txn.amount,
        transaction_reference=txn.provider_reference)


def test_a_failed_partial_refund_is_reversed_once(invoice):
    payment = paid_online(invoice)
    txn = services.refund_payment(payment, amount="30.00")

    services.apply_provider_update(refund_failed(payment, txn))
    services.apply_provider_update(refund_failed(payment, txn))  # reported again

    reversal = Transaction.objects.get(kind=Transaction.Kind.REFUND_REVERSAL)
    assert reversal.amount == Decimal("30.00")
    stored = factories.reload(payment)
    assert (stored.status, stored.amount_refunded, stored.refundable_amount) == (
        Payment.Status.SUCCEEDED, 0, Decimal("80.00"))
    assert factories.reload(invoice).status == Invoice.Status.PAID


def test_one_of_two_refunds_failing_leaves_the_other(invoice):
    payment = paid_online(invoice)
    first = services.refund_payment(payment, amount="30.00")
    services.refund_payment(payment)  # the remaining 50: fully refunded

    services.apply_provider_update(refund_failed(payment, first))

    stored = factories.reload(payment)
    assert (stored.status, stored.amount_refunded) == (Payment.Status.PARTIALLY_REFUNDED, 50)
    stored_invoice = factories.reload(invoice)
    assert (stored_invoice.status, stored_invoice.amount_refunded) == (Invoice.Status.PAID, 50)


def test_a_refund_we_never_recorded_changes_nothing(invoice):
    payment = paid_online(invoice)
    before = factories.database_state()

    services.apply_provider_update(factories.provider_update(
        payment, UpdateKind.REFUND_FAILED, amount=Decimal("10"),
        transaction_reference="re_unknown"))

    assert factories.database_state() == before
