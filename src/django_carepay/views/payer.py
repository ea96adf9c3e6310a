"""Pages for the people who pay: their invoices, an invoice, paying it, the result.

Thin: find the invoice the requester may see (else 404), call a service, render.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .. import permissions, services
from ..backends import BasePaymentBackend, available_backends, get_backend
from ..exceptions import CarepayError, InvalidLink, UnknownBackend
from ..forms import TransferConfirmationForm

# SESSION_KEY and can_view live in links; still importable from here.
from ..links import SESSION_KEY as SESSION_KEY
from ..links import can_view, grant_session, resolve_payment_link
from ..models import Invoice, Payment
from ..types import ActionKind


def get_invoice_for_payer(request: HttpRequest, public_id: object) -> Invoice:
    invoice = get_object_or_404(Invoice, public_id=public_id)
    if not can_view(request, invoice):
        raise Http404("No invoice found.")
    return invoice


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = (Invoice.objects.filter(customer=request.user)
                .exclude(status=Invoice.Status.DRAFT).order_by("-issued_at", "-id"))
    return render(request, "carepay/invoice_list.html", {"invoices": invoices})


@require_GET
def invoice_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice_for_payer(request, public_id)
    return render(request, "carepay/invoice_detail.html", {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "payments": invoice.payments.exclude(status=Payment.Status.CANCELLED),
        "methods": available_backends(invoice) if invoice.is_payable else [],
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
        return render(request, "carepay/pay_error.html",
                      {"invoice": invoice, "error": str(exc)}, status=409)
    payment, action = started.payment, started.action
    if action is None:  # the payer already paid (we had not heard yet): show it
        return redirect("carepay:payment_return", public_id=payment.public_id)
    if action.kind == ActionKind.REDIRECT:
        return redirect(action.url)
    return render(request, action.template or "carepay/pay.html", {
        "invoice": invoice, "payment": payment, "backend": backend,
        "return_url": request.build_absolute_uri(
            reverse("carepay:payment_return", args=[payment.public_id])),
        **action.context,
    })


def _submit_transfer(request: HttpRequest, invoice: Invoice,
                     backend: BasePaymentBackend) -> HttpResponse:
    if not invoice.is_payable:
        return render(request, "carepay/pay_error.html", {
            "invoice": invoice, "error": f"Invoice {invoice.number} has nothing left to pay.",
        }, status=409)
    action = backend.payment_instructions(invoice)
    form = TransferConfirmationForm(
        request.POST or None, request.FILES or None,
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
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you: we received your payment details and will "
                                      "confirm once the money has arrived.")
            return redirect("carepay:invoice_detail", public_id=invoice.public_id)
    return render(request, action.template, {
        "invoice": invoice, "backend": backend, "form": form, **action.context,
    }, status=400 if form.errors else 200)


@require_GET
def payment_proof(request: HttpRequest, public_id: object) -> FileResponse:
    """A payment's proof file, for staff who may decide on it and for its payer only.

    Always a download, sandboxed and never sniffed: the file is the payer's upload (a
    PDF may carry JavaScript), so no browser may run it with our origin's session.
    """
    payment = get_object_or_404(Payment.objects.select_related("invoice"), public_id=public_id)
    allowed = permissions.can_see_proofs(request.user) or can_view(request, payment.invoice)
    if not allowed or not payment.proof:
        raise Http404("No proof found.")
    name = f"proof-{payment.invoice.number}{Path(payment.proof.name).suffix}"
    response = FileResponse(payment.proof.open("rb"), as_attachment=True, filename=name)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
    return render(request, "carepay/payment_result.html", {
        "invoice": invoice, "payment": payment, "error": error,
        "retry_url": reverse("carepay:invoice_detail", args=[invoice.public_id]),
    })
