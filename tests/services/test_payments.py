"""Payment services: the GP clinic's flow end to end, partial payments, refunds,
overpayment, and starting online payments."""

from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.backends import UpdateKind, get_backend
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


def ledger(invoice):
    return [(t.kind, t.amount) for t in Transaction.objects.filter(invoice=invoice)]


def mark_appointment_paid(*, invoice, **kwargs):
    """The host's receiver: its appointment is paid once its invoice is."""
    Appointment.objects.filter(pk=invoice.subject_object_id).update(
        status=Appointment.Status.PAID)


class TestGPClinicFlow:
    def test_cash_payment_settles_the_invoice_and_the_appointment(
            self, patient, appointment, staff, receive):
        paid = receive(signals.invoice_paid, sender=Appointment, action=mark_appointment_paid)
        draft = services.create_invoice(customer=patient, subject=appointment, lines=[
            {"description": "GP consultation", "unit_price": "65.00"},
            {"description": "Repeat prescription", "unit_price": "15.00"},
        ])

        invoice = services.issue_invoice(draft, by=staff)
        payment = services.record_payment(invoice, backend="cash", amount=Decimal("80.00"),
                                          by=staff, reference="Till 2")

        assert invoice.number.endswith("-00001")
        stored = factories.reload(payment)
        assert stored.status == Payment.Status.SUCCEEDED
        assert (stored.amount, stored.amount_received, stored.currency) == (
            Decimal("80.00"), Decimal("80.00"), "GBP")
        assert (stored.backend, stored.reference, stored.recorded_by) == ("cash", "Till 2", staff)
        assert stored.succeeded_at is not None
        charge = Transaction.objects.get()
        assert (charge.kind, charge.amount, charge.currency, charge.backend) == (
            Transaction.Kind.CHARGE, Decimal("80.00"), "GBP", "cash")
        assert (charge.payment, charge.invoice, charge.created_by) == (stored, invoice, staff)
        invoice = factories.reload(invoice)
        assert invoice.status == Invoice.Status.PAID
        assert invoice.paid_at is not None
        assert (invoice.amount_paid, invoice.amount_due) == (Decimal("80.00"), Decimal("0"))
        assert factories.reload(appointment).status == Appointment.Status.PAID
        assert paid.count == 1
        assert (paid.last["payment"], paid.last["transaction"], paid.last["by"]) == (
            stored, charge, staff)

    def test_the_callers_instance_is_brought_up_to_date(self, invoice, staff):
        factories.pay_cash(invoice, by=staff)

        assert invoice.status == Invoice.Status.PAID
        assert invoice.amount_paid == Decimal("80.00")


class TestPartialPayments:
    def test_a_partial_payment_leaves_the_invoice_open(self, invoice, appointment, receive):
        paid = receive(signals.invoice_paid, sender=Appointment, action=mark_appointment_paid)

        factories.pay_cash(invoice, "30.00")

        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.OPEN
        assert stored.amount_due == Decimal("50.00")
        assert paid.count == 0
        assert factories.reload(appointment).status == Appointment.Status.PENDING

    def test_the_last_part_settles_it(self, invoice, receive):
        paid = receive(signals.invoice_paid, sender=Appointment)
        factories.pay_cash(invoice, "30.00")
        services.record_payment(invoice, backend="terminal", amount="20.00", by=None)

        last = factories.pay_cash(invoice)  # amount=None: the amount due

        assert last.amount == Decimal("30.00")
        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.PAID
        assert stored.amount_paid == Decimal("80.00")
        assert ledger(invoice) == [("charge", Decimal("30.00")), ("charge", Decimal("20.00")),
                                   ("charge", Decimal("30.00"))]
        assert paid.count == 1
        assert paid.last["payment"] == last


class TestRefunds:
    def test_partial_then_full_refund(self, invoice, staff, receive):
        refunded = receive(signals.payment_refunded, sender=Appointment)
        payment = factories.pay_cash(invoice)

        first = services.refund_payment(payment, amount="30.00", by=staff, reason="Goodwill")

        assert (first.kind, first.amount, first.note, first.created_by) == (
            Transaction.Kind.REFUND, Decimal("30.00"), "Goodwill", staff)
        assert payment.status == Payment.Status.PARTIALLY_REFUNDED
        assert payment.refundable_amount == Decimal("50.00")
        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.PAID
        assert stored.amount_refunded == Decimal("30.00")

        second = services.refund_payment(payment, by=staff)  # the rest

        assert second.amount == Decimal("50.00")
        assert factories.reload(payment).status == Payment.Status.REFUNDED
        assert factories.reload(payment).amount_refunded == Decimal("80.00")
        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.REFUNDED
        assert (stored.amount_paid, stored.amount_refunded) == (Decimal("80.00"),
                                                                Decimal("80.00"))
        assert ledger(invoice) == [("charge", Decimal("80.00")), ("refund", Decimal("30.00")),
                                   ("refund", Decimal("50.00"))]
        assert refunded.count == 2
        assert refunded.last["transaction"] == second

    def test_the_invoice_is_refunded_only_when_all_its_payments_are(self, invoice):
        first = factories.pay_cash(invoice, "50.00")
        second = factories.pay_cash(invoice, "30.00")

        services.refund_payment(first)
        assert factories.reload(invoice).status == Invoice.Status.PAID

        services.refund_payment(second)
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED

    def test_refunding_a_partial_payment_raises_the_amount_due(self, invoice):
        payment = factories.pay_cash(invoice, "30.00")

        services.refund_payment(payment, amount="10.00")

        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.OPEN
        assert stored.amount_due == Decimal("60.00")

    def test_online_refund_keeps_the_providers_id(self, invoice):
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment))

        refund = services.refund_payment(payment, amount="5.00")

        assert refund.backend == "online"
        assert refund.provider_reference.startswith("dummy_re_")


