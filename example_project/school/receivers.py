"""Each domain marks its own items paid when the cart's invoice is paid (connected in
``SchoolConfig.ready()``).

carepay sends ``invoice_paid`` once per sender (Lesson, WorkshopSeat, Enrollment) with
``subjects`` = that domain's items, inside the payment's transaction: if one domain
cannot take its items, it raises and nothing is paid anywhere.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django_carepay.models import Invoice
from django_carepay.signals import invoice_paid, payment_refunded

from .models import Enrollment, Lesson, WorkshopSeat


@receiver(invoice_paid, sender=Lesson)
def lessons_paid(sender: type[Lesson], invoice: Invoice, subjects: Any,
                 **kwargs: Any) -> None:
    """The lessons are booked; each teacher hears about their lesson once committed."""
    ids = [lesson.pk for lesson in subjects]
    Lesson.objects.filter(pk__in=ids).update(status=Lesson.Status.PAID)
    for lesson_id in ids:
        transaction.on_commit(lambda pk=lesson_id: tell_teacher(pk, invoice.pk), robust=True)


@receiver(invoice_paid, sender=WorkshopSeat)
def seats_paid(sender: type[WorkshopSeat], subjects: Any, **kwargs: Any) -> None:
    WorkshopSeat.objects.filter(pk__in=[s.pk for s in subjects],
                                status=WorkshopSeat.Status.RESERVED).update(
        status=WorkshopSeat.Status.PAID)


@receiver(invoice_paid, sender=Enrollment)
def enrollments_paid(sender: type[Enrollment], subjects: Any, **kwargs: Any) -> None:
    Enrollment.objects.filter(pk__in=[e.pk for e in subjects]).update(
        status=Enrollment.Status.ACTIVE)


@receiver(payment_refunded, sender=WorkshopSeat)
def seats_refunded(sender: type[WorkshopSeat], invoice: Invoice, subjects: Any,
                   line: Any = None, **kwargs: Any) -> None:
    """A seat's own refund (``refund_line``: ``line`` is given) releases that seat; a
    refund of the whole cart releases them all; any other partial refund (a goodwill
    gesture) releases none."""
    if line is None and invoice.status != Invoice.Status.REFUNDED:
        return
    WorkshopSeat.objects.filter(pk__in=[s.pk for s in subjects]).update(
        status=WorkshopSeat.Status.RELEASED)


def tell_teacher(lesson_id: int, invoice_id: int) -> None:
    """E-mail a lesson's teacher that it was paid (like carepay's
    ``staff_payment_received``, but to the one person it concerns)."""
    lesson = Lesson.objects.select_related("teacher", "student").get(pk=lesson_id)
    invoice = Invoice.objects.get(pk=invoice_id)
    context = {"lesson": lesson, "invoice": invoice, "teacher": lesson.teacher,
               "student": lesson.student}
    message = EmailMultiAlternatives(
        subject=render_to_string("school/email/lesson_paid_subject.txt", context).strip(),
        body=render_to_string("school/email/lesson_paid_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[lesson.teacher.email])
    message.send()
