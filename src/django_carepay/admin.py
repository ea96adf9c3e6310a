"""carepay in the Django admin: invoices, payments, the ledger and webhook events.

Thin, like the other views: every change to billing state goes through
:mod:`django_carepay.services`, and a refusal (a
:class:`~django_carepay.exceptions.CarepayError`) is shown to the user and changes
nothing. Statuses, numbers and amounts are never form fields; the ledger and the
webhook log are read-only.

Staff actions need carepay's permissions: ``carepay.record_payment``,
``carepay.refund_payment``, ``carepay.approve_payment`` and ``carepay.void_invoice``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, router, transaction
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import services
from .backends import available_backends
from .conf import carepay_settings
from .exceptions import CarepayError, InvalidAmount, InvalidCurrency
from .forms import AmountField, RejectForm
from .models import Invoice, InvoiceLine, Payment, Transaction, WebhookEvent
from .money import quantize, validate_currency
from .templatetags.carepay import money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

M = TypeVar("M", bound=models.Model)

#: The line fields staff type; the service computes the rest.
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "service_date",
               "provider_name")
#: Invoice fields staff may edit while the invoice is a draft (frozen once issued).
DRAFT_FIELDS = ("customer", "due_date", "billing_name", "billing_email", "billing_address",
                "billing_country", "billing_tax_id")


# -- display helpers ----------------------------------------------------------------------

def money_display(attribute: str, description: StrOrPromise, *, ordering: str | None = None,
                  currency: str = "currency") -> Callable[[Any, Any], str]:
    """An admin column (or read-only field) showing ``obj.<attribute>`` formatted in
    the currency found at ``obj.<currency>`` (a dotted path, e.g. ``invoice.currency``)."""
    amount_of, currency_of = attrgetter(attribute), attrgetter(currency)

    @admin.display(description=description, ordering=ordering)
    def display(model_admin: Any, obj: Any) -> str:
        return money(amount_of(obj), currency_of(obj))

    return display


def _has_model_perm(request: HttpRequest, model: type[models.Model], action: str) -> bool:
    opts = model._meta
    return request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")


def _describe_invoice(invoice: Invoice) -> str:
    parts = [str(invoice), invoice.billing_name, money(invoice.total, invoice.currency)]
    return " · ".join(part for part in parts if part)


def _describe_payment(payment: Payment) -> str:
    text = gettext("%(amount)s by %(backend)s on %(invoice)s") % {
        "amount": money(payment.amount, payment.currency),
        "backend": payment.backend,
        "invoice": payment.invoice,
    }
    return f"{text} ({payment.reference})" if payment.reference else text


def _names(objects: Iterable[object]) -> str:
    return ", ".join(str(obj) for obj in objects)


# -- running services on many objects ------------------------------------------------------

def apply_to_each(model_admin: admin.ModelAdmin, request: HttpRequest, objects: Iterable[M],
                  apply: Callable[[M], object], *, success: Callable[[list[M]], str],
                  describe: Callable[[M], str] | None = None) -> None:
    """Call ``apply(obj)`` (a service) for each object and report the outcome.

    A refusal is reported for its object and the others go on: each service runs in
    its own transaction, so one refusal changes nothing and undoes nothing else.
    ``describe`` prefixes the error with the object, for services whose messages do
    not name it.
    """
    done: list[M] = []
    for obj in objects:
        try:
            apply(obj)
        except CarepayError as exc:
            text = f"{describe(obj)}: {exc}" if describe else str(exc)
            model_admin.message_user(request, text, messages.ERROR)
        else:
            done.append(obj)
    if done:
        model_admin.message_user(request, success(done), messages.SUCCESS)


def render_form_page(model_admin: admin.ModelAdmin, request: HttpRequest, form: forms.Form, *,
                     template: str, default_template: str, title: str, submit_label: str,
                     **context: Any) -> TemplateResponse:
    """Render one of carepay's admin form pages in the admin's layout.

    Looks up ``admin/<app>/<model>/<template>`` before ``default_template``, so a host
    can override the page of one model.
    """
    opts = model_admin.opts
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, [
        f"admin/{opts.app_label}/{opts.model_name}/{template}", default_template,
    ], {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "form": form,
        # AdminForm takes any form (the stubs say ModelForm; UserAdmin passes a Form too).
        "adminform": helpers.AdminForm(
            form, [(None, {"fields": list(form.fields)})], {}),  # type: ignore[arg-type]
        "submit_label": submit_label,
        **context,
    })


class CloseReasonForm(forms.Form):
    """Why invoices are voided or written off (optional; kept on each invoice)."""

    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


def confirm_with_reason(model_admin: admin.ModelAdmin, request: HttpRequest,
                        queryset: models.QuerySet[M], *, form_class: type[forms.Form],
                        action: str, title: str, question: str, submit_label: str,
                        apply: Callable[[M, str], object], success: Callable[[list[M]], str],
                        describe: Callable[[M], str],
                        describe_errors: bool) -> TemplateResponse | None:
    """An action that asks for confirmation and a reason first, like ``delete_selected``.

    The first POST (from the change list) lists the selected objects (``describe``)
    and shows ``form_class`` (a form with a ``reason`` field); the second
    (``post=yes``) calls ``apply(obj, reason)`` for each object through
    :func:`apply_to_each` (``describe_errors``: prefix refusals with the description).
    """
    form = form_class(request.POST if request.POST.get("post") else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"].strip()
        apply_to_each(model_admin, request, queryset, lambda obj: apply(obj, reason),
                      success=success, describe=describe if describe_errors else None)
        return None
    return render_form_page(
        model_admin, request, form, template="action_confirmation.html",
        default_template="admin/carepay/action_confirmation.html", title=title,
        submit_label=submit_label, question=question,
        descriptions=[describe(obj) for obj in queryset], queryset=queryset, action=action,
        action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
    )


def _change_url(model_admin: admin.ModelAdmin, obj: models.Model) -> str:
    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk],
                   current_app=model_admin.admin_site.name)


def _amount_error_field(exc: CarepayError) -> str | None:
    """Put an amount the service refused next to the amount field; the rest on top."""
    return "amount" if isinstance(exc, InvalidAmount) else None


class ReadOnlyAdminMixin:
    """A record nobody adds, changes or deletes through the admin; viewing stays."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# -- invoices ----------------------------------------------------------------------------

