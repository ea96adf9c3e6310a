"""Riverside Music School's three domains, each billed through one cart invoice:
lessons with a teacher, workshop seats, and course enrolments.

Each item is its own invoice line's ``subject``, so carepay's signals reach each
domain with its own items (:mod:`school.receivers`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Teacher(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    instrument = models.CharField(max_length=50)

    class Meta:
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self) -> str:
        return self.name


class Lesson(models.Model):
    """A one-to-one lesson slot: open until a student books it, paid with the cart."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("lesson", "Open")
        RESERVED = "reserved", _("Reserved (awaiting payment)")
        PAID = "paid", _("Paid")

    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="lessons")
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=45)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="school_lessons")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        # In the active language: the instrument (a name marked in school.demo), the day
        # and time in that language's format ("Tue 1 Dec, 10:00", "Di. 1. Dez., 10:00").
        return gettext("%(instrument)s lesson with %(teacher)s (%(when)s)") % {
            "instrument": gettext(self.teacher.instrument), "teacher": self.teacher,
            "when": date_format(timezone.localtime(self.starts_at), gettext("D j M, H:i"))}


class Workshop(models.Model):
    title = models.CharField(max_length=200)
    date = models.DateField()
    price = models.DecimalField(max_digits=8, decimal_places=2, help_text="Per seat.")
    capacity = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int:
        taken = self.seats.exclude(status=WorkshopSeat.Status.RELEASED).count()
        return max(self.capacity - taken, 0)


class WorkshopSeat(models.Model):
    """One seat at a workshop; a student may take several (for a friend)."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved (awaiting payment)")
        PAID = "paid", _("Paid")
        RELEASED = "released", _("Refunded and released")

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="seats")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="school_seats")
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.RESERVED)

    class Meta:
        verbose_name = _("workshop seat")
        verbose_name_plural = _("workshop seats")
        ordering = ["workshop", "id"]

    def __str__(self) -> str:
        return gettext("Seat #%(number)s at %(workshop)s") % {"number": self.pk,
                                                               "workshop": self.workshop}


class Course(models.Model):
    title = models.CharField(max_length=200)
    weeks = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Enrollment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        ACTIVE = "active", _("Enrolled")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="school_enrollments")
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.PENDING)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")

    def __str__(self) -> str:
        return f"{self.course} ({self.student})"
