"""Signals the host's own domain listens to.

Every signal is sent with ``sender`` = the model class of the invoice's ``subject``
(e.g. ``Appointment``), or :class:`~django_carepay.models.Invoice` when the invoice
has no subject, so a host subscribes to its own invoices only::

    @receiver(invoice_paid, sender=Appointment)
    def mark_appointment_paid(sender, invoice, payment, **kwargs):
        invoice.subject.mark_paid()

They are sent inside the service's database transaction, after the new state is
saved: a receiver's writes commit or roll back with the payment, and a receiver that
raises rolls the whole change back (a webhook then answers 500 and the provider
retries). Receivers that do I/O (e-mail, HTTP) should use
``transaction.on_commit``.
"""

from django.dispatch import Signal

#: An invoice was issued (draft → open). Arguments: ``invoice``, ``by``.
invoice_issued = Signal()

#: An invoice was paid in full. Arguments: ``invoice``, ``payment`` (the one that
#: settled it), ``transaction`` (its ledger charge), ``by``.
invoice_paid = Signal()

#: An invoice passed its due date unpaid (open → overdue). Arguments: ``invoice``.
invoice_overdue = Signal()

#: An invoice was voided. Arguments: ``invoice``, ``by``, ``reason``.
invoice_voided = Signal()

#: Money was received for a payment. Arguments: ``invoice``, ``payment``,
#: ``transaction`` (the ledger charge), ``by`` (staff user, or ``None`` online).
payment_succeeded = Signal()

#: A payment attempt failed or was rejected. Arguments: ``invoice``, ``payment``,
#: ``by``.
payment_failed = Signal()

#: A payer submitted a payment for staff approval (e.g. a bank transfer).
#: Arguments: ``invoice``, ``payment``, ``by``.
payment_submitted = Signal()

#: Staff approved a submitted payment; ``payment_succeeded`` follows. Arguments:
#: ``invoice``, ``payment``, ``transaction``, ``by``.
payment_approved = Signal()

#: Staff rejected a submitted payment; ``payment_failed`` follows. Arguments:
#: ``invoice``, ``payment``, ``by``, ``reason``.
payment_rejected = Signal()

#: Money was handed back (partly or fully). Arguments: ``invoice``, ``payment``,
#: ``transaction`` (the ledger refund), ``by``.
payment_refunded = Signal()

#: A refund the provider had accepted failed, so its money came back (a
#: ``refund_reversal`` in the ledger); the payer still has to be repaid another way.
#: Arguments: ``invoice``, ``payment``, ``transaction`` (the reversal), ``reason``.
payment_refund_reversed = Signal()

__all__ = [
    "invoice_issued",
    "invoice_overdue",
    "invoice_paid",
    "invoice_voided",
    "payment_approved",
    "payment_failed",
    "payment_refund_reversed",
    "payment_refunded",
    "payment_rejected",
    "payment_submitted",
    "payment_succeeded",
]
