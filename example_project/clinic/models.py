"""The clinic's own domain: appointments, billed through carepay."""

import uuid

from django.conf import settings
from django.db import models


class Appointment(models.Model):
    """A consultation booked for a patient with a clinician.

    ``status`` follows the appointment's invoice: carepay's signals turn it ``paid``
    when the invoice is paid and back to ``pending`` when it is refunded in full
    (see :mod:`clinic.receivers`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        PAID = "paid", "Paid"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments",
    )
    clinician = models.CharField("clinician name", max_length=200)
    starts_at = models.DateTimeField("starts at")
    reason = models.CharField(max_length=300, blank=True)
    fee = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True,
    )

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.clinician}, {self.starts_at:%d %b %Y %H:%M}"
