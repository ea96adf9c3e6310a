"""A host domain for the tests: appointments billed through carepay."""

import uuid

from django.db import models


class Appointment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    patient_name = models.CharField(max_length=100, default="Ada")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)

    def __str__(self) -> str:
        return f"Appointment {self.id}"


class Seat(models.Model):
    """A workshop seat: a cart's second kind of item (integer primary key)."""

    label = models.CharField(max_length=100, default="Seat")
    status = models.CharField(max_length=20, default="reserved")

    def __str__(self) -> str:
        return self.label


class Enrollment(models.Model):
    """A course enrolment: a cart's third kind of item."""

    course = models.CharField(max_length=100, default="Harmony I")
    status = models.CharField(max_length=20, default="pending")

    def __str__(self) -> str:
        return self.course