class InvoiceForm(forms.ModelForm):
    """The fields staff type on a draft; statuses, numbers and amounts are not among them."""

    def clean_currency(self) -> str:
        try:
            return validate_currency(self.cleaned_data["currency"])
        except InvalidCurrency as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_billing_country(self) -> str:
        return self.cleaned_data["billing_country"].upper()


class InvoiceLineForm(forms.ModelForm):
    """A line on a draft, checked by the same rules the service prices it with."""

    class Meta:
        model = InvoiceLine
        fields = LINE_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The inline's foreign key field cleans to the invoice being edited (or added).
        invoice = cleaned.get("invoice")
        if invoice is None or self.errors or cleaned.get("DELETE"):
            return cleaned
        try:
            services.validate_line(
                currency=invoice.currency,
                **{name: cleaned[name] for name in LINE_FIELDS if cleaned.get(name) is not None},
            )
        except InvalidCurrency:
            pass  # the invoice's own form reports its currency
        except CarepayError as exc:
            self.add_error(None, str(exc))
        return cleaned


class InvoiceLineFormSet(BaseInlineFormSet):
    """Saves every change through the services, which price the line and update the
    invoice's totals under its lock: add_line, update_line and remove_line."""

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> InvoiceLine:
        # The service saves the line whatever ``commit`` says: the totals move with it.
        return services.add_line(
            self.instance, **{name: form.cleaned_data[name] for name in LINE_FIELDS}
        )

    def save_existing(self, form: forms.ModelForm, obj: InvoiceLine,
                      commit: bool = True) -> InvoiceLine:
        return services.update_line(
            obj, **{name: form.cleaned_data[name] for name in LINE_FIELDS}
        )

    def delete_existing(self, obj: InvoiceLine, commit: bool = True) -> None:
        services.remove_line(obj)


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
        return _has_model_perm(request, Invoice, "view") or _has_model_perm(
            request, Invoice, "change")

    # Inlines are asked about their parent (the stubs miss InlineModelAdmin's signature).
    def has_add_permission(  # type: ignore[override]
            self, request: HttpRequest, obj: Invoice | None) -> bool:
        if obj is None:
            return _has_model_perm(request, Invoice, "add")
        return obj.is_editable and _has_model_perm(request, Invoice, "change")

    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return obj is not None and obj.is_editable and _has_model_perm(request, Invoice, "change")

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


class TransactionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Ledger rows of an invoice or a payment; append-only, so read-only here."""

    model = Transaction
    fields = ("created_at", "kind", "amount_display", "backend", "provider_reference",
              "created_by", "note")
    readonly_fields = fields
    extra = 0
    verbose_name = _("ledger transaction")
    verbose_name_plural = _("ledger")

    amount_display = money_display("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Transaction]:
        return super().get_queryset(request).select_related("created_by")


class RecordPaymentForm(forms.Form):
    """Money staff took in person, offered the staff-entry backends that take the invoice."""

    backend = forms.ChoiceField(label=_("Payment method"))
    amount = AmountField(label=_("Amount"))
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=255,
        help_text=_("E.g. the terminal's receipt number or the cheque number."))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        backends = available_backends(invoice, staff=True)
        cast(forms.ChoiceField, self.fields["backend"]).choices = [
            (b.alias, b.label) for b in backends]
        if not backends:
            self.fields["backend"].help_text = gettext(
                "No payment method that staff record takes %(currency)s; configure one "
                "(e.g. a ManualBackend) in CAREPAY['BACKENDS'].") % {
                    "currency": invoice.currency}
        self.fields["amount"].initial = quantize(invoice.amount_due, invoice.currency)
        self.fields["amount"].help_text = gettext("At most the amount due, %(due)s.") % {
            "due": money(invoice.amount_due, invoice.currency)}
        if invoice.payments.filter(status=Payment.Status.AWAITING_APPROVAL).exists():
            self.fields["allow_pending_transfers"] = forms.BooleanField(
                label=_("Record it even though a transfer awaits approval"), required=False,
                help_text=_("Approving that transfer afterwards then records an "
                            "overpayment to refund."))


def _waiting_transfers_warning(invoice: Invoice) -> str:
    """What staff recording money on ``invoice`` must know: transfers awaiting approval."""
    waiting = invoice.payments.filter(status=Payment.Status.AWAITING_APPROVAL).order_by(
        "created_at", "pk")
    return " ".join(gettext(
        "A transfer of %(amount)s (reference %(reference)s) submitted on %(date)s awaits "
        "approval on this invoice; approve or reject it first if this money is the same "
        "payment.") % {"amount": money(p.amount, p.currency), "reference": p.reference or "—",
                       "date": p.created_at.date().isoformat()} for p in waiting)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
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
                       "billing_tax_id"),
            "description": _("Left blank, these are filled from the customer when the "
                             "invoice is issued."),
        }),
        (None, {"fields": ("notes",)}),
    )
    fieldsets = (
        (None, {"fields": ("number", "status", "currency", "customer", "subject_link")}),
        (_("Billing details"), {"fields": ("billing_name", "billing_email", "billing_address",
                                           "billing_country", "billing_tax_id")}),
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

    # -- permissions --------------------------------------------------------------------
    def has_void_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("carepay.void_invoice")

    def has_record_payment_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("carepay.record_payment")

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
            ) % {"count": len(done), "numbers": _names(done)},
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
            ) % {"count": len(done), "numbers": _names(done)},
            describe=_describe_invoice, describe_errors=False,  # the service names it
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
            ) % {"count": len(done), "numbers": _names(done)},
            describe=_describe_invoice, describe_errors=False,  # the service names it
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
        change_url = _change_url(self, invoice)
        if not invoice.is_payable:
            self.message_user(request, gettext(
                "%(invoice)s is %(status)s with nothing to pay; payments can only be "
                "recorded on open or overdue invoices.") % {
                    "invoice": invoice, "status": invoice.get_status_display().lower()},
                messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = RecordPaymentForm(request.POST or None, invoice=invoice)
        waiting = _waiting_transfers_warning(invoice)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.record_payment(
                    invoice, backend=data["backend"], amount=data["amount"],
                    reference=data["reference"], notes=data["notes"], by=request.user,
                    allow_pending_transfers=data.get("allow_pending_transfers", False),
                )
            except CarepayError as exc:
                form.add_error(_amount_error_field(exc), str(exc))
            else:
                self.message_user(request, gettext(
                    "Recorded %(amount)s (%(backend)s) on %(invoice)s.") % {
                        "amount": money(payment.amount, payment.currency),
                        "backend": payment.backend, "invoice": invoice},
                    messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        return render_form_page(
            self, request, form, template="record_payment.html",
            default_template="admin/carepay/object_form.html",
            title=gettext("Record a payment"), submit_label=gettext("Record payment"),
            original=invoice, summary=[
                (gettext("Billed to"), invoice.billing_name),
                (gettext("Total"), money(invoice.total, invoice.currency)),
                (gettext("Amount due"), money(invoice.amount_due, invoice.currency)),
                *([(gettext("Awaiting approval"), waiting)] if waiting else []),
            ],
        )


# -- payments -----------------------------------------------------------------------------

class RefundForm(forms.Form):
    """How much of a payment to hand back, and why."""

    amount = AmountField(label=_("Amount"))
    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refundable = payment.refundable_amount
        self.fields["amount"].initial = quantize(refundable, payment.currency)
        self.fields["amount"].help_text = gettext("At most %(refundable)s.") % {
            "refundable": money(refundable, payment.currency)}


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
                    "has only %(left)s left to pay") % {"left": money(left, obj.currency)}
                self.message_user(request, gettext(
                    "%(invoice)s %(state)s: approving this payment records an overpayment "
                    "of %(excess)s to refund. Reject it if the money did not arrive, or "
                    "use “Approve selected payments, recording any overpayment”.") % {
                        "invoice": obj.invoice, "state": state,
                        "excess": money(excess, obj.currency)},
                    messages.WARNING)
        if (obj is not None and obj.refundable_amount > 0
                and self.has_refund_permission(request)):
            context["refund_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_refund",
                args=[obj.pk], current_app=self.admin_site.name,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- permissions --------------------------------------------------------------------
    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("carepay.refund_payment")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("carepay.approve_payment")

    # -- approving submitted payments ------------------------------------------------------
    @admin.action(description=_("Approve selected payments (money received)"),
                  permissions=["approve"])
    def approve_payments(self, request: HttpRequest,
                         queryset: models.QuerySet[Payment]) -> None:
        apply_to_each(
            self, request, queryset.select_related("invoice"),
            lambda payment: services.approve_payment(payment, by=request.user),
            success=lambda done: ngettext(
                "Approved %(count)d payment.", "Approved %(count)d payments.", len(done),
            ) % {"count": len(done)},
            describe=_describe_payment,
        )

    @admin.action(description=_("Approve selected payments, recording any overpayment"),
                  permissions=["approve"])
    def approve_payments_recording_overpayment(self, request: HttpRequest,
                                               queryset: models.QuerySet[Payment]) -> None:
        apply_to_each(
            self, request, queryset.select_related("invoice"),
            lambda payment: services.approve_payment(payment, by=request.user,
                                                     allow_overpayment=True),
            success=lambda done: ngettext(
                "Approved %(count)d payment.", "Approved %(count)d payments.", len(done),
            ) % {"count": len(done)},
            describe=_describe_payment,
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
            describe=_describe_payment, describe_errors=True,
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
        change_url = _change_url(self, payment)
        if payment.refundable_amount <= 0:
            self.message_user(request, gettext(
                "This payment is %(status)s; there is nothing to refund.") % {
                    "status": payment.get_status_display().lower()},
                messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = RefundForm(request.POST or None, payment=payment)
        if form.is_valid():
            try:
                refund = services.refund_payment(
                    payment, amount=form.cleaned_data["amount"], by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except CarepayError as exc:
                form.add_error(_amount_error_field(exc), str(exc))
            else:
                self.message_user(request, gettext("Refunded %(amount)s on %(invoice)s.") % {
                    "amount": money(refund.amount, refund.currency),
                    "invoice": payment.invoice}, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        return render_form_page(
            self, request, form, template="refund.html",
            default_template="admin/carepay/object_form.html",
            title=gettext("Refund a payment"), submit_label=gettext("Refund"),
            original=payment, summary=[
                (gettext("Invoice"), payment.invoice),
                (gettext("Payment method"), payment.backend),
                (gettext("Received"), money(payment.amount_received, payment.currency)),
                (gettext("Already refunded"), money(payment.amount_refunded, payment.currency)),
                (gettext("Refundable"), money(payment.refundable_amount, payment.currency)),
            ],
        )


# -- the ledger and the webhook log ---------------------------------------------------------

@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: append-only, so nobody adds, changes or deletes a row here."""

    list_display = ("created_at", "kind", "amount_display", "invoice", "payment", "backend",
                    "provider_reference", "created_by")
    list_filter = ("kind", "backend", "currency")
    list_select_related = ("invoice", "payment", "created_by")
    search_fields = ("provider_reference", "invoice__number", "payment__reference", "note")
    date_hierarchy = "created_at"
    fields = ("invoice", "payment", "kind", "amount_display", "currency", "backend",
              "provider_reference", "created_by", "created_at", "note")
    readonly_fields = ("amount_display",)

    amount_display = money_display("amount", _("amount"), ordering="amount")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every delivery received from a provider, as stored before it was trusted."""

    list_display = ("backend", "type", "event_id", "status", "needs_attention", "received_at")
    list_filter = ("status", "needs_attention", "type", "backend")
    search_fields = ("event_id", "type")
    date_hierarchy = "received_at"
    fields = ("backend", "event_id", "type", "status", "needs_attention", "error",
              "received_at", "processed_at", "payload_display", "headers_display")
    readonly_fields = ("payload_display", "headers_display")

    @admin.display(description=_("payload"))
    def payload_display(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))

    @admin.display(description=_("headers"))
    def headers_display(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.headers, indent=2, sort_keys=True))
