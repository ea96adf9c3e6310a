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
