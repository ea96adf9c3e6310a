"""Who may see and do what through the JSON API: the pages' rules, as DRF sees them.

A payer sees their own invoices, or one whose payment link was opened in this session
(:func:`django_carepay.links.can_view`); staff see any by permission
(:mod:`django_carepay.permissions`). What the requester may not see is a 404, as on the
pages; an anonymous requester is asked to authenticate instead (401, or 403 where the
host's authentication has no challenge to send), whether the object exists or not.
These are checked on top of the host's ``DEFAULT_PERMISSION_CLASSES``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .. import permissions
from ..links import can_view
from ..models import Invoice, Payment


class IsAuthenticated(BasePermission):
    """Signed in (the requester's own invoices)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)


class CanApprovePayments(BasePermission):
    """``carepay.approve_payment``: the approvals queue, approve, reject."""

    message = "You may not approve or reject payments."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and permissions.can_approve(request.user))


class CanRefundPayments(BasePermission):
    """``carepay.refund_payment``."""

    message = "You may not refund payments."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and permissions.can_refund(request.user))


def _hidden(request: Request, what: str) -> exceptions.APIException:
    if not (request.user and request.user.is_authenticated):
        return exceptions.NotAuthenticated()
    return exceptions.NotFound(f"No {what} found.")


def payer_invoice(request: Request, public_id: object) -> Invoice:
    """An issued invoice the requester may view and pay (owner or payment link)."""
    invoice = Invoice.objects.filter(public_id=public_id).first()
    if invoice is None or not can_view(request, invoice):
        raise _hidden(request, "invoice")
    return invoice


def viewable_invoice(request: Request, public_id: object) -> Invoice:
    """An invoice with its lines and payments, for its payer or for staff who may see
    every invoice (three queries, whatever the number of lines and payments)."""
    invoice = (Invoice.objects.filter(public_id=public_id)
               .prefetch_related("lines", Prefetch(
                   "payments", to_attr="visible_payments",
                   queryset=Payment.objects.exclude(status=Payment.Status.CANCELLED)
                   .order_by("created_at", "id")))
               .first())
    if invoice is None or not (can_view(request, invoice)
                               or permissions.can_view_invoices(request.user)):
        raise _hidden(request, "invoice")
    return invoice


def viewable_payment(request: Request, public_id: object) -> Payment:
    """A payment of an invoice the requester may view, or any for staff who decide on,
    refund or may see payments."""
    payment = (Payment.objects.select_related("invoice")
               .filter(public_id=public_id).first())
    if payment is None:
        raise _hidden(request, "payment")
    user = request.user
    if can_view(request, payment.invoice) or permissions.can_see_proofs(user) \
            or permissions.can_refund(user):
        return payment
    raise _hidden(request, "payment")


def staff_payment(public_id: object) -> Payment:
    """A payment for staff whose permission was checked already: 404 if unknown."""
    payment = Payment.objects.select_related("invoice").filter(public_id=public_id).first()
    if payment is None:
        raise exceptions.NotFound("No payment found.")
    return payment
