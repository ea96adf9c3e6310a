"""The staff console's invoices: the list (filters, search, pages) and one invoice's
page with every action its state and the user's permissions allow.

Both need ``carepay.view_invoice``. The page is rendered by :func:`render_invoice`,
which the actions (:mod:`.actions`, :mod:`.drafts`) call again with their bound form
when a service refuses, so the refusal shows next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ... import permissions
from ...backends import available_backends, get_backend
from ...backends.base import OfflineRefunds
from ...emails import backend_label, payer_email
from ...exceptions import UnknownBackend
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
from ...forms.invoices import InvoiceFilterForm
from ...models import Invoice, InvoiceLine, Payment, Transaction
from ...money import display_money
from ...services import invoice_version
from ..access import render_staff, staff_view

PER_PAGE = 25

#: 403 (styled, nothing runs) unless the user may see every invoice.
viewer_required = staff_view(permissions.can_view_invoices,
                             _("The invoices need the “Can view invoice” permission."))

#: The list's orderings: ``?sort=`` → ``order_by`` (newest first by default).
SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "due": ("due_date", "-id"),
    "total": ("-total", "-id"),
    "number": ("number", "id"),
}


@require_GET
@viewer_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Every invoice, newest first, narrowed by the filters; 25 a page.

    Two queries whatever the number of invoices: the count and the page (customers
    joined in).
    """
    form = InvoiceFilterForm(request.GET or None)
    sort = request.GET.get("sort", "newest")
    ordering = SORTS.get(sort, SORTS["newest"])
    invoices = form.filter(Invoice.objects.select_related("customer")).order_by(*ordering)
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_staff(request, "carepay/staff/invoice_list.html", {
        "form": form, "page": page, "invoices": page.object_list, "sort": sort,
        "sorts": [("newest", _("Newest first")), ("oldest", _("Oldest first")),
                  ("due", _("Due date")), ("total", _("Largest total")),
                  ("number", _("Number"))],
        "query": query.urlencode(), "filtered": bool(form.is_bound and form.has_changed()),
        "can_create": permissions.can_add_invoice(request.user),
    })


@require_GET
@viewer_required
def invoice_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    """One invoice: who, what, how much, what happened to it, and what may be done."""
    return render_invoice(request, get_invoice(public_id))


def get_invoice(public_id: object) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("customer"), public_id=public_id)


@dataclass
class PaymentRow:
    """A payment on the invoice page: what it is, its refunds, and its actions."""

    payment: Payment
    method: str
    refunds: list[Transaction] = field(default_factory=list)
    refund_form: forms.Form | None = None
    approve_form: forms.Form | None = None
    reject_form: forms.Form | None = None
    overpays_by: Decimal = Decimal(0)
    #: Refunds are handed back by staff (cash, cheque), not by a provider.
    in_person: bool = False

    @property
    def anchor(self) -> str:
        return payment_prefix(self.payment, "payment")


def payment_prefix(payment: Payment, action: str) -> str:
    """The prefix of a payment's form for ``action``: unique names and ids with many
    payments (and forms) on one page."""
    return f"{action}-{payment.public_id.hex[:12]}"


def line_prefix(line: InvoiceLine) -> str:
    return f"line{line.pk}"


def _backend_refunds(alias: str) -> tuple[bool, bool, bool]:
    """(refunds at all, partial refunds, handed back in person) for a payment's
    backend; a backend no longer configured refunds nothing."""
    try:
        backend = get_backend(alias)
    except UnknownBackend:
        return False, False, False
    return (backend.supports_refunds, backend.supports_partial_refunds,
            isinstance(backend, OfflineRefunds))


