"""Carts: an invoice whose lines bill for their own host objects (InvoiceLine.subject).

Every signal is sent once per distinct sender (the invoice's own, then each
line-subject class), with ``subjects`` = that sender's objects, inside the service's
transaction: one receiver that raises leaves nothing paid anywhere.
"""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from django_carepay import services, signals
from django_carepay.exceptions import InvalidInput, InvalidState
from django_carepay.models import Invoice, InvoiceLine, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment, Enrollment, Seat

pytestmark = pytest.mark.django_db


class HostFailure(Exception):
    pass


@pytest.fixture
def cart(patient):
    """One invoice: an appointment (£80), two seats (£25 each), a course (£100) = £230."""
    appointment = factories.make_appointment()
    seats = [Seat.objects.create(label="Seat A"), Seat.objects.create(label="Seat B")]
    enrollment = Enrollment.objects.create()
    invoice = factories.make_invoice(customer=patient, lines=[
        {"description": "Lesson", "unit_price": "80.00", "subject": appointment},
        {"description": "Workshop seat A", "unit_price": "25.00", "subject": seats[0]},
        {"description": "Workshop seat B", "unit_price": "25.00", "subject": seats[1]},
        {"description": "Harmony I", "unit_price": "100.00", "subject": enrollment},
    ])
    return invoice, appointment, seats, enrollment


def test_lines_remember_their_subjects(cart):
    invoice, appointment, seats, enrollment = cart
    lines = list(invoice.lines.order_by("position"))
    assert [line.subject for line in lines] == [appointment, *seats, enrollment]
    assert invoice.has_line_subjects
    assert list(Invoice.objects.for_line_subject(seats[1])) == [invoice]
    assert invoice.total == Decimal("230.00")


def test_each_domain_hears_once_with_its_own_subjects(cart, receive):
    invoice, appointment, seats, enrollment = cart
    heard = {model: receive(signals.invoice_paid, sender=model)
             for model in (Invoice, Appointment, Seat, Enrollment)}
    succeeded = {model: receive(signals.payment_succeeded, sender=model)
                 for model in (Appointment, Seat, Enrollment)}

    factories.pay_cash(invoice)

    assert {m: r.count for m, r in heard.items()} == {
        Invoice: 1, Appointment: 1, Seat: 1, Enrollment: 1}
    assert list(heard[Invoice].last["subjects"]) == []  # the invoice has no subject
    assert heard[Appointment].last["subjects"] == [appointment]
    assert heard[Seat].last["subjects"] == seats
    assert heard[Enrollment].last["subjects"] == [enrollment]
    assert all(r.count == 1 for r in succeeded.values())


def test_the_invoice_subjects_class_is_merged_with_its_lines(patient, receive):
    own, other = factories.make_appointment(), factories.make_appointment()
    invoice = factories.make_invoice(customer=patient, subject=own, lines=[
        {"description": "Visit", "unit_price": "80.00"},
        {"description": "Follow-up", "unit_price": "40.00", "subject": other},
    ])
    paid = receive(signals.invoice_paid, sender=Appointment)

    factories.pay_cash(invoice)

    assert paid.count == 1
    assert paid.last["subjects"] == [own, other]


