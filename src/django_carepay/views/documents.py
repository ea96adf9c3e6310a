"""PDF downloads: an invoice and a payment's receipt, under the invoice page's rule;
and the logged-in payer's own statement of account (page and PDF).

Whoever may see the invoice page (its customer, a session that opened its payment
link) or staff who may see every invoice get the PDF; anyone else a 404, so a
guessed id reveals nothing. Staff also get a draft's watermarked preview.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .. import documents, permissions
from ..documents.statement import statement_context
from ..links import can_view
from ..models import Invoice, Payment
from .access import payer_view


def may_download(request: HttpRequest, invoice: Invoice) -> bool:
    """The invoice page's rule, or staff with ``carepay.view_invoice``."""
    return can_view(request, invoice) or permissions.can_view_invoices(request.user)


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """``content`` shown inline by the browser, saved as ``filename``; never cached by
    a shared cache (it is someone's bill)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@payer_view
@require_GET
def invoice_pdf(request: HttpRequest, public_id: object) -> HttpResponse:
    """``carepay:invoice_pdf``: the invoice's stored PDF (a draft's preview for staff)."""
    invoice = get_object_or_404(Invoice, public_id=public_id)
    if not may_download(request, invoice):
        raise Http404("No invoice found.")
    name = invoice.number or f"draft-{invoice.public_id.hex[:8]}"
    return pdf_response(documents.invoice_pdf(invoice, request=request), f"{name}.pdf")


@payer_view
@require_GET
def receipt_pdf(request: HttpRequest, public_id: object) -> HttpResponse:
    """``carepay:receipt_pdf``: the receipt of a payment that received money."""
    payment = get_object_or_404(
        Payment.objects.select_related("invoice"), public_id=public_id,
        status__in=Payment.RECEIVED,
    )
    if not may_download(request, payment.invoice):
        raise Http404("No payment found.")
    filename = f"receipt-{payment.invoice.number}-{payment.public_id.hex[:8]}.pdf"
    return pdf_response(documents.receipt_pdf(payment), filename)


def _currency(request: HttpRequest) -> str | None:
    code = (request.GET.get("currency") or "").strip().upper()
    if code and not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise Http404("No such currency.")
    return code or None


def _statement_customer(request: HttpRequest) -> Any:
    """Whose statement: the logged-in payer's own, or (``?customer=<id>``) a
    customer's for staff who may view invoices; anything else is 404."""
    wanted = request.GET.get("customer")
    if wanted is None:
        return request.user
    if not permissions.can_view_invoices(request.user):
        raise Http404("No such statement.")
    try:
        return get_user_model().objects.get(pk=wanted)
    except (get_user_model().DoesNotExist, ValueError, TypeError):
        raise Http404("No such customer.") from None


@login_required
@payer_view
@require_GET
def statement(request: HttpRequest) -> HttpResponse:
    """``carepay:statement``: the logged-in payer's own statement of account (staff
    who may view invoices: any customer's, ``?customer=<id>``)."""
    currency = _currency(request)
    context = statement_context(_statement_customer(request), currency=currency)
    return render(request, "carepay/statement.html", {**context, "currency": currency})


@login_required
@payer_view
@require_GET
def statement_pdf(request: HttpRequest) -> HttpResponse:
    """``carepay:statement_pdf``: the same statement as an A4 PDF (``?currency=GBP``
    for one currency); rendered afresh, never stored."""
    currency = _currency(request)
    content = documents.render_statement_pdf(_statement_customer(request), currency=currency)
    suffix = f"-{currency}" if currency else ""
    return pdf_response(content, f"statement{suffix}-{timezone.localdate():%Y-%m-%d}.pdf")
