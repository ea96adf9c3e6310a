"""A new invoice from the staff console: a draft with lines, for a customer (and the
host's record it bills for). Needs Django's ``carepay.add_invoice`` permission.

The draft opens on its invoice page, where its lines can still be changed and from
where it is issued (and e-mailed).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ... import permissions, services
from ...exceptions import CarepayError, InvalidCurrency
from ...forms import add_service_error
from ...forms.invoices import BaseLineFormSet, InvoiceCreateForm, LineFormSet
from ...money import validate_currency
from ..access import render_staff, staff_view

creator_required = staff_view(permissions.can_add_invoice, _(
    "Creating invoices needs the “Can add invoice” permission."))


def _currency(request: HttpRequest) -> str:
    """The currency typed on the form, for pricing its lines (blank if not valid)."""
    try:
        return validate_currency(request.POST.get("currency", ""))
    except InvalidCurrency:
        return ""


@require_http_methods(["GET", "POST"])
@creator_required
def invoice_create(request: HttpRequest) -> HttpResponse:
    """A customer, a currency, a due date, lines → a draft."""
    if request.method != "POST":
        form = InvoiceCreateForm()
        lines = LineFormSet(prefix="lines")
        return _render(request, form, lines)
    form = InvoiceCreateForm(request.POST)
    lines = LineFormSet(request.POST, prefix="lines", currency=_currency(request))
    if not (form.is_valid() and lines.is_valid()):
        return _render(request, form, lines, status=400)
    data = form.cleaned_data
    try:
        invoice = services.create_invoice(
            customer=data["customer"], subject=data["subject"], currency=data["currency"],
            due_date=data["due_date"], lines=lines.filled(),
            billing={"name": data["billing_name"], "email": data["billing_email"],
                     "language": data.get("billing_language", "")},
        )
    except CarepayError as exc:
        add_service_error(form, exc)
        return _render(request, form, lines, status=400)
    messages.success(request, gettext(
        "Draft saved. Check it, then issue it (and e-mail it to the payer)."))
    if permissions.can_view_invoices(request.user):
        return redirect("carepay:staff_invoice", invoice.public_id)
    return redirect("carepay:staff_invoice_create")


def _render(request: HttpRequest, form: InvoiceCreateForm, lines: BaseLineFormSet,
            status: int | None = None) -> HttpResponse:
    return render_staff(request, "carepay/staff/invoice_create.html", {
        "form": form, "lines": lines,
        "advanced_open": bool(form.is_bound and (form["subject_type"].value()
                                                 or form.errors.get("subject_id")
                                                 or form.errors.get("subject_type"))),
    }, status=status)
