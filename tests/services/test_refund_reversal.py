"""A refund the provider accepted and later failed: the money is back with us."""

from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.backends import UpdateKind
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment

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


def test_refunding_again_after_a_reversal_really_refunds(invoice):
    # The provider replays a refund for a reused idempotency key: a second refund
    # after a reversal must not reuse the first one's key (it would "succeed" with the
    # old, failed refund and repay nobody).
    payment = paid_online(invoice)
    first = services.refund_payment(payment)
    services.apply_provider_update(refund_failed(payment, first))

    second = services.refund_payment(factories.reload(payment))

    assert second.provider_reference != first.provider_reference
    stored = factories.reload(payment)
    assert (stored.status, stored.amount_refunded) == (Payment.Status.REFUNDED, 80)
    assert list(Transaction.objects.values_list("kind", flat=True)) == [
        "charge", "refund", "refund_reversal", "refund"]


def test_more_money_confirmed_after_a_partial_refund_is_recorded(invoice):
    payment = paid_online(invoice)
    services.refund_payment(payment, amount="10.00")

    services.apply_provider_update(factories.provider_update(
        payment, transaction_reference="ch_second"))

    stored = factories.reload(payment)
    assert (stored.status, stored.amount_received) == (Payment.Status.PARTIALLY_REFUNDED, 160)
    assert Invoice.objects.needing_refund().filter(pk=invoice.pk).exists()


def test_the_host_hears_that_a_refund_was_reversed(invoice, receive):
    reversed_ = receive(signals.payment_refund_reversed, sender=Appointment)
    payment = paid_online(invoice)
    txn = services.refund_payment(payment)

    services.apply_provider_update(refund_failed(payment, txn))

    assert reversed_.count == 1
    assert reversed_.last["transaction"].kind == Transaction.Kind.REFUND_REVERSAL
    assert reversed_.last["payment"].pk == payment.pk


def test_a_reversal_that_covers_an_open_invoice_settles_it(invoice, staff, receive):
    paid = receive(signals.invoice_paid, sender=Appointment)
    payment = factories.start_online(invoice, amount="50.00")
    services.apply_provider_update(factories.provider_update(payment))
    refund = services.refund_payment(factories.reload(payment))
    factories.pay_cash(invoice, "30.00", by=staff)  # 30 of 80: still open

    services.apply_provider_update(refund_failed(factories.reload(payment), refund))

    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert paid.count == 1