class TestOverpayment:
    @pytest.fixture
    def overpaid(self, invoice):
        """Two online attempts whose money both arrive: £80 and then £40."""
        first = factories.start_online(invoice)
        second = factories.start_online(invoice, amount="40.00")  # cancels the first
        services.apply_provider_update(factories.provider_update(first))
        services.apply_provider_update(factories.provider_update(second))
        return factories.reload(invoice)

    def test_is_recorded_never_dropped(self, overpaid):
        assert overpaid.status == Invoice.Status.PAID
        assert overpaid.amount_paid == Decimal("120.00")
        assert overpaid.amount_due == Decimal("-40.00")
        assert ledger(overpaid) == [("charge", Decimal("80.00")), ("charge", Decimal("40.00"))]
        assert set(overpaid.payments.values_list("status", flat=True)) == {"succeeded"}

    def test_is_listed_as_needing_a_refund_until_the_excess_is_refunded(self, overpaid):
        assert list(Invoice.objects.needing_refund()) == [overpaid]

        services.refund_payment(overpaid.payments.get(amount=Decimal("40.00")))

        assert list(Invoice.objects.needing_refund()) == []
        stored = factories.reload(overpaid)
        assert (stored.status, stored.amount_due) == (Invoice.Status.PAID, Decimal("0"))

    def test_money_arriving_on_a_voided_invoice_needs_a_refund(self, invoice):
        payment = factories.start_online(invoice)
        services.void_invoice(invoice)

        services.apply_provider_update(factories.provider_update(payment))

        stored = factories.reload(invoice)
        assert stored.amount_paid == Decimal("80.00")
        assert stored.amount_due == Decimal("-80.00")
        assert list(Invoice.objects.needing_refund()) == [stored]


class TestStartPayment:
    def test_starts_a_pending_payment_for_the_amount_due(self, invoice):
        factories.pay_cash(invoice, "30.00")

        started = services.begin_payment(invoice, backend="online")
        payment = started.payment

        assert payment.status == Payment.Status.PENDING
        assert (payment.amount, payment.currency, payment.backend) == (
            Decimal("50.00"), "GBP", "online")
        assert payment.provider_reference.startswith("dummy_")
        assert started.action.kind == "render"
        assert started.action.template == "carepay/backends/dummy.html"
        assert not hasattr(payment, "action")  # nothing rides on the model instance
        assert Transaction.objects.filter(payment=payment).count() == 0

    def test_reloading_returns_the_same_pending_payment(self, invoice):
        first = factories.start_online(invoice)

        again = factories.start_online(invoice)

        assert again.pk == first.pk
        assert again.provider_reference == first.provider_reference
        assert Payment.objects.count() == 1

    def test_a_different_amount_cancels_the_stale_payment(self, invoice):
        stale = factories.start_online(invoice)

        fresh = factories.start_online(invoice, amount="50.00")

        assert fresh.pk != stale.pk
        assert fresh.amount == Decimal("50.00")
        assert factories.reload(stale).status == Payment.Status.CANCELLED
        assert list(Payment.objects.filter(status=Payment.Status.PENDING)) == [fresh]

    def test_a_partial_payment_elsewhere_cancels_the_stale_payment(self, invoice):
        stale = factories.start_online(invoice)
        factories.pay_cash(invoice, "30.00")

        fresh = factories.start_online(invoice)

        assert fresh.amount == Decimal("50.00")
        assert factories.reload(stale).status == Payment.Status.CANCELLED

    def test_the_payer_completes_it_through_the_provider(self, invoice):
        payment = factories.start_online(invoice)
        backend = get_backend("online")
        assert backend.sync(payment) is None  # not paid at the provider yet

        backend.confirm(payment)
        update = backend.sync(payment)
        services.apply_provider_update(update)

        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_processing_then_succeeded(self, invoice):
        payment = factories.start_online(invoice)

        services.apply_provider_update(factories.provider_update(payment,
                                                                 UpdateKind.PROCESSING))
        assert factories.reload(payment).status == Payment.Status.PROCESSING

        services.apply_provider_update(factories.provider_update(payment))
        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
