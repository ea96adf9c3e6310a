"""The cart: what a student picked becomes reserved items and one carepay invoice,
each item on its own line (the line's ``subject``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext, ngettext
from django_carepay import services
from django_carepay.models import Invoice, InvoiceLine

from .models import Course, Enrollment, Lesson, Workshop, WorkshopSeat

#: The backend alias the school's carts are paid through (Stripe Checkout, or the demo
#: provider standing in for it in ``make demo``).
CHECKOUT_ALIAS = "checkout"


class CartError(ValueError):
    """What the student picked cannot be booked (say which, and why)."""


def check_out(student: Any, *, lessons: Iterable[Lesson] = (),
              seats: Mapping[Workshop, int] | None = None,
              courses: Iterable[Course] = ()) -> Invoice:
    """Reserve the picked items for ``student`` and issue one invoice for them.

    Lessons must still be open and workshops must have the seats; the invoice's lines
    each name their item, so paying it tells each domain about its own items. Nothing
    is reserved unless everything can be (one transaction).
    """
    seats = {w: n for w, n in (seats or {}).items() if n > 0}
    with transaction.atomic():
        lines: list[dict[str, Any]] = []
        for lesson in Lesson.objects.select_for_update().filter(
                pk__in=[x.pk for x in lessons]).select_related("teacher"):
            if lesson.status != Lesson.Status.OPEN:
                raise CartError(gettext("The %(lesson)s has just been booked by someone "
                                       "else.") % {"lesson": lesson})
            lesson.status, lesson.student = Lesson.Status.RESERVED, student
            lesson.save(update_fields=["status", "student"])
            lines.append({"description": str(lesson), "unit_price": lesson.price,
                          "service_date": lesson.starts_at.date(),
                          "provider_name": lesson.teacher.name, "subject": lesson})
        for workshop in Workshop.objects.select_for_update().filter(
                pk__in=[w.pk for w in seats]):
            wanted = seats[workshop]
            if wanted > workshop.seats_left:
                raise CartError(ngettext("%(workshop)s has %(count)s seat left.",
                                         "%(workshop)s has %(count)s seats left.",
                                         workshop.seats_left) % {
                    "workshop": workshop, "count": workshop.seats_left})
            for number in range(1, wanted + 1):
                seat = WorkshopSeat.objects.create(workshop=workshop, student=student)
                lines.append({"description": gettext("%(workshop)s: seat %(number)s of %(wanted)s")
                              % {"workshop": workshop, "number": number, "wanted": wanted},
                              "unit_price": workshop.price, "service_date": workshop.date,
                              "subject": seat})
        for course in courses:
            enrollment = Enrollment.objects.create(course=course, student=student)
            lines.append({"description": ngettext("%(course)s (%(weeks)s week)",
                                                  "%(course)s (%(weeks)s weeks)", course.weeks)
                              % {"course": course, "weeks": course.weeks},
                          "unit_price": course.price, "subject": enrollment})
        if not lines:
            raise CartError(gettext("The cart is empty: pick a lesson, a workshop seat or a "
                                    "course."))
        invoice = services.create_invoice(
            customer=student, lines=lines, metadata={"site": "school"},
            billing={"name": student.get_full_name() or student.get_username(),
                     "email": student.email})
        return services.issue_invoice(invoice)


def refund_seat(seat: WorkshopSeat, *, by: Any = None) -> Any:
    """Refund one workshop seat of a paid cart (its line's amount) and release it."""
    line = InvoiceLine.objects.get(
        subject_content_type=ContentType.objects.get_for_model(WorkshopSeat),
        subject_object_id=str(seat.pk))
    return services.refund_line(line, by=by, reason=gettext("Seat released: %(seat)s") % {
        "seat": seat})
