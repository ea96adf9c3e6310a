"""What the payer receives: the invoice, receipts, failures, refunds, decisions, reminders.

Each function takes primary keys and reads the rows afresh: it runs on commit
(queued by ``services._notify``), when what was committed is what is true.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from ..links import payment_link
from ..models import Invoice, InvoiceReminder, Payment, Transaction
from .attachments import invoice_attachment, receipt_attachment
from .compose import Attachment, backend_label, deliver, payer_email, render_message

logger = logging.getLogger("django_carepay")


def _mail_payer(kind: str, invoice: Invoice, context: dict[str, Any],
                attach: Callable[[], list[Attachment | None]] = list) -> bool:
    """Deliver ``kind`` to the payer of ``invoice``. The pay link (while the invoice
    can be paid) and the attachments are made inside :func:`deliver`, so a missing
    ``SITE_URL`` or a failing PDF is logged like a mail failure."""
    def build() -> EmailMultiAlternatives | None:
        recipient = payer_email(invoice)
        if not recipient:
            logger.warning("Invoice %s has no e-mail address for its payer; the %s "
                           "e-mail was not sent.", invoice.number, kind)
            return None
        pay_url = payment_link(invoice) if invoice.is_payable else ""
        payment = context.get("payment")
        method = backend_label(payment.backend) if payment is not None else ""
        return render_message(kind, {"invoice": invoice, "pay_url": pay_url,
                                     "method": method, **context},
                              to=[recipient], invoice=invoice, attachments=attach())

    with invoice.in_payers_language():  # whoever or whatever sends it
        return deliver(kind, invoice, build)


def send_invoice_email(invoice_pk: int) -> None:
    """``invoice_issued``: the issued invoice, its pay link, and its PDF."""
    invoice = Invoice.objects.select_related("customer").get(pk=invoice_pk)
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID,
                          Invoice.Status.UNCOLLECTIBLE):
        # Voided or written off since it was queued (a worker may send it later).
        logger.info("Invoice %s is %s; its invoice_issued e-mail was not sent.",
                    invoice.number, invoice.status)
        return
    _mail_payer("invoice_issued", invoice, {}, lambda: [invoice_attachment(invoice)])


def _ledger_row(transaction_pk: int | Transaction) -> Transaction:
    if isinstance(transaction_pk, Transaction):  # as committed, with its rows: no query
        return transaction_pk
    return Transaction.objects.select_related(
        "payment", "invoice", "invoice__customer").get(pk=transaction_pk)


def send_payment_receipt(transaction_pk: int | Transaction) -> None:
    """``payment_receipt``: money received (the ledger charge ``transaction_pk``, or
    the committed row itself), with the payment's receipt PDF. Queued once per charge
    recorded, so a card payment confirmed by both its webhook and its return page is
    receipted once."""
    txn = _ledger_row(transaction_pk)
    payment = txn.payment
    assert payment is not None  # a charge always belongs to a payment
    _mail_payer("payment_receipt", txn.invoice, {"payment": payment, "transaction": txn},
                lambda: [receipt_attachment(payment)])


def send_payment_failed(payment_pk: int) -> None:
    """``payment_failed``: an online payment failed; the link lets the payer try again."""
    payment = Payment.objects.select_related("invoice", "invoice__customer").get(pk=payment_pk)
    _mail_payer("payment_failed", payment.invoice, {"payment": payment})


def send_refund_issued(transaction_pk: int) -> None:
    """``refund_issued``: money handed back (the ledger refund ``transaction_pk``)."""
    txn = _ledger_row(transaction_pk)
    _mail_payer("refund_issued", txn.invoice, {"payment": txn.payment, "transaction": txn})


def send_payment_decided(payment_pk: int) -> None:
    """``transfer_approved`` or ``transfer_rejected``: staff decided on the payer's
    submitted payment (a rejection says why, with the link to pay again)."""
    payment = Payment.objects.select_related("invoice", "invoice__customer").get(pk=payment_pk)
    approved = payment.status in Payment.RECEIVED
    _mail_payer("transfer_approved" if approved else "transfer_rejected", payment.invoice,
                {"payment": payment, "approved": approved})


def send_reminder(reminder_pk: int, today: date | None = None) -> None:
    """``invoice_reminder``: the claimed reminder ``reminder_pk``, unless its invoice
    was settled since the claim. ``sent_at`` records that it went; a reminder claimed
    but not sent (no address, the mail server refused) keeps ``sent_at`` empty and is
    not tried again. ``today`` is the day the reminder is for (default: today)."""
    reminder = InvoiceReminder.objects.select_related(
        "invoice", "invoice__customer").get(pk=reminder_pk)
    invoice = reminder.invoice
    if not invoice.is_payable or invoice.due_date is None:
        return
    days_late = ((today or timezone.localdate()) - invoice.due_date).days
    context = {"reminder": reminder, "days_late": days_late, "days_left": -days_late}
    if _mail_payer("invoice_reminder", invoice, context,
                   lambda: [invoice_attachment(invoice)]):
        InvoiceReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
