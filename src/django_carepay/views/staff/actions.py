"""What staff do from an invoice's page: issue, (re)send, record a payment, refund,
void, write off, approve or reject a transfer; and a draft's lines.

Every action is a POST form that works without JavaScript. Each is checked in order:
the user's permission (a styled 403 before anything runs), the form, then the service
under :func:`~django_carepay.services.act_if_unchanged` (the invoice must still be as
the page showed it, so a form sent twice acts once). A refusal re-renders the page
with the error next to its field (400 for bad input, 409 for the invoice's state);
success redirects back to the page with a message (POST/redirect/GET).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ... import permissions, services
from ...backends import available_backends
from ...emails import backend_label, payer_email
from ...exceptions import CarepayError, ChangedMeanwhile, InvalidInput, WouldOverpay
from ...forms import add_service_error
from ...forms.actions import (
    CloseForm,
    DraftLineForm,
    InvoiceApproveForm,
    InvoiceRejectForm,
    IssueForm,
    RecordPaymentForm,
    RefundForm,
    VersionForm,
)
from ...models import Invoice, InvoiceLine, Payment, Transaction
from ...money import display_money
from ..access import staff_view
from .approvals import overpayment_advice
from .invoices import get_invoice, line_prefix, payment_prefix, render_invoice


def _may(rule: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """``rule`` and seeing invoices: every action re-renders the invoice's page."""
    return lambda user: permissions.can_view_invoices(user) and rule(user)


editor_required = staff_view(_may(permissions.can_change_invoice), _(
    "Changing, issuing and sending invoices needs the “Can change invoice” permission."))
recorder_required = staff_view(_may(permissions.can_record_payment), _(
    "Recording payments needs the “Can record manual payments” permission."))
refunder_required = staff_view(_may(permissions.can_refund), _(
    "Refunds need the “Can refund payments” permission."))
closer_required = staff_view(_may(permissions.can_void), _(
    "Voiding and writing off invoices needs the “Can void and write off invoices” "
    "permission."))
approver_required = staff_view(_may(permissions.can_approve), _(
    "Approving and rejecting payments needs the “Can approve or reject submitted "
    "payments” permission."))


def _act(request: HttpRequest, invoice: Invoice, key: str, form: forms.Form,
         call: Callable[[dict[str, Any]], Any], success: Callable[[Any], str], *,
         backend: str = "",
         on_refusal: Callable[[forms.Form, CarepayError], None] = add_service_error,
         ) -> HttpResponse:
    """Validate ``form``, run ``call(cleaned_data)`` if the invoice is unchanged, and
    answer: back to the page with ``success(result)``, or the page again with the
    refusal on the form (``key`` in the page's forms)."""
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.act_if_unchanged(invoice, data.get("version", ""),
                                               lambda: call(data), backend=backend)
        except ChangedMeanwhile as exc:
            return render_invoice(request, get_invoice(invoice.public_id), notice=str(exc),
                                  status=409)
        except CarepayError as exc:
            on_refusal(form, exc)
            status = 400 if isinstance(exc, InvalidInput) else 409
        else:
            messages.success(request, success(result))
            return redirect("carepay:staff_invoice", invoice.public_id)
    return render_invoice(request, get_invoice(invoice.public_id), bound={key: form},
                          status=status)


# -- the invoice ----------

