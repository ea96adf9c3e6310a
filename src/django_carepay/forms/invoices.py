"""The staff console's invoice forms: the list's filters, a new draft and its lines."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import services
from ..backends import all_backends
from ..conf import carepay_settings
from ..exceptions import CarepayError, InvalidCurrency
from ..models import Invoice, InvoiceLine, Payment
from ..money import validate_currency
from .fields import AmountField, add_service_error

#: The line fields staff type; the service computes the rest.
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "service_date",
               "provider_name")

#: Apps whose models are never what an invoice bills for.
NOT_SUBJECTS = ("admin", "auth", "contenttypes", "sessions", "carepay")


def _user_fields() -> list[str]:
    """The user model's username and e-mail fields (a custom model may lack one)."""
    user_model = get_user_model()
    names = []
    for name in dict.fromkeys([user_model.USERNAME_FIELD, user_model.get_email_field_name()]):
        try:
            user_model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        names.append(name)
    return names


class DateInput(forms.DateInput):
    """The browser's date picker, which reads and writes ISO dates whatever the locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ConsoleForm(forms.Form):
    """A staff console form: labels without Django's trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class InvoiceFilterForm(ConsoleForm):
    """What narrows the staff's invoice list; every field optional, in the query string."""

    STATUS_CHOICES = [("", _("All statuses")), ("outstanding", _("Outstanding")),
                      *Invoice.Status.choices]

    q = forms.CharField(
        label=_("Search"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _(
            "Number, name, e-mail or line")}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    customer = forms.CharField(
        label=_("Customer"), required=False, max_length=150,
        help_text=_("Username or e-mail address."))
    backend = forms.ChoiceField(label=_("Paid with"), required=False)
    issued_from = forms.DateField(label=_("Issued from"), required=False, widget=DateInput)
    issued_to = forms.DateField(label=_("Issued to"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        backend = self.fields["backend"]
        assert isinstance(backend, forms.ChoiceField)
        backend.choices = [("", _("Any method")),
                           *[(b.alias, b.label) for b in all_backends()]]

    def filter(self, queryset: models.QuerySet[Invoice]) -> models.QuerySet[Invoice]:
        """``queryset`` narrowed by the valid fields (an invalid field is ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        status = data.get("status")
        if status == "outstanding":
            queryset = queryset.filter(status__in=Invoice.COLLECTIBLE)
        elif status:
            queryset = queryset.filter(status=status)
        if data.get("customer"):
            who = data["customer"].strip()
            match = Q()
            for name in _user_fields():
                match |= Q(**{f"customer__{name}__iexact": who})
            queryset = queryset.filter(match | Q(billing_email__iexact=who))
        if data.get("backend"):
            queryset = queryset.filter(Exists(Payment.objects.filter(
                invoice=OuterRef("pk"), backend=data["backend"])))
        if data.get("issued_from"):
            queryset = queryset.filter(issued_at__date__gte=data["issued_from"])
        if data.get("issued_to"):
            queryset = queryset.filter(issued_at__date__lte=data["issued_to"])
        if data.get("q"):
            term = data["q"].strip()
            match = (Q(number__icontains=term) | Q(billing_name__icontains=term)
                     | Q(billing_email__icontains=term))
            for name in _user_fields():
                match |= Q(**{f"customer__{name}__icontains": term})
            match |= Q(customer__first_name__icontains=term) if _has_field(
                "first_name") else Q()
            match |= Q(customer__last_name__icontains=term) if _has_field(
                "last_name") else Q()
            lines = Exists(InvoiceLine.objects.filter(invoice=OuterRef("pk"),
                                                      description__icontains=term))
            queryset = queryset.filter(match | lines)
        return queryset


def _has_field(name: str) -> bool:
    try:
        get_user_model()._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def find_customer(value: str) -> Any:
    """The one user whose username or e-mail address is ``value`` (any case)."""
    match = Q()
    for name in _user_fields():
        match |= Q(**{f"{name}__iexact": value})
    found = list(get_user_model()._default_manager.filter(match)[:2])
    if not found:
        raise forms.ValidationError(_("No account has the username or e-mail address "
                                      "“%(value)s”."), params={"value": value})
    if len(found) > 1:
        raise forms.ValidationError(_("Several accounts match “%(value)s”; type the "
                                      "username instead."), params={"value": value})
    return found[0]


class InvoiceCreateForm(ConsoleForm):
    """Who a new draft is for, in what currency, when it is due, and what it bills."""

    customer = forms.CharField(
        label=_("Customer"), max_length=254, required=False,
        help_text=_("Their username or e-mail address. Leave it blank for someone "
                    "without an account and fill in the billing e-mail below."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    billing_name = forms.CharField(
        label=_("Billing name"), max_length=200, required=False,
        help_text=_("Blank: the customer's name, when the invoice is issued."))
    billing_email = forms.EmailField(
        label=_("Billing e-mail"), required=False,
        help_text=_("Blank: the customer's e-mail address."))
    billing_language = forms.ChoiceField(
        label=_("Payer's language"), required=False,
        help_text=_("Their e-mails and documents are written in it, whoever sends them. "
                    "Blank: the language active when they go."))
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3,
                               widget=forms.TextInput(attrs={"size": 4}))
    due_date = forms.DateField(
        label=_("Due date"), required=False, widget=DateInput,
        help_text=_("Blank: %(days)s days after the invoice is issued."))
    subject_type = forms.ModelChoiceField(
        label=_("Bills for (type)"), required=False, queryset=ContentType.objects.none(),
        help_text=_("The record in your system this invoice is for, e.g. an appointment."))
    subject_id = forms.CharField(label=_("Bills for (id)"), required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = carepay_settings.DEFAULT_CURRENCY
        # The site's own languages, when it lists them; not Django's hundred by default.
        if settings.is_overridden("LANGUAGES"):  # type: ignore[misc]
            language = self.fields["billing_language"]
            assert isinstance(language, forms.ChoiceField)
            language.choices = [("", "—"), *settings.LANGUAGES]
        else:
            del self.fields["billing_language"]
        self.fields["due_date"].help_text = str(self.fields["due_date"].help_text) % {
            "days": carepay_settings.PAYMENT_TERMS_DAYS}
        subject_type = self.fields["subject_type"]
        assert isinstance(subject_type, forms.ModelChoiceField)
        subject_type.queryset = ContentType.objects.exclude(
            app_label__in=NOT_SUBJECTS).order_by("app_label", "model")

    def clean_customer(self) -> Any:
        value = self.cleaned_data["customer"].strip()
        return find_customer(value) if value else None

    def clean_currency(self) -> str:
        try:
            return validate_currency(self.cleaned_data["currency"])
        except InvalidCurrency as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("customer") and not cleaned.get("billing_email"):
            self.add_error("customer", _("Choose a customer, or give a billing e-mail "
                                         "address for someone without an account."))
        subject_type, subject_id = cleaned.get("subject_type"), cleaned.get("subject_id")
        cleaned["subject"] = None
        if subject_type and not subject_id:
            self.add_error("subject_id", _("Give the id of the record it bills for."))
        elif subject_id and not subject_type:
            self.add_error("subject_type", _("Choose what kind of record it bills for."))
        elif subject_type and subject_id:
            try:
                cleaned["subject"] = subject_type.get_object_for_this_type(pk=subject_id)
            except (ObjectDoesNotExist, ValueError, forms.ValidationError):
                self.add_error("subject_id", _("No %(type)s has the id “%(id)s”.") % {
                    "type": subject_type.name, "id": subject_id})
        return cleaned


class LineForm(ConsoleForm):
    """One line of a draft, checked by the rules the service prices it with."""

    description = forms.CharField(label=_("Description"), max_length=500)
    quantity = forms.DecimalField(label=_("Quantity"), initial=1, min_value=0,
                                  max_digits=12, decimal_places=3,
                                  widget=forms.NumberInput(attrs={"step": "any"}))
    unit_price = AmountField(label=_("Unit price"),
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    tax_rate = forms.DecimalField(label=_("Tax rate (%)"), initial=0, min_value=0,
                                  max_value=100, max_digits=6, decimal_places=3,
                                  widget=forms.NumberInput(attrs={"step": "any"}))
    service_date = forms.DateField(label=_("Service date"), required=False, widget=DateInput)
    provider_name = forms.CharField(
        label=pgettext_lazy("who provided the service", "Provider"), max_length=200,
        required=False)

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def line_values(self) -> dict[str, Any]:
        """The cleaned line as :func:`~django_carepay.services.add_line` takes it."""
        values = {name: self.cleaned_data.get(name) for name in LINE_FIELDS}
        values["quantity"] = values["quantity"] if values["quantity"] is not None else 1
        values["tax_rate"] = values["tax_rate"] if values["tax_rate"] is not None else 0
        values["provider_name"] = values["provider_name"] or ""
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or not self.has_changed() or not self.currency:
            return cleaned
        try:
            services.validate_line(currency=self.currency, **self.line_values())
        except InvalidCurrency:
            pass  # the invoice's form reports its currency
        except CarepayError as exc:
            add_service_error(self, exc)
        return cleaned


class BaseLineFormSet(forms.BaseFormSet):
    """A new draft's lines: blank rows are skipped, at least one line is needed."""

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        self.currency = currency
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "currency": self.currency}

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.filled():
            raise forms.ValidationError(_("Add at least one line."))

    def filled(self) -> list[dict[str, Any]]:
        """The lines staff filled in, as the service takes them."""
        return [form.line_values() for form in self.forms
                if form.has_changed() and form.is_valid()]


#: A new draft's lines: three blank rows, at most 50.
LineFormSet: type[BaseLineFormSet] = forms.formset_factory(  # type: ignore[assignment]
    LineForm, formset=BaseLineFormSet, extra=3, max_num=50, validate_max=True)

