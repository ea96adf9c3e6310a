"""The filters of the staff console's lists and exports, parsed once.

Each form reads a page's query string (``?status=open&from=2026-11-01&q=smith``),
says what is wrong with it as form errors (never a 500), and applies itself to a
queryset with :meth:`~InvoiceFilterForm.filter`. The staff invoice list, its CSV
export and the payments export share these, so a CSV always holds exactly the rows
the page shows. Dates are whole days in the site's time zone: ``from`` and ``to``
are both included.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..backends import all_backends
from ..models import Invoice, InvoiceLine, Payment
from ..money import ISO_4217_MINOR_UNITS
from ..reports.period import MAX_DAYS, Period

#: ``?status=outstanding``: what still expects money (open or overdue).
OUTSTANDING = "outstanding"


def _backend_choices() -> list[tuple[str, Any]]:
    return [("", _("Any method")), *((b.alias, b.label) for b in all_backends())]


class DateRangeForm(forms.Form):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``, both optional and both included.

    ``max_days`` (``None``: no limit) refuses a longer range; ``default`` is the
    :class:`Period` a page shows when neither date is given (``None``: all dates).
    """

    date_field = ""  # the DateTimeField the range applies to, set by subclasses
    max_days: int | None = None

    def __init__(self, data: Any = None, *, today: date | None = None,
                 default: Period | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()
        self.default = default
        # "from" is a Python keyword, so the two fields are added here, not declared.
        self.fields["from"] = forms.DateField(
            label=_("From"), required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        self.fields["to"] = forms.DateField(
            label=_("To"), required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        self.order_fields(["from", "to"])

    def full_clean(self) -> None:
        super().full_clean()
        # Point each refused field at its error list (the templates give the list the
        # id "<field id>-errors"), so a screen reader reads the error with the field.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-errors"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", _("The end date must be on or after the start date."))
        elif self.max_days and start and end and (end - start).days + 1 > self.max_days:
            self.add_error("to", _("Choose a period of at most %(days)s days.")
                           % {"days": self.max_days})
        return data

    @property
    def period(self) -> Period | None:
        """The chosen days: both dates; one date and the default's other end (or, for
        a start alone, today); or the default. The default when the form is invalid."""
        if not self.is_valid():
            return self.default
        start, end = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if not start and not end:
            return self.default
        if start and end:
            return Period(start, end)
        if start:
            return Period(start, max(start, self.today))
        assert end is not None
        return Period(end.replace(day=1), end)

    def date_bounds(self) -> tuple[datetime | None, datetime | None]:
        """(first moment, moment after) of the chosen dates; ``None`` where open."""
        if not self.is_valid():
            return None, None
        start, end = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        first = Period(start, start).bounds()[0] if start else None
        after = Period(end, end).bounds()[1] if end else None
        return first, after

    def filter_dates(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        first, after = self.date_bounds()
        if first is not None:
            queryset = queryset.filter(**{f"{self.date_field}__gte": first})
        if after is not None:
            queryset = queryset.filter(**{f"{self.date_field}__lt": after})
        return queryset

    def range_slug(self) -> str:
        """``2026-11-01_2026-11-30``, ``from-2026-11-01``, ``to-…`` or ``all``, for
        file names."""
        if not self.is_valid():
            return "all"
        start, end = self.cleaned_data.get("from"), self.cleaned_data.get("to")
        if start and end:
            return f"{start.isoformat()}_{end.isoformat()}"
        if start:
            return f"from-{start.isoformat()}"
        if end:
            return f"to-{end.isoformat()}"
        return "all"


class DashboardPeriodForm(DateRangeForm):
    """The dashboard's period: at most two years, this month when none is given."""

    max_days = MAX_DAYS


class InvoiceFilterForm(DateRangeForm):
    """The staff invoice list's filters: ``status`` (or ``outstanding``), ``customer``
    (a user id), ``backend`` (invoices with a payment through that method), the dates
    they were issued, and ``q`` (number, billing name or e-mail, line description)."""

    date_field = "issued_at"

    status = forms.ChoiceField(label=_("Status"), required=False)
    customer = forms.IntegerField(label=_("Customer id"), required=False, min_value=1)
    backend = forms.ChoiceField(label=_("Method"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [("", _("Any status")), (OUTSTANDING, _("Outstanding")),
                                *Invoice.Status.choices]
        backend_field = self.fields["backend"]
        assert isinstance(backend_field, forms.ChoiceField)
        backend_field.choices = _backend_choices()

    def filter(self, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        """``queryset`` narrowed to what the filters ask for (unchanged if invalid)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["status"] == OUTSTANDING:
            queryset = queryset.filter(status__in=Invoice.COLLECTIBLE)
        elif data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["customer"]:
            queryset = queryset.filter(customer_id=data["customer"])
        if data["backend"]:
            queryset = queryset.filter(Exists(Payment.objects.filter(
                invoice=OuterRef("pk"), backend=data["backend"])))
        if data["q"]:
            term = data["q"]
            queryset = queryset.filter(
                Q(number__icontains=term) | Q(billing_name__icontains=term)
                | Q(billing_email__icontains=term)
                | Exists(InvoiceLine.objects.filter(invoice=OuterRef("pk"),
                                                    description__icontains=term)))
        return self.filter_dates(queryset)


class PaymentFilterForm(DateRangeForm):
    """The payments export's filters: the dates payments were started, ``backend``,
    ``status`` and ``currency``."""

    date_field = "created_at"

    backend = forms.ChoiceField(label=_("Method"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [("", _("Any status")), *Payment.Status.choices]
        backend_field = self.fields["backend"]
        assert isinstance(backend_field, forms.ChoiceField)
        backend_field.choices = _backend_choices()

    def clean_currency(self) -> str:
        code: str = self.cleaned_data["currency"].strip().upper()
        if code and code not in ISO_4217_MINOR_UNITS:
            raise forms.ValidationError(_("Give a three-letter currency code, e.g. GBP."))
        return code

    def filter(self, queryset: QuerySet[Payment]) -> QuerySet[Payment]:
        """``queryset`` narrowed to what the filters ask for (unchanged if invalid)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["backend"]:
            queryset = queryset.filter(backend=data["backend"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["currency"]:
            queryset = queryset.filter(currency=data["currency"])
        return self.filter_dates(queryset)
