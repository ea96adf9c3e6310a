"""docs/tutorials/school.md: one cart, one Checkout payment, each domain paid. Included
in the tutorial from the marker below, so keep it a file a reader can copy."""

# -- docs/tutorials/school.md includes this file from here --
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from school.billing import check_out, refund_seat
from school.models import Lesson, Teacher, Workshop, WorkshopSeat

from django_carepay.models import Invoice
from django_carepay.testing import capture_signals, pay_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(django_user_model):
    return django_user_model.objects.create_user("sam", email="sam@example.com")


@pytest.fixture
def lesson():
    teacher = Teacher.objects.create(name="Ines Duarte", email="ines@example.com",
                                     instrument="Piano")
    return Lesson.objects.create(teacher=teacher, price=Decimal("40.00"),
                                 starts_at=timezone.now() + timedelta(days=7))


@pytest.fixture
def workshop():
    return Workshop.objects.create(title="Jazz improvisation", price=Decimal("25.00"),
                                   date=timezone.localdate() + timedelta(days=14), capacity=10)


def test_paying_a_cart_marks_each_item_paid(student, lesson, workshop):
    invoice = check_out(student, lessons=[lesson], seats={workshop: 2})
    assert invoice.total == Decimal("90.00")
    with capture_signals("invoice_paid") as sent:
        pay_invoice(invoice, backend="checkout")
    # Once per sender: the invoice itself (it has no subject of its own), then each
    # domain with its own items (the lines' subjects).
    assert [call.sender for call in sent] == [Invoice, Lesson, WorkshopSeat]
    assert sent.calls[1]["subjects"] == [lesson]
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PAID
    assert set(workshop.seats.values_list("status", flat=True)) == {WorkshopSeat.Status.PAID}


def test_one_seat_is_refunded_and_released(student, lesson, workshop):
    invoice = check_out(student, lessons=[lesson], seats={workshop: 2})
    pay_invoice(invoice, backend="checkout")
    seat = workshop.seats.first()
    refund_seat(seat)
    seat.refresh_from_db()
    assert seat.status == WorkshopSeat.Status.RELEASED
    invoice.refresh_from_db()
    assert invoice.amount_refunded == Decimal("25.00")
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PAID        # the rest of the cart stays paid
