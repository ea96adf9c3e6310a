"""Render invoices and receipts to PDF from their templates, fresh each time.

``render_*`` never store anything and never change billing state; what to keep and
serve again is :mod:`django_carepay.documents.stored`'s job. Templates live under
``carepay/pdf/`` and extend ``carepay/pdf/base.html`` (blocks ``issuer``,
``billed_to``, ``lines``, ``totals``, ``payment_instructions``, ``footer``), so a host
overrides one block or one template.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum, Value
from django.template.loader import render_to_string

from ..adapter import get_adapter
from ..backends import backend_label
from ..exceptions import CarepayConfigurationError, InvalidState
from ..links import payment_link
from ..models import Invoice, Payment, Transaction
from ..models.ledger import kept_amount
from ..money import normalize
from . import engine, epc

#: The keys ``adapter.issuer_details()`` may return; missing ones render as blank.
ISSUER_KEYS = ("name", "address", "logo", "tax_id", "email", "phone", "website")


def issuer(invoice: Invoice) -> dict[str, Any]:
    """Who issues ``invoice``, with every key of :data:`ISSUER_KEYS` present."""
    return {**dict.fromkeys(ISSUER_KEYS, ""), **get_adapter().issuer_details(invoice)}


def pay_link(invoice: Invoice, request: Any = None) -> str:
    """The signed pay link printed on an open invoice, or ``""`` when the invoice has
    nothing to pay or no absolute link can be built (check ``carepay.W001`` says why).

    Built from ``CAREPAY["SITE_URL"]`` (or the current Site) when there is one, so a
    stored PDF does not depend on the host name of whoever downloaded it first; from
    ``request`` only when neither is configured.
    """
    if not invoice.is_payable:
        return ""
    for source in (None, request):
        try:
            return payment_link(invoice, request=source, document=True)
        except CarepayConfigurationError:
            continue
    return ""


def invoice_context(invoice: Invoice, *, request: Any = None) -> dict[str, Any]:
    """What ``carepay/pdf/invoice.html`` is rendered with."""
    link = pay_link(invoice, request)
    details = issuer(invoice)
    return {
        "invoice": invoice,
        "currency": invoice.currency,
        "issuer": details,
        "lines": list(invoice.lines.all()),
        "draft": invoice.status == Invoice.Status.DRAFT,
        "pay_link": link,
        "pay_qr": engine.qr_svg(link) if link else "",
        "giro_codes": epc.giro_codes(invoice, beneficiary=str(details["name"])),
        "title": invoice.number or "Draft invoice",
    }


def due_after(payment: Payment) -> Decimal:
    """What was left to pay on the invoice just after ``payment``'s money came in: its
    total less the ledger's money up to and including this payment's charge, never
    below zero. A receipt is kept as first rendered, so its "Amount due" must not
    depend on when it is first opened (after later payments or refunds)."""
    invoice = payment.invoice
    charge = payment.transactions.filter(kind=Transaction.Kind.CHARGE).order_by("pk").first()
    if charge is None:  # money recorded without a ledger charge: the figure as it is
        return invoice.amount_payable
    held = Transaction.objects.filter(invoice=invoice, pk__lte=charge.pk).aggregate(
        held=Sum(kept_amount(), default=Value(Decimal(0))))["held"]
    due = normalize(invoice.total - held, invoice.currency)
    return max(due, Decimal(0).quantize(due))


def receipt_context(payment: Payment) -> dict[str, Any]:
    """What ``carepay/pdf/receipt.html`` is rendered with."""
    invoice = payment.invoice
    method = backend_label(payment.backend)
    return {
        "invoice": invoice,
        "payment": payment,
        "due_after": due_after(payment),
        "currency": payment.currency,
        "issuer": issuer(invoice),
        "lines": list(invoice.lines.all()),
        "method": method,
        "confirmation": payment.provider_reference or payment.reference or payment.public_id,
        "title": f"Receipt for {invoice.number}",
    }


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``template_name`` with ``context`` to PDF bytes."""
    return engine.html_to_pdf(render_to_string(template_name, context))


def render_invoice_pdf(invoice: Invoice, *, request: Any = None) -> bytes:
    """``invoice`` as an A4 PDF, as it stands now; a draft carries a DRAFT watermark.

    Renders every time: use :func:`~django_carepay.documents.invoice_pdf` to serve an
    issued invoice's stored copy.
    """
    return render_pdf("carepay/pdf/invoice.html", invoice_context(invoice, request=request))


def render_receipt_pdf(payment: Payment) -> bytes:
    """A receipt for ``payment`` as an A4 PDF; refuses a payment that received no money
    (:class:`InvalidState`)."""
    if payment.status not in Payment.RECEIVED:
        raise InvalidState(f"Payment {payment.public_id} received no money: no receipt.")
    return render_pdf("carepay/pdf/receipt.html", receipt_context(payment))