def render_invoice(request: HttpRequest, invoice: Invoice, *,
                   bound: dict[str, forms.Form] | None = None, notice: str = "",
                   status: int | None = None) -> HttpResponse:
    """The invoice page; ``bound`` replaces the blank form of one action (by key) with
    the one that was sent, errors and all. A constant number of queries."""
    bound = bound or {}
    shown: set[str] = set()
    user = request.user
    version = invoice_version(invoice)

    def form(key: str, form_class: type[forms.Form], *,
             initial: dict[str, Any] | None = None, **kwargs: Any) -> forms.Form:
        if key in bound:
            shown.add(key)
            return bound[key]
        return form_class(initial={"version": version, **(initial or {})}, **kwargs)

    lines = list(invoice.lines.all())
    payments = list(invoice.payments.select_related("recorded_by", "decided_by")
                    .order_by("created_at", "id"))
    ledger = list(invoice.transactions.select_related("created_by").order_by("created_at", "id"))
    reminders = list(invoice.reminders.order_by("created_at", "id"))

    may = {
        "change": permissions.can_change_invoice(user) and invoice.is_editable,
        "issue": permissions.can_change_invoice(user) and invoice.is_editable,
        "send": permissions.can_change_invoice(user) and invoice.status not in (
            Invoice.Status.DRAFT, Invoice.Status.VOID, Invoice.Status.UNCOLLECTIBLE),
        "record": permissions.can_record_payment(user) and invoice.is_payable,
        "void": permissions.can_void(user) and invoice.status in (
            Invoice.Status.DRAFT, *Invoice.COLLECTIBLE) and invoice.net_paid == 0,
        "write_off": permissions.can_void(user) and invoice.status in Invoice.COLLECTIBLE,
        "refund": permissions.can_refund(user),
        "approve": permissions.can_approve(user),
    }
    awaiting = [p for p in payments if p.status == Payment.Status.AWAITING_APPROVAL]
    rows = []
    for payment in payments:
        row = PaymentRow(payment=payment, method=backend_label(payment.backend),
                         refunds=[t for t in ledger if t.payment_id == payment.pk
                                  and t.kind == Transaction.Kind.REFUND])
        refunds, partial, row.in_person = _backend_refunds(payment.backend)
        if may["refund"] and refunds and payment.refundable_amount > 0:
            row.refund_form = form(f"refund-{payment.pk}", RefundForm, payment=payment,
                                   partial=partial, prefix=payment_prefix(payment, "refund"))
        if may["approve"] and payment.status == Payment.Status.AWAITING_APPROVAL:
            row.overpays_by = invoice.overpayment_if_received(payment.amount)
            row.approve_form = form(f"approve-{payment.pk}", InvoiceApproveForm,
                                    prefix=payment_prefix(payment, "approve"))
            row.approve_form.fields["amount"].help_text = _(
                "Blank: the %(amount)s submitted.") % {
                    "amount": display_money(payment.amount, payment.currency)}
            row.reject_form = form(f"reject-{payment.pk}", InvoiceRejectForm,
                                   prefix=payment_prefix(payment, "reject"))
        rows.append(row)

    record_form = None
    if may["record"]:
        backends = available_backends(invoice, staff=True)
        if backends:
            record_form = form("record", RecordPaymentForm, invoice=invoice,
                               backends=backends, awaiting_approval=bool(awaiting),
                               prefix="record")
    context = {
        "invoice": invoice, "lines": lines, "rows": rows, "ledger": ledger,
        "reminders": reminders, "payer_email": payer_email(invoice),
        "may": may, "awaiting": awaiting, "record_form": record_form,
        "issue_form": form("issue", IssueForm, prefix="issue") if may["issue"] else None,
        "send_form": form("send", VersionForm, prefix="send") if may["send"] else None,
        "void_form": form("void", CloseForm, prefix="void") if may["void"] else None,
        "write_off_form": (form("write_off", CloseForm, prefix="writeoff")
                           if may["write_off"] else None),
        "line_forms": [(line, form(f"line-{line.pk}", DraftLineForm, currency=invoice.currency,
                                   prefix=line_prefix(line),
                                   initial=_line_initial(line)))
                       for line in lines] if may["change"] else [(line, None) for line in lines],
        "version": version,
        "add_line_form": (form("line-new", DraftLineForm, currency=invoice.currency,
                               prefix="newline") if may["change"] else None),
    }
    # A refused form the page no longer shows (a line's Remove button, a void the
    # invoice no longer allows): its refusal goes on top of the page.
    context["notice"] = " ".join([notice, *(str(error) for key, sent in bound.items()
                                            if key not in shown
                                            for errors in sent.errors.values()
                                            for error in errors)]).strip()
    return render_staff(request, "carepay/staff/invoice_detail.html", context, status=status)


def _line_initial(line: InvoiceLine) -> dict[str, Any]:
    return {"description": line.description,
            "quantity": line.quantity.normalize(), "unit_price": line.unit_price.normalize(),
            "tax_rate": line.tax_rate.normalize(), "service_date": line.service_date,
            "provider_name": line.provider_name}

