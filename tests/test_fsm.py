"""The invoice and payment state machines, against the tables in design.md §4.

Every transition method is tried from every state; the expected tables below are
written from the design, not read from the models, so a transition that drifts from
the design (or a new one nobody tested) fails here.
"""

from decimal import Decimal

import pytest
from django_fsm import TransitionNotAllowed

from django_carepay.models import Invoice, Payment
from tests import factories

I = Invoice.Status  # noqa: E741
P = Payment.Status

#: method -> {source: target}; every source not listed must be refused.
INVOICE_TRANSITIONS = {
    "_issue": {I.DRAFT: I.OPEN},
    # uncollectible -> paid: money in flight at the write-off arrives in full;
    # refunded -> paid: money arriving after the refund covers the total again.
    "_settle": {I.OPEN: I.PAID, I.OVERDUE: I.PAID, I.UNCOLLECTIBLE: I.PAID,
                I.REFUNDED: I.PAID},
    "_mark_overdue": {I.OPEN: I.OVERDUE},
    "_void": {I.DRAFT: I.VOID, I.OPEN: I.VOID, I.OVERDUE: I.VOID},
    "_write_off": {I.OPEN: I.UNCOLLECTIBLE, I.OVERDUE: I.UNCOLLECTIBLE},
    "_mark_refunded": {I.PAID: I.REFUNDED},
    # A refund that fails at the provider brings the money back.
    "_reverse_refund": {I.REFUNDED: I.PAID},
}

PAYMENT_TRANSITIONS = {
    "_mark_processing": {P.PENDING: P.PROCESSING},
    "_submit": {P.PENDING: P.AWAITING_APPROVAL},
    # pending -> succeeded: staff-recorded money and instant card confirmations;
    # failed/cancelled -> succeeded: money a provider confirms is always recorded,
    # even for an attempt we had given up on (a declined card, then a good one).
    "_succeed": {
        P.PENDING: P.SUCCEEDED, P.PROCESSING: P.SUCCEEDED, P.AWAITING_APPROVAL: P.SUCCEEDED,
        P.FAILED: P.SUCCEEDED, P.CANCELLED: P.SUCCEEDED,
    },
    "_fail": {P.PENDING: P.FAILED, P.PROCESSING: P.FAILED, P.AWAITING_APPROVAL: P.FAILED},
    "_cancel": {P.PENDING: P.CANCELLED, P.PROCESSING: P.CANCELLED},
    "_refund_partially": {
        P.SUCCEEDED: P.PARTIALLY_REFUNDED, P.PARTIALLY_REFUNDED: P.PARTIALLY_REFUNDED,
    },
    "_refund_fully": {P.SUCCEEDED: P.REFUNDED, P.PARTIALLY_REFUNDED: P.REFUNDED},
    # More money confirmed after everything received was refunded.
    "_receive_after_refund": {P.REFUNDED: P.PARTIALLY_REFUNDED},
    "_reverse_refund_partially": {
        P.PARTIALLY_REFUNDED: P.PARTIALLY_REFUNDED, P.REFUNDED: P.PARTIALLY_REFUNDED,
    },
    "_reverse_refund_fully": {P.PARTIALLY_REFUNDED: P.SUCCEEDED, P.REFUNDED: P.SUCCEEDED},
}


def every_case(table, states):
    return [
        pytest.param(method, source, targets.get(source), id=f"{method}-{source}")
        for method, targets in table.items()
        for source in states
    ]


def transition_names(model):
    field = model._meta.get_field("status")
    return {t.name for t in field.get_all_transitions(model)}


class TestInvoiceStateMachine:
    def test_the_table_covers_every_transition_on_the_model(self):
        assert transition_names(Invoice) == set(INVOICE_TRANSITIONS)

    def test_stored_values(self):
        assert I.values == ["draft", "open", "overdue", "paid", "void", "uncollectible",
                            "refunded"]

    @pytest.mark.parametrize(("method", "source", "target"), every_case(INVOICE_TRANSITIONS, I))
    def test_transition(self, method, source, target):
        invoice = Invoice(status=source, currency="GBP")

        if target is None:
            with pytest.raises(TransitionNotAllowed):
                getattr(invoice, method)()
            assert invoice.status == source
        else:
            getattr(invoice, method)()
            assert invoice.status == target

    @pytest.mark.parametrize("source", [I.OPEN, I.OVERDUE])
    def test_void_is_refused_once_money_was_received(self, source):
        invoice = Invoice(status=source, currency="GBP", total=Decimal("80"),
                          amount_paid=Decimal("10"))

        with pytest.raises(TransitionNotAllowed):
            invoice._void()
        assert invoice.status == source


class TestPaymentStateMachine:
    def test_the_table_covers_every_transition_on_the_model(self):
        assert transition_names(Payment) == set(PAYMENT_TRANSITIONS)

    def test_stored_values(self):
        assert P.values == ["pending", "processing", "awaiting_approval", "succeeded",
                            "failed", "cancelled", "partially_refunded", "refunded"]

    @pytest.mark.parametrize(("method", "source", "target"), every_case(PAYMENT_TRANSITIONS, P))
    def test_transition(self, method, source, target):
        payment = Payment(status=source, currency="GBP", amount=Decimal("80"))

        if target is None:
            with pytest.raises(TransitionNotAllowed):
                getattr(payment, method)()
            assert payment.status == source
        else:
            getattr(payment, method)()
            assert payment.status == target


class TestStatusIsProtected:
    def test_status_cannot_be_assigned_on_a_new_instance(self):
        invoice = Invoice(currency="GBP")

        with pytest.raises(AttributeError, match="Direct status modification"):
            invoice.status = I.PAID
        assert invoice.status == I.DRAFT

    @pytest.mark.django_db
    def test_status_cannot_be_assigned_on_a_loaded_invoice(self, invoice):
        loaded = Invoice.objects.get(pk=invoice.pk)

        with pytest.raises(AttributeError, match="Direct status modification"):
            loaded.status = I.PAID
        assert Invoice.objects.get(pk=invoice.pk).status == I.OPEN

    @pytest.mark.django_db
    def test_status_cannot_be_assigned_on_a_loaded_payment(self, invoice):
        payment = factories.start_online(invoice)
        loaded = Payment.objects.get(pk=payment.pk)

        with pytest.raises(AttributeError, match="Direct status modification"):
            loaded.status = P.SUCCEEDED

    @pytest.mark.django_db
    def test_refresh_from_db_still_works(self, invoice):
        stale = Invoice.objects.get(pk=invoice.pk)
        Invoice.objects.filter(pk=invoice.pk).update(status=I.OVERDUE)

        stale.refresh_from_db()

        assert stale.status == I.OVERDUE
