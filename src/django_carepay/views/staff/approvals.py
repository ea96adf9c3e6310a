"""The approvals queue and the decisions on it.

Every page needs ``carepay.approve_payment`` (a styled 403 otherwise; anonymous
visitors are sent to log in); decisions go through :mod:`django_carepay.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from ... import permissions, services
from ...emails import backend_label
from ...exceptions import CarepayError, WouldOverpay
from ...forms import ApproveForm, RejectForm
from ...models import Payment
from ..access import render_staff, staff_view

#: Kept for code that imported it; the name lives in :mod:`django_carepay.permissions`.
APPROVE_PERMISSION = permissions.APPROVE_PAYMENT


#: 403 (styled, nothing runs) unless the user may approve payments; anonymous GETs
#: are sent to log in.
approver_required = staff_view(permissions.can_approve,
                               _("Approving and rejecting payments needs the "
                                 "“Can approve or reject submitted payments” permission."))


def overpayment_advice(exc: WouldOverpay) -> str:
    """What staff read when approving would overpay the invoice, and what to do."""
    return exc.situation + " " + gettext(
        "Tick “Record an overpayment” to approve it anyway, or reject it if the money "
        "did not arrive.")


@require_GET
@approver_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Payments awaiting approval, oldest first, with what staff need to decide:
    a payment that would overpay its invoice (paid another way meanwhile) says so."""
    waiting = Payment.objects.awaiting_approval().select_related("invoice", "recorded_by")
    return render_staff(request, "carepay/staff/approvals.html", {
        "rows": [{"payment": p, "method": backend_label(p.backend),
                  "overpays_by": p.invoice.overpayment_if_received(p.amount)}
                 for p in waiting],
        "approve_form": ApproveForm(), "reject_form": RejectForm(),
    })


@require_POST
@approver_required
def approve(request: HttpRequest, public_id: object) -> HttpResponse:
    payment = get_object_or_404(Payment, public_id=public_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Not approved: %(reason)s") % {
            "reason": form.errors.as_text()})
        return redirect("carepay:approvals")
    try:
        services.approve_payment(payment, by=request.user, notes=form.cleaned_data["notes"],
                                 amount=form.cleaned_data["amount"],
                                 allow_overpayment=form.cleaned_data["allow_overpayment"])
    except WouldOverpay as exc:
        messages.error(request, gettext("Not approved: %(reason)s") % {
            "reason": overpayment_advice(exc)})
    except CarepayError as exc:
        messages.error(request, gettext("Not approved: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, gettext("Approved %(reference)s for %(number)s.") % {
            "reference": payment.reference, "number": payment.invoice.number})
    return redirect("carepay:approvals")


@require_POST
@approver_required
def reject(request: HttpRequest, public_id: object) -> HttpResponse:
    payment = get_object_or_404(Payment, public_id=public_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Not rejected: give a reason; the payer is told it."))
        return redirect("carepay:approvals")
    try:
        services.reject_payment(payment, by=request.user, notes=form.cleaned_data["reason"])
    except CarepayError as exc:
        messages.error(request, gettext("Not rejected: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, gettext(
            "Rejected %(reference)s for %(number)s; the payer was told why.") % {
            "reference": payment.reference, "number": payment.invoice.number})
    return redirect("carepay:approvals")