def test_one_receiver_raising_leaves_nothing_paid_anywhere(cart, receive):
    invoice, appointment, _seats, _enrollment = cart

    def book(**kwargs):
        for subject in kwargs["subjects"]:
            type(subject).objects.filter(pk=subject.pk).update(status="paid")

    def fail(**kwargs):
        raise HostFailure("the course is full")

    receive(signals.invoice_paid, sender=Appointment, action=book)
    receive(signals.invoice_paid, sender=Seat, action=book)
    receive(signals.invoice_paid, sender=Enrollment, action=fail)

    with pytest.raises(HostFailure):
        factories.pay_cash(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.exists() and not Transaction.objects.exists()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PENDING
    assert set(Seat.objects.values_list("status", flat=True)) == {"reserved"}


def test_subjects_are_read_only_when_a_receiver_asks(cart, receive,
                                                     django_assert_max_num_queries):
    invoice, *_ = cart
    receive(signals.payment_succeeded, sender=Seat)  # connected, never reads subjects
    ContentType.objects.get_for_model(Seat)

    # lock, the transfers awaiting approval (read after the lock), insert payment and
    # charge, save invoice, the lines' subjects (once for both signals), the other
    # attempts to cancel; no subject object is loaded
    with django_assert_max_num_queries(10):
        factories.pay_cash(invoice)


def test_plain_invoices_never_read_their_lines(invoice, receive,
                                               django_assert_max_num_queries):
    receive(signals.payment_succeeded, sender=Appointment)
    ContentType.objects.get_for_model(Appointment)
    assert not invoice.has_line_subjects

    with django_assert_max_num_queries(9):
        factories.pay_cash(invoice)


def test_a_line_subject_must_be_saved(patient):
    with pytest.raises(InvalidInput, match="saved model instance") as caught:
        services.create_invoice(customer=patient, lines=[
            {"description": "Seat", "unit_price": "25.00", "subject": Seat(label="unsaved")}])
    assert caught.value.field == "subject"


def test_a_drafts_line_subject_can_be_added_and_changed(patient):
    draft = services.create_invoice(customer=patient)
    seat, other = Seat.objects.create(), Seat.objects.create()
    line = services.add_line(draft, description="Seat", unit_price="25.00", subject=seat)
    assert line.subject == seat

    line = services.update_line(line, subject=other)

    assert InvoiceLine.objects.get(pk=line.pk).subject == other


class TestRefundLine:
    """services.refund_line: one seat out of a paid cart."""

    def test_refunds_that_lines_amount_once(self, cart, staff, receive):
        invoice, _appointment, seats, _enrollment = cart
        payment = factories.pay_cash(invoice)
        seat_refunded = receive(signals.payment_refunded, sender=Seat)
        others = [receive(signals.payment_refunded, sender=m)
                  for m in (Invoice, Appointment, Enrollment)]
        line = invoice.lines.get(position=2)  # seat B

        refund = services.refund_line(line, by=staff)
        again = services.refund_line(line, by=staff)

        assert again == refund
        assert (refund.replayed, again.replayed) == (False, True)  # nothing moved again
        assert (refund.kind, refund.amount) == (Transaction.Kind.REFUND, Decimal("25.00"))
        assert Transaction.objects.filter(kind=Transaction.Kind.REFUND).count() == 1
        payment.refresh_from_db()
        assert payment.status == Payment.Status.PARTIALLY_REFUNDED
        assert payment.amount_refunded == Decimal("25.00")
        line.refresh_from_db()
        assert line.is_refunded and line.refund == refund
        assert seat_refunded.count == 1
        assert seat_refunded.last["subjects"] == [seats[1]]
        assert seat_refunded.last["line"] == line
        assert all(r.count == 0 for r in others)

    def test_the_lines_tax_is_refunded_with_it(self, patient):
        seat = Seat.objects.create()
        invoice = factories.make_invoice(customer=patient, lines=[
            {"description": "Seat", "unit_price": "25.00", "tax_rate": 20, "subject": seat},
            {"description": "Book", "unit_price": "10.00"}])
        factories.pay_cash(invoice)

        refund = services.refund_line(invoice.lines.get(position=0))

        assert refund.amount == Decimal("30.00")

    def test_an_unpaid_line_is_refused(self, cart):
        invoice, *_ = cart
        with pytest.raises(InvalidState, match=r"No payment of Invoice .* holds £25\.00"):
            services.refund_line(invoice.lines.get(position=1))
        assert not Transaction.objects.exists()

    def test_a_receiver_raising_undoes_the_line_refund(self, cart):
        invoice, *_ = cart
        factories.pay_cash(invoice)

        def fail(**kwargs):
            raise HostFailure("the seat cannot be released")

        signals.payment_refunded.connect(fail, sender=Seat, weak=False)
        try:
            with pytest.raises(HostFailure):
                services.refund_line(invoice.lines.get(position=1))
        finally:
            signals.payment_refunded.disconnect(fail, sender=Seat)

        assert not Transaction.objects.filter(kind=Transaction.Kind.REFUND).exists()
        assert not invoice.lines.get(position=1).is_refunded
