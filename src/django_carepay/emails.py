"""carepay's own e-mails. Called on commit, never inside a transaction that may roll back."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string

from .adapter import get_adapter
from .links import payment_link

logger = logging.getLogger("django_carepay")


def send_invoice_email(invoice_pk: int) -> None:
    """E-mail an issued invoice to its billing address, with its payment link."""
    from .models import Invoice

    invoice = Invoice.objects.get(pk=invoice_pk)
    if not invoice.billing_email:
        logger.warning("Invoice %s has no billing e-mail; not sent.", invoice.number)
        return
    adapter = get_adapter()
    context = {
        "invoice": invoice,
        "pay_url": payment_link(invoice),
        "issuer": adapter.issuer_details(invoice),
    }
    adapter.send_mail(
        subject=render_to_string("carepay/email/invoice_subject.txt", context).strip(),
        message=render_to_string("carepay/email/invoice_body.txt", context),
        recipient_list=[invoice.billing_email], invoice=invoice,
    )


def send_transfer_submitted(payment_pk: int) -> None:
    """Tell staff (``CAREPAY["STAFF_NOTIFICATION_EMAILS"]``) a payment awaits approval."""
    from .conf import carepay_settings
    from .models import Payment

    recipients = carepay_settings.STAFF_NOTIFICATION_EMAILS
    if not recipients:
        return
    payment = Payment.objects.select_related("invoice").get(pk=payment_pk)
    context = {"payment": payment, "invoice": payment.invoice,
               "method": backend_label(payment.backend)}
    get_adapter().send_mail(
        subject=render_to_string("carepay/email/transfer_submitted_subject.txt",
                                 context).strip(),
        message=render_to_string("carepay/email/transfer_submitted_body.txt", context),
        recipient_list=list(recipients), invoice=payment.invoice,
    )


def backend_label(alias: str) -> str:
    """The label people know a payment method by (the alias if it is gone)."""
    from .backends import get_backend
    from .exceptions import UnknownBackend

    try:
        return get_backend(alias).label
    except UnknownBackend:
        return alias


def payer_email(invoice: object) -> str:
    """Where to write to the payer: the billing e-mail, else the customer's."""
    email = getattr(invoice, "billing_email", "")
    customer = getattr(invoice, "customer", None)
    return email or (getattr(customer, "email", "") if customer is not None else "")


def send_payment_decided(payment_pk: int) -> None:
    """Tell the payer their submitted payment was approved or rejected (and why)."""
    from .models import Payment

    payment = Payment.objects.select_related("invoice", "invoice__customer").get(pk=payment_pk)
    invoice = payment.invoice
    recipient = payer_email(invoice)
    if not recipient:
        logger.warning("No e-mail for the payer of %s; decision not sent.", invoice.number)
        return
    approved = payment.status in Payment.RECEIVED
    context = {"payment": payment, "invoice": invoice, "approved": approved}
    get_adapter().send_mail(
        subject=render_to_string("carepay/email/payment_decided_subject.txt", context).strip(),
        message=render_to_string("carepay/email/payment_decided_body.txt", context),
        recipient_list=[recipient], invoice=invoice,
    )
