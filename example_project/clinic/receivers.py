"""How appointments follow their invoices (connected in ``ClinicConfig.ready()``).

Carepay sends these inside the payment's database transaction, so the appointment's
status commits or rolls back together with the money.
"""

from typing import Any

from django.dispatch import receiver
from django_carepay.models import Invoice
from django_carepay.signals import invoice_paid, payment_refunded

from .models import Appointment


@receiver(invoice_paid, sender=Appointment)
def mark_appointment_paid(sender: type[Appointment], invoice: Invoice, **kwargs: Any) -> None:
    """The invoice is paid in full: so is the appointment."""
    appointment = invoice.subject
    if appointment is not None and appointment.status != Appointment.Status.PAID:
        appointment.status = Appointment.Status.PAID
        appointment.save(update_fields=["status"])


@receiver(payment_refunded, sender=Appointment)
def reopen_refunded_appointment(sender: type[Appointment], invoice: Invoice,
                                **kwargs: Any) -> None:
    """Everything paid was handed back: the appointment is unpaid again.

    A partial refund leaves the invoice paid, and the appointment with it.
    """
    if invoice.status != Invoice.Status.REFUNDED:
        return
    appointment = invoice.subject
    if appointment is not None and appointment.status != Appointment.Status.PENDING:
        appointment.status = Appointment.Status.PENDING
        appointment.save(update_fields=["status"])
