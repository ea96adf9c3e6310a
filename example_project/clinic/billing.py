"""Billing an appointment: the one place the clinic asks carepay for an invoice."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django_carepay import services
from django_carepay.models import Invoice

from .models import Appointment


def draft_appointment_invoice(appointment: Appointment, *,
                              due_date: date | None = None) -> Invoice:
    """Create a draft invoice for ``appointment``: one consultation line at its fee."""
    return services.create_invoice(
        customer=appointment.patient,
        subject=appointment,
        due_date=due_date,
        lines=[{
            # In the language active when the invoice is made (an issued invoice's
            # lines never change afterwards).
            "description": gettext("GP consultation with %(clinician)s") % {
                "clinician": appointment.clinician},
            "unit_price": appointment.fee,
            "service_date": timezone.localdate(appointment.starts_at),
            "provider_name": appointment.clinician,
        }],
    )


def bill_appointment(appointment: Appointment, *, by: Any = None,
                     due_date: date | None = None, send_email: bool = False) -> Invoice:
    """Invoice ``appointment`` to its patient and issue the invoice (it takes a number).

    ``by`` is the member of staff billing it; ``due_date`` defaults to carepay's
    payment terms; ``send_email`` mails the invoice with its pay link on commit.
    """
    invoice = draft_appointment_invoice(appointment, due_date=due_date)
    return services.issue_invoice(invoice, by=by, send_email=send_email)
