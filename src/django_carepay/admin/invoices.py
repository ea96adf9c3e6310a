"""Invoices in the admin: drafts edited and issued; lines, payments and the ledger inline.

Staff actions need carepay's permissions (:mod:`django_carepay.permissions`): voiding
and writing off ``carepay.void_invoice``, recording a payment ``carepay.record_payment``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, router, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..conf import carepay_settings
from ..exceptions import CarepayError, WouldOverpay
from ..models import Invoice, InvoiceLine, Payment
from ..money import display_money
from .actions import (
    StaffPermissionsMixin,
    act_once,
    amount_error_field,
    apply_to_each,
    change_page_url,
    confirm_with_reason,
    has_model_perm,
    render_form_page,
)
from .display import (
    ReadOnlyAdminMixin,
    describe_invoice,
    money_display,
    names,
    waiting_transfers_warning,
)
from .forms import (
    LINE_FIELDS,
    CloseReasonForm,
    InvoiceForm,
    InvoiceLineForm,
    InvoiceLineFormSet,
    RecordPaymentForm,
)
from .ledger import TransactionInline

#: Invoice fields staff may edit while the invoice is a draft (frozen once issued).
DRAFT_FIELDS = ("customer", "due_date", "billing_name", "billing_email", "billing_address",
                "billing_country", "billing_tax_id", "billing_language")


class InvoiceLineInline(admin.TabularInline):
    """An invoice's lines: editable while it is a draft; frozen once issued.

    Lines are part of the invoice, so the invoice's permissions govern them.
    """

    model = InvoiceLine
    form = InvoiceLineForm
    formset = InvoiceLineFormSet
    fields = (*LINE_FIELDS, "line_total_display", "tax_amount_display")
    #: The columns of an issued invoice's lines, formatted for reading.
    frozen_fields = ("description", "quantity_display", "unit_price_display",
                     "tax_rate_display", "service_date", "provider_name", "line_total_display",
                     "tax_amount_display")
    readonly_fields = ("quantity_display", "unit_price_display", "tax_rate_display",
                       "line_total_display", "tax_amount_display")
    extra = 1

    unit_price_display = money_display("unit_price", _("unit price"), currency="invoice.currency")
    line_total_display = money_display("line_total", _("line total"), currency="invoice.currency")
    tax_amount_display = money_display("tax_amount", _("tax"), currency="invoice.currency")

    @admin.display(description=_("quantity"))
    def quantity_display(self, line: InvoiceLine) -> str:
        return number_format(line.quantity.normalize())

    @admin.display(description=_("tax rate"))
    def tax_rate_display(self, line: InvoiceLine) -> str:
        return f"{number_format(line.tax_rate.normalize())}%"

    def get_fields(self, request: HttpRequest, obj: Invoice | None = None) -> tuple[str, ...]:
        return self.fields if obj is None or obj.is_editable else self.frozen_fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[InvoiceLine]:
        # money_display reads the invoice's currency on each line.
        return super().get_queryset(request).select_related("invoice")

    def has_view_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return has_model_perm(request, Invoice, "view") or has_model_perm(
            request, Invoice, "change")

    # Inlines are asked about their parent (the stubs miss InlineModelAdmin's signature).
    def has_add_permission(  # type: ignore[override]
            self, request: HttpRequest, obj: Invoice | None) -> bool:
        if obj is None:
            return has_model_perm(request, Invoice, "add")
        return obj.is_editable and has_model_perm(request, Invoice, "change")

    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return obj is not None and obj.is_editable and has_model_perm(request, Invoice, "change")

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return self.has_change_permission(request, obj)


class PaymentInline(ReadOnlyAdminMixin, admin.TabularInline):
    """An invoice's payments, each linking to its own page (refunds are made there)."""

    model = Payment
    fields = ("backend", "status", "amount_display", "amount_refunded_display", "reference",
              "created_at")
    readonly_fields = fields
    show_change_link = True
    extra = 0

    amount_display = money_display("amount", _("amount"))
    amount_refunded_display = money_display("amount_refunded", _("refunded"))


