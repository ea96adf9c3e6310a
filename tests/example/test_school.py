"""The example project's music school: a cart of lessons, workshop seats and a course
is one invoice, paid through Checkout (the demo provider stands in for Stripe here),
and each domain marks its own items paid; one seat can be refunded on its own.

Runs with the example project's CAREPAY, its URLs and templates; needs ``"school"`` in
``tests/settings.py``'s ``INSTALLED_APPS``.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

if not apps.is_installed("school"):
    pytest.skip("add 'school' to INSTALLED_APPS in tests/settings.py to test the example "
                "project's music school", allow_module_level=True)

from school.billing import CHECKOUT_ALIAS, CartError, check_out, refund_seat
from school.demo import ensure_school
from school.models import Course, Enrollment, Lesson, Workshop, WorkshopSeat

from django_carepay import services, signals
from django_carepay.backends import available_backends
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories

pytestmark = pytest.mark.django_db

DUMMY = "django_carepay.backends.dummy.DummyBackend"


@pytest.fixture
def example_site(settings, tmp_path):
    """The example project's CAREPAY (demo providers), URLs and templates."""
    from example_project import settings as example_settings

    config = copy.deepcopy(example_settings.CAREPAY)
    for alias in ("card", CHECKOUT_ALIAS):
        config["BACKENDS"][alias] = {"BACKEND": DUMMY, "OPTIONS": {"label": alias}}
    settings.CAREPAY = config
    settings.MEDIA_ROOT = tmp_path
    for name in ("ROOT_URLCONF", "TEMPLATES", "LOGIN_URL"):
        setattr(settings, name, getattr(example_settings, name))


@pytest.fixture
def school(example_site):
    ensure_school()
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="student1")


def fill_cart(client, student):
    """A lesson, two seats at the jazz workshop and a course, through the cart page."""
    client.force_login(student)
    lesson = Lesson.objects.filter(teacher__instrument="Piano").first()
    workshop = Workshop.objects.get(title__startswith="Jazz")
    course = Course.objects.get(title__startswith="Music theory")
    response = client.post(reverse("school:cart"), {
        "lesson": [lesson.pk], f"seats-{workshop.pk}": "2", "course": [course.pk]})
    return response, lesson, workshop, course


def pay_with_the_demo_provider(client, invoice):
    """The student's Checkout flow: the pay page, the provider's "Pay", the result."""
    page = client.get(reverse("carepay:pay", args=[invoice.public_id, CHECKOUT_ALIAS]))
    assert page.status_code == 200
    payment = Payment.objects.get(invoice=invoice, backend=CHECKOUT_ALIAS)
    done = client.post(reverse("carepay:dummy_pay", args=[CHECKOUT_ALIAS, payment.public_id]),
                       follow=True)
    assert done.status_code == 200
    return payment


def test_a_cart_is_one_invoice_with_a_line_per_item(school, client):
    response, lesson, workshop, course = fill_cart(client, school)

    invoice = Invoice.objects.get(customer=school)
    assert response.status_code == 302
    assert response["Location"] == reverse("carepay:pay",
                                           args=[invoice.public_id, CHECKOUT_ALIAS])
    lines = list(invoice.lines.order_by("position"))
    assert [type(line.subject) for line in lines] == [Lesson, WorkshopSeat, WorkshopSeat,
                                                      Enrollment]
    assert invoice.total == lesson.price + 2 * workshop.price + course.price
    lesson.refresh_from_db()
    assert (lesson.status, lesson.student) == (Lesson.Status.RESERVED, school)


def test_paying_marks_each_item_paid_in_its_own_domain(school, client,
                                                       django_capture_on_commit_callbacks):
    _response, lesson, _workshop, _course = fill_cart(client, school)
    invoice = Invoice.objects.get(customer=school)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        payment = pay_with_the_demo_provider(client, invoice)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PAID
    assert set(WorkshopSeat.objects.values_list("status", flat=True)) == {"paid"}
    assert Enrollment.objects.get().status == Enrollment.Status.ACTIVE
    teacher_mail = [m for m in mail.outbox if m.to == [lesson.teacher.email]]
    assert len(teacher_mail) == 1
    assert "Lesson paid: Sam Rivera" in teacher_mail[0].subject
    assert any(m.to == [school.email] for m in mail.outbox)  # the student's receipt
    assert invoice.number in teacher_mail[0].body
    bookings = client.get(reverse("school:bookings")).content.decode()
    assert bookings.count(">Paid<") == 3 and ">Enrolled<" in bookings


def test_only_checkout_is_offered_for_a_cart_and_only_for_one(school, client):
    fill_cart(client, school)
    cart = Invoice.objects.get(customer=school)
    clinic = factories.make_invoice()

    assert [b.alias for b in available_backends(cart)] == [CHECKOUT_ALIAS]
    assert CHECKOUT_ALIAS not in [b.alias for b in available_backends(clinic)]


def test_one_domain_refusing_leaves_nothing_paid(school, client):
    fill_cart(client, school)
    invoice = Invoice.objects.get(customer=school)

    def full(**kwargs):
        raise RuntimeError("the course is full")

    signals.invoice_paid.connect(full, sender=Enrollment, weak=False)
    try:
        payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
        from django_carepay.backends import get_backend

        backend = get_backend(CHECKOUT_ALIAS)
        backend.confirm(payment)
        with pytest.raises(RuntimeError):
            services.apply_provider_update(backend.sync(payment))
    finally:
        signals.invoice_paid.disconnect(full, sender=Enrollment)

    assert not Transaction.objects.exists()
    assert Lesson.objects.get(student=school).status == Lesson.Status.RESERVED
    assert set(WorkshopSeat.objects.values_list("status", flat=True)) == {"reserved"}


def test_refunding_one_seat_refunds_that_lines_amount(school, client):
    _response, lesson, workshop, _course = fill_cart(client, school)
    invoice = Invoice.objects.get(customer=school)
    payment = pay_with_the_demo_provider(client, invoice)
    first, second = WorkshopSeat.objects.order_by("pk")

    refund = refund_seat(first)
    again = refund_seat(first)

    assert again == refund and refund.amount == workshop.price == Decimal("45.00")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (WorkshopSeat.Status.RELEASED,
                                             WorkshopSeat.Status.PAID)
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PAID


def test_a_taken_lesson_cannot_be_booked_twice(school, django_user_model):
    lesson = Lesson.objects.first()
    check_out(school, lessons=[lesson])
    other = django_user_model.objects.create_user("alex")
    with pytest.raises(CartError, match="just been booked"):
        check_out(other, lessons=[lesson])
