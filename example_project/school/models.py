"""Riverside Music School's three domains, each billed through one cart invoice:
lessons with a teacher, workshop seats, and course enrolments.

Each item is its own invoice line's ``subject``, so carepay's signals reach each
domain with its own items (:mod:`school.receivers`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Teacher(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    instrument = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Lesson(models.Model):
    """A one-to-one lesson slot: open until a student books it, paid with the cart."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESERVED = "reserved", "Reserved (awaiting payment)"
        PAID = "paid", "Paid"

    teacher = models.ForeignKey(Teacher, on_delete=models.PROTECT, related_name="lessons")
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=45)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="school_lessons")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return (f"{self.teacher.instrument} lesson with {self.teacher} "
                f"({self.starts_at:%a %d %b, %H:%M})")


class Workshop(models.Model):
    title = models.CharField(max_length=200)
    date = models.DateField()
    price = models.DecimalField(max_digits=8, decimal_places=2, help_text="Per seat.")
    capacity = models.PositiveSmallIntegerField()

    class Meta:
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
        RESERVED = "reserved", "Reserved (awaiting payment)"
        PAID = "paid", "Paid"
        RELEASED = "released", "Refunded and released"

    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="seats")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="school_seats")
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.RESERVED)

    class Meta:
        ordering = ["workshop", "id"]

    def __str__(self) -> str:
        return f"Seat #{self.pk} at {self.workshop}"


class Course(models.Model):
    title = models.CharField(max_length=200)
    weeks = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self) -> str:
        return self.title


class Enrollment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        ACTIVE = "active", "Enrolled"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="school_enrollments")
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.PENDING)

    def __str__(self) -> str:
        return f"{self.course} ({self.student})"