@admin.register(Invoice)
class InvoiceAdmin(StaffPermissionsMixin, admin.ModelAdmin):
    """Invoices: drafts are edited here and issued, voided or written off by actions.

    A new invoice is a draft made by :func:`services.create_invoice`; its lines are
    added by :func:`services.add_line`. Once issued, only the internal ``notes`` can
    change. Staff with ``carepay.record_payment`` record money taken in person from
    the invoice's page.
    """

    form = InvoiceForm
    list_display = ("number_display", "billed_to", "status", "total_display",
                    "amount_due_display", "due_date", "issued_at")
    list_filter = ("status", "currency", "due_date")
    list_select_related = ("customer",)
    date_hierarchy = "issued_at"
    raw_id_fields = ("customer",)
    actions = ("issue_drafts", "void_invoices", "write_off_invoices")
    inlines = (InvoiceLineInline, PaymentInline, TransactionInline)

    add_fieldsets = (
        (None, {"fields": ("currency", "customer", "due_date")}),
        (_("Billing details"), {
            "fields": ("billing_name", "billing_email", "billing_address", "billing_country",
                       "billing_tax_id", "billing_language"),
            "description": _("Left blank, these are filled from the customer when the "
                             "invoice is issued."),
        }),
        (None, {"fields": ("notes",)}),
    )
    fieldsets = (
        (None, {"fields": ("number", "status", "currency", "customer", "subject_link")}),
        (_("Billing details"), {"fields": ("billing_name", "billing_email", "billing_address",
                                           "billing_country", "billing_tax_id",
                                           "billing_language")}),
        (_("Amounts"), {"fields": ("subtotal_display", "tax_display", "total_display",
                                   "amount_paid_display", "amount_refunded_display",
                                   "amount_due_display")}),
        (_("Dates"), {"fields": ("issued_at", "due_date", "paid_at", "closed_at",
                                 "close_reason")}),
        (None, {"fields": ("notes",)}),
        (_("Technical details"), {"fields": ("public_id", "metadata", "created_at",
                                             "updated_at"),
                                  "classes": ("collapse",)}),
    )
    #: Never editable: set by the services only.
    readonly_fields = ("number", "status", "currency", "subject_link", "subtotal_display",
                       "tax_display", "total_display", "amount_paid_display",
                       "amount_refunded_display", "amount_due_display", "issued_at",
                       "paid_at", "closed_at", "close_reason", "public_id", "metadata",
                       "created_at", "updated_at")

    subtotal_display = money_display("subtotal", _("subtotal"), ordering="subtotal")
    tax_display = money_display("tax", _("tax"), ordering="tax")
    total_display = money_display("total", _("total"), ordering="total")
    amount_paid_display = money_display("amount_paid", _("amount paid"), ordering="amount_paid")
    amount_refunded_display = money_display("amount_refunded", _("amount refunded"),
                                            ordering="amount_refunded")
    amount_due_display = money_display("amount_due", _("amount due"))

    @admin.display(description=_("number"), ordering="number")
    def number_display(self, invoice: Invoice) -> str:
        return str(invoice)  # the number, or "Draft invoice <id>"

    @admin.display(description=_("billed to"), ordering="billing_name")
    def billed_to(self, invoice: Invoice) -> str:
        # Drafts often leave the billing name to be filled from the customer on issue.
        return invoice.billing_name or str(invoice.customer or "")

    @admin.display(description=_("subject"))
    def subject_link(self, invoice: Invoice) -> str:
        subject = invoice.subject
        if subject is None:
            return self.get_empty_value_display()
        if not self.admin_site.is_registered(type(subject)):
            return str(subject)
        opts = subject._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[subject.pk],
                      current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, subject)

    # -- forms ---------------------------------------------------------------------------
    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        user_model = get_user_model()
        customer_fields = []
        for name in dict.fromkeys([user_model.USERNAME_FIELD, user_model.get_email_field_name()]):
            try:
                user_model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # a custom user model without an e-mail field
            customer_fields.append(f"customer__{name}")
        return ("number", "billing_name", "billing_email", *customer_fields)

    def get_fieldsets(self, request: HttpRequest, obj: Invoice | None = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest,
                            obj: Invoice | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        if obj.is_editable:
            return tuple(self.readonly_fields)
        return (*self.readonly_fields, *DRAFT_FIELDS)

    def get_inlines(self, request: HttpRequest, obj: Invoice | None) -> Any:
        return (InvoiceLineInline,) if obj is None else self.inlines

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"currency": carepay_settings.DEFAULT_CURRENCY,
                **super().get_changeform_initial_data(request)}

    def get_object(self, request: HttpRequest, object_id: str,
                   from_field: str | None = None) -> Invoice | None:
        """The invoice; on a change-form POST, locked for the rest of the request.

        The admin saves a change form in one transaction. Holding the invoice's lock
        from the moment it is loaded means the form is checked and saved against the
        row it overwrites: a payment recorded meanwhile cannot have its totals
        overwritten by a stale copy, nor an invoice issued meanwhile its frozen details.
        """
        invoice = super().get_object(request, object_id, from_field)
        db = router.db_for_write(Invoice)
        if (invoice is not None and request.method == "POST"
                and transaction.get_connection(db).in_atomic_block):
            invoice = Invoice.objects.using(db).select_for_update().get(pk=invoice.pk)
        return invoice

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        # Only a draft may be deleted: an issued invoice keeps its number (numbering is
        # gapless) and is voided instead. No bulk delete, which could not tell them apart.
        return obj is not None and obj.is_editable and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Invoice, form: forms.ModelForm,
                   change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)  # under get_object's lock
            return
        data = form.cleaned_data
        created = services.create_invoice(
            customer=data["customer"], currency=data["currency"], due_date=data["due_date"],
            billing={name: data[f"billing_{name}"] for name in services.BILLING_FIELDS},
            notes=data["notes"],
        )
        # The admin goes on with ``obj`` (its lines, the log entry, the redirect).
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def render_change_form(self, request: HttpRequest, context: dict[str, Any],
                           add: bool = False, change: bool = False, form_url: str = "",
                           obj: Invoice | None = None) -> HttpResponse:
        if obj is not None and obj.is_payable and self.has_record_payment_permission(request):
            context["record_payment_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_record_payment",
                args=[obj.pk], current_app=self.admin_site.name,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- actions ------------------------------------------------------------------------
    @admin.action(description=_("Issue selected drafts"), permissions=["change"])
    def issue_drafts(self, request: HttpRequest, queryset: models.QuerySet[Invoice]) -> None:
        # Oldest first, so numbers follow the order the drafts were made in.
        apply_to_each(
            self, request, queryset.order_by("created_at", "pk"),
            lambda invoice: services.issue_invoice(invoice, by=request.user),
            success=lambda done: ngettext(
                "Issued %(count)d invoice: %(numbers)s.",
                "Issued %(count)d invoices: %(numbers)s.", len(done),
            ) % {"count": len(done), "numbers": names(done)},
        )

    @admin.action(description=_("Void selected invoices"), permissions=["void"])
    def void_invoices(self, request: HttpRequest,
                      queryset: models.QuerySet[Invoice]) -> TemplateResponse | None:
        return confirm_with_reason(
            self, request, queryset, form_class=CloseReasonForm, action="void_invoices",
            title=gettext("Void invoices"),
            question=gettext(
                "Void these invoices? Payments still pending on them are cancelled. An "
                "invoice that has received money cannot be voided: refund it first, or "
                "write it off."),
            submit_label=gettext("Void"),
            apply=lambda invoice, reason: services.void_invoice(
                invoice, by=request.user, reason=reason),
            success=lambda done: ngettext(
                "Voided %(count)d invoice: %(numbers)s.",
                "Voided %(count)d invoices: %(numbers)s.", len(done),
            ) % {"count": len(done), "numbers": names(done)},
            describe=describe_invoice, describe_errors=False,  # the service names it
        )

    @admin.action(description=_("Write off selected invoices"), permissions=["void"])
    def write_off_invoices(self, request: HttpRequest,
                           queryset: models.QuerySet[Invoice]) -> TemplateResponse | None:
        return confirm_with_reason(
            self, request, queryset, form_class=CloseReasonForm, action="write_off_invoices",
            title=gettext("Write off invoices"),
            question=gettext(
                "Write these invoices off as uncollectible? Money already received on "
                "them is kept."),
            submit_label=gettext("Write off"),
            apply=lambda invoice, reason: services.write_off_invoice(
                invoice, by=request.user, reason=reason),
            success=lambda done: ngettext(
                "Wrote off %(count)d invoice: %(numbers)s.",
                "Wrote off %(count)d invoices: %(numbers)s.", len(done),
            ) % {"count": len(done), "numbers": names(done)},
            describe=describe_invoice, describe_errors=False,  # the service names it
        )

    # -- recording a payment -----------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<path:object_id>/record-payment/",
                 self.admin_site.admin_view(self.record_payment_view),
                 name="{}_{}_record_payment".format(*info)),
            *super().get_urls(),
        ]

    def record_payment_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Record money taken in person (cash, card terminal, cheque) on one invoice."""
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404(gettext("No invoice found."))
        if not (self.has_view_or_change_permission(request, invoice)
                and self.has_record_payment_permission(request)):
            raise PermissionDenied
        change_url = change_page_url(self, invoice)
        if not invoice.is_payable:
            self.message_user(request, gettext(
                "%(invoice)s is %(status)s with nothing to pay; payments can only be "
                "recorded on open or overdue invoices.") % {
                    "invoice": invoice, "status": invoice.get_status_display().lower()},
                messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = RecordPaymentForm(request.POST or None, invoice=invoice)
        waiting = waiting_transfers_warning(invoice)

        def refused(form: forms.Form, exc: CarepayError) -> None:
            if isinstance(exc, WouldOverpay):
                form.add_error(None, exc.situation + " " + gettext(
                    "Tick “Record it even though a transfer awaits approval” to record "
                    "it anyway."))
            else:
                form.add_error(amount_error_field(exc), str(exc))

        answer = act_once(
            self, request, invoice, form, lambda data: services.record_payment(
                invoice, backend=data["backend"], amount=data["amount"],
                reference=data["reference"], notes=data["notes"], by=request.user,
                allow_pending_transfers=data.get("allow_pending_transfers", False)),
            back_to=change_url, refused=refused, done=lambda payment: self.message_user(
                request, gettext("Recorded %(amount)s (%(backend)s) on %(invoice)s.") % {
                    "amount": display_money(payment.amount, payment.currency),
                    "backend": payment.backend, "invoice": invoice}, messages.SUCCESS))
        if answer is not None:
            return answer
        return render_form_page(
            self, request, form, template="record_payment.html",
            default_template="admin/carepay/object_form.html",
            title=gettext("Record a payment"), submit_label=gettext("Record payment"),
            original=invoice, summary=[
                (gettext("Billed to"), invoice.billing_name),
                (gettext("Total"), display_money(invoice.total, invoice.currency)),
                (gettext("Amount due"), display_money(invoice.amount_due, invoice.currency)),
                *([(gettext("Awaiting approval"), waiting)] if waiting else []),
            ],
        )
