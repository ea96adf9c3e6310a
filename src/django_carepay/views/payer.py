"""Pages for the people who pay: their invoices, an invoice, paying it, the result.

Thin: find the invoice the requester may see (else carepay's styled 404), call a
service, render. What the list and an invoice's history show is read in
:mod:`.portal`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import permissions, services
from ..backends import BasePaymentBackend, available_backends, backend_label, get_backend
from ..documents.render import issuer
from ..exceptions import CarepayError, InvalidLink, UnknownBackend
from ..forms import TransferConfirmationForm, add_service_error

# SESSION_KEY and can_view live in links; still importable from here.
from ..links import SESSION_KEY as SESSION_KEY
from ..links import can_view, grant_session, resolve_payment_link
from ..models import Invoice, Payment
from ..types import ActionKind
from . import portal
from .access import not_found, payer_view

#: Invoices a page of the payer's list.
PAGE_SIZE = 25


def get_invoice_for_payer(request: HttpRequest, public_id: object) -> Invoice:
    """The invoice ``public_id`` names if the requester may see it; else ``Http404``."""
    invoice = get_object_or_404(Invoice, public_id=public_id)
    if not can_view(request, invoice):
        raise Http404("No invoice found.")
    return invoice


def _list_url(status: str, terms: str, page: int | None = None) -> str:
    query = {"status": status, "q": terms, "page": page}
    return "?" + urlencode({k: v for k, v in query.items() if v})


def pay_now_url(invoice: Invoice, methods: list[BasePaymentBackend]) -> str:
    """Where "Pay now" goes: straight to the one method there is, else to the
    invoice's choice of methods; ``""`` when nothing can be paid online."""
    if not methods:
        return ""
    if len(methods) == 1:
        return reverse("carepay:pay", args=[invoice.public_id, methods[0].alias])
    return reverse("carepay:invoice_detail", args=[invoice.public_id]) + "#pay"


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    """``carepay:invoice_list``: the payer's invoices, by status (``?status=``, default
    outstanding), searched (``?q=``), 25 a page (``?page=``), with summary cards."""
    tab = portal.status_filter(request.GET.get("status"))
    terms = portal.search_terms(request.GET.get("q"))
    found = portal.search(portal.payer_invoices(request.user), terms)
    counts = portal.tab_counts(found)
    page = Paginator(portal.list_rows(found, tab), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for invoice in page.object_list:
        # No "Pay now" while a payment of it is processing: paying again is refused.
        payable = invoice.is_payable and not getattr(invoice, "processing", False)
        methods = available_backends(invoice) if payable else []
        rows.append({"invoice": invoice, "pay_url": pay_now_url(invoice, methods)})
    return render(request, "carepay/invoice_list.html", {
        "invoices": page.object_list, "rows": rows, "page_obj": page,
        "tab": tab, "terms": terms, "counts": counts,
        # A tab with nothing in it is left out, unless it is the one shown or one a
        # payer always looks for (outstanding, all).
        "tabs": [{"key": f.key, "label": f.label, "count": counts[f.key],
                  "url": _list_url(f.key, terms), "current": f is tab,
                  "shown": bool(counts[f.key]) or f is tab
                  or f.key in (portal.DEFAULT_FILTER.key, "all")}
                 for f in portal.STATUS_FILTERS],
        "previous_url": _list_url(tab.key, terms, page.previous_page_number())
        if page.has_previous() else "",
        "next_url": _list_url(tab.key, terms, page.next_page_number())
        if page.has_next() else "",
        "clear_search_url": _list_url(tab.key, ""),
        "summary": portal.summary(request.user),
    })


def _on_its_way(invoice: Invoice, payments: list[Payment] | None = None) -> dict[str, Any]:
    """The invoice's money on its way: its transfers being checked and its payments
    processing (a bank debit, which takes days), each with their total. While one is
    processing, paying online again is refused (``services.begin_payment``), so the
    pages offer no "Pay now"."""
    if payments is None:
        payments = list(invoice.payments.filter(status__in=(
            Payment.Status.AWAITING_APPROVAL, Payment.Status.PROCESSING))
            .order_by("created_at", "id"))
    waiting = [p for p in payments if p.status == Payment.Status.AWAITING_APPROVAL]
    processing = [p for p in payments if p.status == Payment.Status.PROCESSING]
    return {"awaiting": waiting,
            "awaiting_total": sum((p.amount for p in waiting), Decimal(0)),
            "processing": processing,
            "processing_total": sum((p.amount for p in processing), Decimal(0))}


@payer_view
@require_GET
def invoice_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    """``carepay:invoice_detail``: everything about one invoice, and how to pay it."""
    invoice = get_invoice_for_payer(request, public_id)
    payments = list(portal.history_payments(invoice))
    methods = available_backends(invoice) if invoice.is_payable else []
    return render(request, "carepay/invoice_detail.html", {
        "invoice": invoice,
        "issuer": issuer(invoice),
        "lines": invoice.lines.all(),
        "payments": payments,
        "history": portal.payment_history(invoice, payments, request.user),
        "refunds": portal.refunds(invoice),
        "methods": methods,
        **_on_its_way(invoice, payments),
    })


@require_GET
def invoice_link(request: HttpRequest, token: str) -> HttpResponse:
    """A signed payment link: grant this session access to the invoice, then show it."""
    try:
        invoice = resolve_payment_link(token)
    except InvalidLink as exc:
        return render(request, "carepay/link_invalid.html", {"error": str(exc)}, status=404)
    grant_session(request, invoice)
    return redirect("carepay:invoice_detail", public_id=invoice.public_id)


@payer_view
def pay(request: HttpRequest, public_id: object, alias: str) -> HttpResponse:
    """Pay an invoice: an online method's payment page, or an offline method's
    instructions and confirmation form."""
    invoice = get_invoice_for_payer(request, public_id)
    try:
        backend = get_backend(alias)
    except UnknownBackend:
        raise Http404("No such payment method.") from None
    if backend not in available_backends(invoice):
        raise Http404("That payment method is not available for this invoice.")
    if backend.requires_approval:  # the payer pays elsewhere, then tells us
        return _submit_transfer(request, invoice, backend)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        started = services.begin_payment(invoice, backend=alias, request=request)
    except CarepayError as exc:
        return _pay_error(request, invoice, str(exc))
    payment, action = started.payment, started.action
    if action is None:  # the payer already paid (we had not heard yet): show it
        return redirect("carepay:payment_return", public_id=payment.public_id)
    if action.kind == ActionKind.REDIRECT:
        return redirect(action.url)
    return render(request, action.template or "carepay/pay.html", {
        "invoice": invoice, "payment": payment, "backend": backend,
        "return_url": request.build_absolute_uri(
            reverse("carepay:payment_return", args=[payment.public_id])),
        "page_url": request.get_full_path(),
        **_on_its_way(invoice), **action.context,
    })


def _pay_error(request: HttpRequest, invoice: Invoice, error: str) -> HttpResponse:
    return render(request, "carepay/pay_error.html", {"invoice": invoice, "error": error},
                  status=409)


def _submit_transfer(request: HttpRequest, invoice: Invoice,
                     backend: BasePaymentBackend) -> HttpResponse:
    if not invoice.is_payable:
        return _pay_error(request, invoice, _("Invoice %(number)s has nothing left to pay.")
                          % {"number": invoice.number})
    action = backend.payment_instructions(invoice)
    form = TransferConfirmationForm(
        request.POST or None, request.FILES or None, label_suffix="",
        initial={"amount": invoice.amount_due, "reference": action.context["reference"]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.submit_transfer(
                invoice, backend=backend.alias, amount=data["amount"],
                reference=data["reference"], notes=data["notes"], paid_on=data["paid_on"],
                proof=data["proof"] or None,
                by=request.user if request.user.is_authenticated else None,
            )
        except CarepayError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Thank you: we received your payment details and "
                                        "will confirm once the money has arrived."))
            return redirect("carepay:invoice_detail", public_id=invoice.public_id)
    return render(request, action.template, {
        "invoice": invoice, "backend": backend, "form": form,
        **_on_its_way(invoice), **action.context,
    }, status=400 if form.errors else 200)


@require_GET
def payment_proof(request: HttpRequest, public_id: object) -> HttpResponseBase:
    """A payment's proof file, for staff who may decide on it and for its payer only.

    Always a download, sandboxed and never sniffed: the file is the payer's upload (a
    PDF may carry JavaScript), so no browser may run it with our origin's session.
    """
    payment = Payment.objects.select_related("invoice").filter(public_id=public_id).first()
    if payment is None or not payment.proof or not (
            permissions.can_see_proofs(request.user) or can_view(request, payment.invoice)):
        return not_found(request)
    name = f"proof-{payment.invoice.number}{Path(payment.proof.name).suffix}"
    response = FileResponse(payment.proof.open("rb"), as_attachment=True, filename=name)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@payer_view
@require_GET
def payment_return(request: HttpRequest, public_id: object) -> HttpResponse:
    """Where the payer lands after paying: ask the provider, never the query string."""
    payment = get_object_or_404(Payment.objects.select_related("invoice"), public_id=public_id)
    invoice = payment.invoice
    if not can_view(request, invoice):
        raise Http404("No payment found.")
    error = ""
    if payment.status in Payment.IN_FLIGHT or payment.status == Payment.Status.FAILED:
        try:
            update = get_backend(payment.backend).sync(payment)
            if update is not None:
                services.apply_provider_update(update)
        except CarepayError as exc:
            error = str(exc)
        payment = Payment.objects.select_related("invoice").get(pk=payment.pk)
        invoice = payment.invoice
    detail_url = reverse("carepay:invoice_detail", args=[invoice.public_id])
    return render(request, "carepay/payment_result.html", {
        "invoice": invoice, "payment": payment, "error": error,
        # The provider answered and still has no payment (e.g. Checkout's "back",
        # cancel_url): nothing is on its way, so never say "don't pay again".
        "unpaid": payment.status == Payment.Status.PENDING and not error,
        "method": backend_label(payment.backend),
        "detail_url": detail_url,
        "retry_url": f"{detail_url}#pay",
        "check_url": request.get_full_path(),
        # A payer who came from a payment link has no list to go back to.
        "list_url": reverse("carepay:invoice_list")
        if request.user.is_authenticated else "",
    })
