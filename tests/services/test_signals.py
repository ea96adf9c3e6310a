"""Signals: sent by the subject's model class, with their documented payload, inside
the service's transaction, so a receiver that raises undoes the whole change."""

from datetime import timedelta
from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.backends import UpdateKind
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


class HostFailure(Exception):
    """What a host receiver raises in these tests."""


def fail(**kwargs):
    raise HostFailure("the host could not book the appointment")


class TestSenders:
    def test_the_subjects_model_class_is_the_sender(self, invoice, receive):
        for_appointments = receive(signals.payment_succeeded, sender=Appointment)
        for_plain_invoices = receive(signals.payment_succeeded, sender=Invoice)

        factories.pay_cash(invoice)

        assert for_appointments.count == 1
        assert for_appointments.last["sender"] is Appointment
        assert for_plain_invoices.count == 0

    def test_invoices_without_a_subject_are_sent_by_invoice(self, receive):
        for_appointments = receive(signals.invoice_issued, sender=Appointment)
        for_plain_invoices = receive(signals.invoice_issued, sender=Invoice)

        factories.make_invoice()

        assert for_appointments.count == 0
        assert for_plain_invoices.count == 1


class TestPayloads:
    def test_invoice_issued(self, draft, staff, receive):
        issued = receive(signals.invoice_issued, sender=Appointment)

        services.issue_invoice(draft, by=staff)

        assert set(issued.last) == {"sender", "signal", "subjects", "invoice", "by"}
        assert issued.last["invoice"].number == draft.number
        assert issued.last["by"] == staff

    def test_payment_succeeded_and_invoice_paid(self, invoice, staff, receive):
        succeeded = receive(signals.payment_succeeded, sender=Appointment)
        paid = receive(signals.invoice_paid, sender=Appointment)

        payment = factories.pay_cash(invoice, by=staff)

        charge = Transaction.objects.get()
        for recorder in (succeeded, paid):
            assert set(recorder.last) == {"sender", "signal", "subjects", "invoice", "payment",
                                          "transaction", "by"}
            assert (recorder.last["payment"], recorder.last["transaction"],
                    recorder.last["by"]) == (payment, charge, staff)
            assert recorder.last["invoice"].pk == invoice.pk

    def test_the_invoice_is_saved_before_receivers_run(self, invoice, receive):
        seen = []
        receive(signals.invoice_paid, sender=Appointment, action=lambda **kw: seen.append(
            Invoice.objects.get(pk=kw["invoice"].pk).status))

        factories.pay_cash(invoice)

        assert seen == [Invoice.Status.PAID]

    def test_payment_refunded(self, invoice, staff, receive):
        refunded = receive(signals.payment_refunded, sender=Appointment)
        payment = factories.pay_cash(invoice)

        refund = services.refund_payment(payment, by=staff)

        assert set(refunded.last) == {"sender", "signal", "subjects", "invoice", "payment",
                                      "transaction", "by"}
        assert (refunded.last["payment"], refunded.last["transaction"],
                refunded.last["by"]) == (payment, refund, staff)

    def test_invoice_overdue(self, invoice, receive):
        overdue = receive(signals.invoice_overdue, sender=Appointment)

        services.mark_overdue(today=invoice.due_date + timedelta(days=1))

        assert set(overdue.last) == {"sender", "signal", "subjects", "invoice"}

    def test_invoice_voided(self, invoice, staff, receive):
        voided = receive(signals.invoice_voided, sender=Appointment)

        services.void_invoice(invoice, by=staff, reason="Duplicate")

        assert set(voided.last) == {"sender", "signal", "subjects", "invoice", "by", "reason"}

    def test_payment_failed(self, invoice, receive):
        failed = receive(signals.payment_failed, sender=Appointment)
        payment = factories.start_online(invoice)

        services.apply_provider_update(factories.provider_update(payment, UpdateKind.FAILED))

        assert set(failed.last) == {"sender", "signal", "subjects", "invoice", "payment", "by"}
        assert failed.last["payment"].pk == payment.pk


class TestReceiverWritesShareTheTransaction:
    def test_a_receivers_writes_roll_back_with_the_payment(self, invoice, appointment, receive):
        def mark_paid(*, invoice, **kwargs):
            Appointment.objects.filter(pk=invoice.subject_object_id).update(
                status=Appointment.Status.PAID)

        receive(signals.payment_succeeded, sender=Appointment, action=mark_paid)
        receive(signals.invoice_paid, sender=Appointment, action=fail)

        with pytest.raises(HostFailure):
            factories.pay_cash(invoice)

        assert factories.reload(appointment).status == Appointment.Status.PENDING
        assert Payment.objects.count() == 0


class TestARaisingReceiverRollsEverythingBack:
    @pytest.mark.parametrize("signal", [signals.payment_succeeded, signals.invoice_paid])
    def test_record_payment(self, invoice, staff, receive, signal, nothing_changes):
        receive(signal, sender=Appointment, action=fail)

        with nothing_changes(invoice), pytest.raises(HostFailure):
            services.record_payment(invoice, backend="cash", by=staff)

        assert Payment.objects.count() == 0
        assert Transaction.objects.count() == 0
        stored = factories.reload(invoice)
        assert (stored.status, stored.amount_paid) == (Invoice.Status.OPEN, Decimal("0"))

    def test_refund_payment(self, invoice, receive, nothing_changes):
        payment = factories.pay_cash(invoice)
        receive(signals.payment_refunded, sender=Appointment, action=fail)

        with nothing_changes(invoice, payment), pytest.raises(HostFailure):
            services.refund_payment(payment)

        assert Transaction.objects.refunds().count() == 0
        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_issue_invoice_gives_its_number_back(self, draft, receive, nothing_changes):
        receive(signals.invoice_issued, sender=Appointment, action=fail)

        with nothing_changes(draft), pytest.raises(HostFailure):
            services.issue_invoice(draft)

        assert factories.reload(draft).number is None
        assert factories.make_invoice().number.endswith("-00001")

    def test_issue_invoice_after_earlier_numbers(self, receive):
        factories.make_invoice()
        draft = factories.make_invoice(subject=factories.make_appointment(), issue=False)
        receive(signals.invoice_issued, sender=Appointment, action=fail)

        with pytest.raises(HostFailure):
            services.issue_invoice(draft)

        assert factories.make_invoice().number.endswith("-00002")

    def test_provider_update(self, invoice, receive, nothing_changes):
        payment = factories.start_online(invoice)
        receive(signals.payment_succeeded, sender=Appointment, action=fail)

        with nothing_changes(invoice, payment), pytest.raises(HostFailure):
            services.apply_provider_update(factories.provider_update(payment))

    def test_mark_overdue(self, invoice, receive, nothing_changes):
        receive(signals.invoice_overdue, sender=Appointment, action=fail)

        with nothing_changes(invoice), pytest.raises(HostFailure):
            services.mark_overdue(today=invoice.due_date + timedelta(days=1))

    def test_void_invoice(self, invoice, receive, nothing_changes):
        receive(signals.invoice_voided, sender=Appointment, action=fail)

        with nothing_changes(invoice), pytest.raises(HostFailure):
            services.void_invoice(invoice)
