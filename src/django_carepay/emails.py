"""carepay's own e-mails. Called on commit, never inside a transaction that may roll back."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string

from .adapter import get_adapter

logger = logging.getLogger("django_carepay")


def send_invoice_email(invoice_pk: int) -> None:
    """E-mail an issued invoice to its billing address, with its payment link."""
    from .models import Invoice
    from .services import payment_link

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
        recipient_list=[invoice.billing_email],
    )
