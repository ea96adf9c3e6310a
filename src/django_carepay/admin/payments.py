"""Payments in the admin: read-only records, approved, rejected or refunded by staff.

Staff actions need carepay's permissions (:mod:`django_carepay.permissions`): refunds
``carepay.refund_payment``, approving and rejecting ``carepay.approve_payment``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..backends import backend_label
from ..exceptions import InvalidState, WouldOverpay
from ..forms import RejectForm
from ..models import Payment, Transaction
from ..money import display_money
from .actions import (
    StaffPermissionsMixin,
    act_once,
    apply_to_each,
    change_page_url,
    confirm_with_reason,
    render_form_page,
)
from .display import ReadOnlyAdminMixin, describe_payment, money_display
from .forms import RefundForm
from .ledger import TransactionInline


@admin.register(Payment)
class PaymentAdmin(StaffPermissionsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Payments are made by payers and services, never typed here.

    Staff with ``carepay.refund_payment`` refund from a payment's page; staff with
    ``carepay.approve_payment`` approve or reject submitted payments (bank transfers)
    from the list.
    """

    list_display = ("invoice_number", "backend", "status", "amount_display",
                    "amount_refunded_display", "reference", "created_at")
    list_filter = ("status", "backend")
    list_select_related = ("invoice",)
    search_fields = ("reference", "provider_reference", "invoice__number")
    date_hierarchy = "created_at"
    actions = ("approve_payments", "approve_payments_recording_overpayment",
               "reject_payments")
    inlines = (TransactionInline,)
    fieldsets = (
        (None, {"fields": ("invoice", "backend", "status", "reference", "paid_on",
                           "proof_link", "notes")}),
        (_("Amounts"), {"fields": ("amount_display", "amount_received_display",
                                   "amount_refunded_display", "refundable_display")}),
        (_("Decision"), {"fields": ("recorded_by", "decided_by", "decided_at",
                                    "decision_notes")}),
        (_("Provider"), {"fields": ("provider_reference", "failure_code", "failure_message")}),
        (_("Technical details"), {
            "fields": ("public_id", "idempotency_key", "metadata", "created_at", "succeeded_at",
                       "updated_at"),
            "classes": ("collapse",),
        }),
    )
    readonly_fields = ("proof_link", "amount_display", "amount_received_display",
                       "amount_refunded_display", "refundable_display")

    amount_display = money_display("amount", _("amount"), ordering="amount")
    amount_received_display = money_display("amount_received", _("amount received"))
    amount_refunded_display = money_display("amount_refunded", _("refunded"),
                                            ordering="amount_refunded")
    refundable_display = money_display("refundable_amount", _("refundable"))

    @admin.display(description=_("invoice"), ordering="invoice__number")
    def invoice_number(self, payment: Payment) -> str:
        return str(payment.invoice)

    @admin.display(description=_("proof of payment"))
    def proof_link(self, payment: Payment) -> str:
        if not payment.proof:
            return self.get_empty_value_display()
        # Through carepay's view, which checks who asks: proofs have no public URL.
        url = reverse("carepay:payment_proof", args=[payment.public_id])
        return format_html('<a href="{}">{}</a>', url, gettext("Download"))

    def render_change_form(self, request: HttpRequest, context: dict[str, Any],
                           add: bool = False, change: bool = False, form_url: str = "",
                           obj: Payment | None = None) -> HttpResponse:
        if obj is not None and obj.status == Payment.Status.AWAITING_APPROVAL:
            excess = obj.invoice.overpayment_if_received(obj.amount)
            if excess > 0:
                left = obj.invoice.total - obj.invoice.net_paid
                state = gettext("is already paid") if left <= 0 else gettext(
                    "has only %(left)s left to pay") % {"left": display_money(left, obj.currency)}
                self.message_user(request, gettext(
                    "%(invoice)s %(state)s: approving this payment records an overpayment "
                    "of %(excess)s to refund. Reject it if the money did not arrive, or "
                    "use “Approve selected payments, recording any overpayment”.") % {
                        "invoice": obj.invoice, "state": state,
                        "excess": display_money(excess, obj.currency)},
                    messages.WARNING)
        if (obj is not None and obj.refundable_amount > 0
                and self.has_refund_permission(request)):
            context["refund_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_refund",
                args=[obj.pk], current_app=self.admin_site.name,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- approving submitted payments ------------------------------------------------------
    @admin.action(description=_("Approve selected payments (money received)"),
                  permissions=["approve"])
    def approve_payments(self, request: HttpRequest,
                         queryset: models.QuerySet[Payment]) -> None:
        self._approve(request, queryset, allow_overpayment=False)

    @admin.action(description=_("Approve selected payments, recording any overpayment"),
                  permissions=["approve"])
    def approve_payments_recording_overpayment(self, request: HttpRequest,
                                               queryset: models.QuerySet[Payment]) -> None:
        self._approve(request, queryset, allow_overpayment=True)

    def _approve(self, request: HttpRequest, queryset: models.QuerySet[Payment], *,
                 allow_overpayment: bool) -> None:
        def approve(payment: Payment) -> Payment:
            try:
                return services.approve_payment(payment, by=request.user,
                                                allow_overpayment=allow_overpayment)
            except WouldOverpay as exc:  # tell staff how to choose it here
                raise InvalidState(exc.situation + " " + gettext(
                    "Reject it if the money did not arrive, or use “Approve selected "
                    "payments, recording any overpayment”.")) from None

        apply_to_each(
            self, request, queryset.select_related("invoice"), approve,
            success=lambda done: ngettext(
                "Approved %(count)d payment.", "Approved %(count)d payments.", len(done),
            ) % {"count": len(done)},
            describe=describe_payment,
        )

    @admin.action(description=_("Reject selected payments"), permissions=["approve"])
    def reject_payments(self, request: HttpRequest,
                        queryset: models.QuerySet[Payment]) -> TemplateResponse | None:
        return confirm_with_reason(
            self, request, queryset.select_related("invoice"), form_class=RejectForm,
            action="reject_payments", title=gettext("Reject payments"),
            question=gettext(
                "Reject these payments as not received? Their invoices stay payable."),
            submit_label=gettext("Reject"),
            apply=lambda payment, reason: services.reject_payment(
                payment, by=request.user, notes=reason),
            success=lambda done: ngettext(
                "Rejected %(count)d payment.", "Rejected %(count)d payments.", len(done),
            ) % {"count": len(done)},
            describe=describe_payment, describe_errors=True,
        )

    # -- refunds ----------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/refund/", self.admin_site.admin_view(self.refund_view),
                 name="{}_{}_refund".format(*info)),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Hand back all or part of one payment through its backend."""
        payment = self.get_object(request, unquote(object_id))
        if payment is None:
            raise Http404(gettext("No payment found."))
        if not (self.has_view_permission(request, payment)
                and self.has_refund_permission(request)):
            raise PermissionDenied
        change_url = change_page_url(self, payment)
        if payment.refundable_amount <= 0:
            self.message_user(request, gettext(
                "This payment is %(status)s; there is nothing to refund.") % {
                    "status": payment.get_status_display().lower()},
                messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = RefundForm(request.POST or None, payment=payment)

        def refunded(refund: Transaction) -> None:
            if refund.replayed:  # nothing moved now: see Transaction.replayed
                self.message_user(request, gettext(
                    "That refund had already been made: %(amount)s (%(reference)s) was "
                    "recorded from %(method)s's notification. Nothing was refunded "
                    "again; refund again if another %(amount)s is owed.") % {
                    "amount": display_money(refund.amount, refund.currency),
                    "reference": refund.provider_reference,
                    "method": backend_label(payment.backend)}, messages.WARNING)
            else:
                self.message_user(request, gettext("Refunded %(amount)s on %(invoice)s.") % {
                    "amount": display_money(refund.amount, refund.currency),
                    "invoice": payment.invoice}, messages.SUCCESS)

        answer = act_once(
            self, request, payment.invoice, form, lambda data: services.refund_payment(
                payment, amount=data["amount"], by=request.user, reason=data["reason"]),
            back_to=change_url, done=refunded, backend=payment.backend)
        if answer is not None:
            return answer
        return render_form_page(
            self, request, form, template="refund.html",
            default_template="admin/carepay/object_form.html",
            title=gettext("Refund a payment"), submit_label=gettext("Refund"),
            original=payment, summary=[
                (gettext("Invoice"), payment.invoice),
                (gettext("Payment method"), payment.backend),
                (gettext("Received"),
                 display_money(payment.amount_received, payment.currency)),
                (gettext("Already refunded"),
                 display_money(payment.amount_refunded, payment.currency)),
                (gettext("Refundable"),
                 display_money(payment.refundable_amount, payment.currency)),
            ],
        )
