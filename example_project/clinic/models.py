"""The clinic's own domain: appointments, billed through carepay."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Appointment(models.Model):
    """A consultation booked for a patient with a clinician.

    ``status`` follows the appointment's invoice: carepay's signals turn it ``paid``
    when the invoice is paid and back to ``pending`` when it is refunded in full
    (see :mod:`clinic.receivers`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        PAID = "paid", _("Paid")

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
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        when = date_format(timezone.localtime(self.starts_at), gettext("j M Y, H:i"))
        return f"{self.clinician}, {when}"
