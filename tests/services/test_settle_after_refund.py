"""Money that arrives on a refunded invoice (#1): it is never hidden.

A slow payment (``processing``) may clear after the invoice was paid another way and
that money refunded; a provider may confirm a second charge on a payment whose first
was refunded. The invoice then holds money again: once it holds the total it is paid
again (``invoice_paid`` is sent), the payment can be refunded again, and money that
does not settle it is listed as needing a refund.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.backends import UpdateKind
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, configure_backends
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


def ledger(invoice):
    return list(Transaction.objects.filter(invoice=invoice).order_by("pk")
                .values_list("kind", "amount"))


def refunded_after_cash(invoice, staff, online_amount=None):
    """A slow online payment is processing; the patient pays cash meanwhile, and the
    cash is handed back (the invoice is refunded); then the online money clears."""
    online = factories.start_online(invoice, amount=online_amount)
    services.apply_provider_update(factories.provider_update(online, UpdateKind.PROCESSING))
    cash = factories.pay_cash(invoice, by=staff)
    services.refund_payment(cash, by=staff, reason="Paid online already")
    assert factories.reload(invoice).status == Invoice.Status.REFUNDED
    assert factories.reload(online).status == Payment.Status.PROCESSING
    return online, cash


class TestSlowPaymentAfterARefund:
    def test_the_invoice_is_paid_again(self, invoice, staff, receive):
        online, _cash = refunded_after_cash(invoice, staff)
        paid = receive(signals.invoice_paid, sender=Appointment)

        services.apply_provider_update(factories.provider_update(online))

        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.PAID
        assert (stored.amount_paid, stored.amount_refunded, stored.amount_due) == (
            Decimal("160.00"), Decimal("80.00"), Decimal("0.00"))
        assert stored.paid_at is not None
        assert ledger(invoice) == [("charge", Decimal("80.00")), ("refund", Decimal("80.00")),
                                   ("charge", Decimal("80.00"))]
        assert factories.reload(online).status == Payment.Status.SUCCEEDED
        assert paid.count == 1
        assert paid.last["payment"] == online
        assert list(Invoice.objects.needing_refund()) == []

    def test_refunding_it_again_refunds_the_invoice_again(self, invoice, staff):
        online, _cash = refunded_after_cash(invoice, staff)
        services.apply_provider_update(factories.provider_update(online))

        services.refund_payment(online, by=staff)

        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.REFUNDED
        assert stored.net_paid == 0
        assert factories.reload(online).status == Payment.Status.REFUNDED

    def test_money_that_does_not_settle_it_is_listed_for_a_refund(self, invoice, staff,
                                                                   receive):
        factories.pay_cash(invoice, "50.00", by=staff)  # £30 left to pay online
        online = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(online,
                                                                 UpdateKind.PROCESSING))
        factories.pay_cash(invoice, "30.00", by=staff)
        for cash in invoice.payments.filter(backend="cash"):
            services.refund_payment(cash, by=staff)
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED
        paid = receive(signals.invoice_paid, sender=Appointment)

        services.apply_provider_update(factories.provider_update(online))

        stored = factories.reload(invoice)
        assert (online.amount, stored.net_paid) == (Decimal("30.00"), Decimal("30.00"))
        assert stored.status == Invoice.Status.REFUNDED
        assert paid.count == 0
        assert list(Invoice.objects.needing_refund()) == [stored]


class TestASecondChargeOnARefundedPayment:
    @pytest.fixture
    def refunded(self, invoice, staff):
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment))
        services.refund_payment(payment, by=staff)
        assert factories.reload(payment).status == Payment.Status.REFUNDED
        return payment

    def test_is_recorded_and_can_be_refunded(self, refunded, invoice, staff, receive):
        paid = receive(signals.invoice_paid, sender=Appointment)

        services.apply_provider_update(factories.provider_update(
            refunded, transaction_reference="ch_second"))

        payment = factories.reload(refunded)
        assert payment.status == Payment.Status.PARTIALLY_REFUNDED
        assert (payment.amount_received, payment.amount_refunded) == (
            Decimal("160.00"), Decimal("80.00"))
        assert payment.refundable_amount == Decimal("80.00")
        assert factories.reload(invoice).status == Invoice.Status.PAID
        assert paid.count == 1

        refund = services.refund_payment(payment, by=staff)

        assert refund.amount == Decimal("80.00")
        assert factories.reload(payment).status == Payment.Status.REFUNDED
        stored = factories.reload(invoice)
        assert (stored.status, stored.net_paid) == (Invoice.Status.REFUNDED, Decimal("0.00"))
        assert [kind for kind, _ in ledger(invoice)] == ["charge", "refund", "charge", "refund"]


def test_an_approved_transfer_on_a_refunded_invoice_pays_it_again(invoice, staff, receive,
                                                                  settings):
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})
    transfer = services.submit_transfer(invoice, backend="transfer", reference="BT-1")
    cash = services.record_payment(invoice, backend="cash", by=staff,
                                   allow_pending_transfers=True)
    services.refund_payment(cash, by=staff)
    paid = receive(signals.invoice_paid, sender=Appointment)

    services.approve_payment(transfer, by=staff)

    stored = factories.reload(invoice)
    assert (stored.status, stored.net_paid) == (Invoice.Status.PAID, Decimal("80.00"))
    assert paid.count == 1


def test_refunded_to_paid_is_not_assignable(invoice, staff):
    cash = factories.pay_cash(invoice, by=staff)
    services.refund_payment(cash, by=staff)
    stored = factories.reload(invoice)

    with pytest.raises(AttributeError):
        stored.status = Invoice.Status.PAID