@require_POST
@editor_required
def issue(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    form = IssueForm(request.POST, prefix="issue")

    def done(issued: Invoice) -> str:
        if not form.cleaned_data["send_email"]:
            return gettext("Issued %(number)s.") % {"number": issued.number}
        if recipient := payer_email(issued):
            return gettext("Issued %(number)s and e-mailed it to %(email)s.") % {
                "number": issued.number, "email": recipient}
        return gettext("Issued %(number)s. It has no e-mail address for the payer, so it "
                       "was not sent.") % {"number": issued.number}

    return _act(request, invoice, "issue", form, lambda data: services.issue_invoice(
        invoice, by=request.user, send_email=data["send_email"]), done)


@require_POST
@editor_required
def send(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    form = VersionForm(request.POST, prefix="send")
    # Sending changes nothing on the invoice, so the version is not a one-time token
    # here: the form only has to come from the page as it is now.
    return _act(request, invoice, "send", form,
                lambda data: services.email_invoice(invoice, by=request.user),
                lambda recipient: gettext("Sent %(number)s to %(email)s.") % {
                    "number": invoice.number, "email": recipient})


@require_POST
@recorder_required
def record_payment(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    awaiting = invoice.payments.filter(status=Payment.Status.AWAITING_APPROVAL).exists()
    form = RecordPaymentForm(request.POST, prefix="record", invoice=invoice,
                             backends=available_backends(invoice, staff=True),
                             awaiting_approval=awaiting)

    def refused(form: forms.Form, exc: CarepayError) -> None:
        if isinstance(exc, WouldOverpay) and "allow_pending_transfers" in form.fields:
            form.add_error("allow_pending_transfers", exc.situation + " " + gettext(
                "Approve or reject the transfer first, or tick this box to record the "
                "payment anyway."))
        else:
            add_service_error(form, exc)

    return _act(
        request, invoice, "record", form,
        lambda data: services.record_payment(
            invoice, backend=data["backend"], amount=data["amount"],
            reference=data["reference"], notes=data["notes"], paid_on=data["paid_on"],
            by=request.user,
            allow_pending_transfers=data.get("allow_pending_transfers", False)),
        lambda payment: gettext("Recorded %(amount)s (%(method)s) on %(number)s.") % {
            "amount": display_money(payment.amount, payment.currency),
            "method": backend_label(payment.backend),
            "number": invoice.number},
        on_refusal=refused)


@require_POST
@closer_required
def void(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    return _act(request, invoice, "void", CloseForm(request.POST, prefix="void"),
                lambda data: services.void_invoice(invoice, by=request.user,
                                                   reason=data["reason"]),
                lambda voided: gettext("Voided %(invoice)s.") % {"invoice": voided})


@require_POST
@closer_required
def write_off(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    return _act(request, invoice, "write_off", CloseForm(request.POST, prefix="writeoff"),
                lambda data: services.write_off_invoice(invoice, by=request.user,
                                                        reason=data["reason"]),
                lambda closed: gettext("Wrote off %(number)s as uncollectible.") % {
                    "number": closed.number})


# -- its payments ----------

def _payment(invoice: Invoice, payment_id: object) -> Payment:
    return get_object_or_404(invoice.payments.all(), public_id=payment_id)


@require_POST
@refunder_required
def refund(request: HttpRequest, public_id: object, payment_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    payment = _payment(invoice, payment_id)
    form = RefundForm(request.POST, prefix=payment_prefix(payment, "refund"),
                      payment=payment)
    return _act(
        request, invoice, f"refund-{payment.pk}", form,
        lambda data: services.refund_payment(payment, amount=data["amount"], by=request.user,
                                             reason=data["reason"]),
        lambda txn: _refunded(txn, payment),
        backend=payment.backend)


def _refunded(txn: Transaction, payment: Payment) -> str:
    if txn.replayed:
        # The provider replayed a refund its notification had already recorded (the
        # first answer was lost): say nothing moved, so a second refund of the same
        # amount is never believed made.
        return gettext(
            "That refund had already been made: %(amount)s (%(reference)s) was recorded "
            "from %(method)s's notification. Nothing was refunded again; refund again "
            "if another %(amount)s is owed."
        ) % {"amount": display_money(txn.amount, txn.currency),
             "reference": txn.provider_reference, "method": backend_label(payment.backend)}
    return gettext("Refunded %(amount)s of the %(method)s payment.") % {
        "amount": display_money(txn.amount, txn.currency),
        "method": backend_label(payment.backend)}


@require_POST
@approver_required
def approve(request: HttpRequest, public_id: object, payment_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    payment = _payment(invoice, payment_id)
    form = InvoiceApproveForm(request.POST, prefix=payment_prefix(payment, "approve"))

    def refused(form: forms.Form, exc: CarepayError) -> None:
        if isinstance(exc, WouldOverpay):
            form.add_error("allow_overpayment", overpayment_advice(exc))
        else:
            add_service_error(form, exc)

    return _act(
        request, invoice, f"approve-{payment.pk}", form,
        lambda data: services.approve_payment(
            payment, by=request.user, notes=data["notes"], amount=data["amount"],
            allow_overpayment=data["allow_overpayment"]),
        lambda approved: gettext("Approved %(amount)s (%(reference)s).") % {
            "amount": display_money(approved.amount_received, approved.currency),
            "reference": approved.reference or approved.backend},
        on_refusal=refused)


@require_POST
@approver_required
def reject(request: HttpRequest, public_id: object, payment_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    payment = _payment(invoice, payment_id)
    return _act(
        request, invoice, f"reject-{payment.pk}",
        InvoiceRejectForm(request.POST, prefix=payment_prefix(payment, "reject")),
        lambda data: services.reject_payment(payment, by=request.user, notes=data["reason"]),
        lambda rejected: gettext("Rejected %(reference)s; the payer was told why.") % {
            "reference": rejected.reference or rejected.backend})


# -- a draft's lines ----------

@require_POST
@editor_required
def add_line(request: HttpRequest, public_id: object) -> HttpResponse:
    invoice = get_invoice(public_id)
    form = DraftLineForm(request.POST, prefix="newline", currency=invoice.currency)
    return _act(request, invoice, "line-new", form,
                lambda data: services.add_line(invoice, **form.line_values()),
                lambda line: gettext("Added “%(line)s”.") % {"line": line.description})


@require_POST
@editor_required
def edit_line(request: HttpRequest, public_id: object, line_id: int) -> HttpResponse:
    invoice = get_invoice(public_id)
    line = get_object_or_404(InvoiceLine, pk=line_id, invoice=invoice)
    form = DraftLineForm(request.POST, prefix=line_prefix(line), currency=invoice.currency)
    return _act(request, invoice, f"line-{line.pk}", form,
                lambda data: services.update_line(line, **form.line_values()),
                lambda changed: gettext("Changed “%(line)s”.") % {
                    "line": changed.description})


@require_POST
@editor_required
def remove_line(request: HttpRequest, public_id: object, line_id: int) -> HttpResponse:
    invoice = get_invoice(public_id)
    line = get_object_or_404(InvoiceLine, pk=line_id, invoice=invoice)
    return _act(request, invoice, "remove", VersionForm(request.POST, prefix="remove"),
                lambda data: services.remove_line(line),
                lambda _result: gettext("Removed “%(line)s”.") % {"line": line.description})
