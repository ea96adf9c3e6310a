"""CSV exports of the staff console's filtered views: ``carepay:invoices_csv`` and
``carepay:payments_csv``.

The filters are the pages' own (:mod:`django_carepay.forms.filters`), so an export
holds exactly the rows the page shows. The file is streamed
(:class:`~django.http.StreamingHttpResponse` over ``queryset.iterator()``), so memory
stays flat at 100,000 rows. Cells are written for spreadsheets and scripts alike:

- amounts as plain decimal strings (``1234.50``, never ``£1,234.50``) with a
  currency column, dates and times in ISO 8601 (site time zone, with its offset);
- text that a spreadsheet would run as a formula — starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return (OWASP's CSV-injection rule) — is prefixed with
  ``'``; carepay's own numbers are never prefixed (a negative amount due stays a
  number);
- UTF-8 with a byte-order mark, so Excel reads accented names right.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ... import permissions
from ...emails.compose import backend_label
from ...forms.filters import DateRangeForm, InvoiceFilterForm, PaymentFilterForm
from ...models import Invoice, Payment
from ...money import normalize
from ..access import staff_view

#: Rows fetched from the database at a time (and written per chunk of the response).
CHUNK_SIZE = 2000
#: First characters that make a spreadsheet read a cell as a formula (OWASP), with
#: their full-width forms, which some spreadsheets accept too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def text_cell(value: Any) -> str:
    """Text from people or providers, made safe to open in a spreadsheet."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def amount_cell(amount: Decimal | None, currency: str) -> str:
    """``Decimal("80.000")`` in GBP → ``"80.00"``: the currency's decimals, no symbol,
    no grouping."""
    if amount is None:
        return ""
    return format(normalize(amount, currency) if currency else amount, "f")


def date_cell(value: date | datetime | None) -> str:
    """ISO 8601; a datetime in the site's time zone with its offset."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def local_date_cell(value: datetime | None) -> str:
    """The day (site time zone) of a moment, ISO 8601."""
    return "" if value is None else timezone.localdate(value).isoformat()


def stream_csv(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text of ``header`` and ``rows``, in chunks of :data:`CHUNK_SIZE` rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= CHUNK_SIZE:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


Column = tuple[str, Callable[[Any], str]]


class ExportRow:
    """One exported row: a ``values()`` dict read as attributes. Rows are not model
    instances: building 100,000 of them (each with its FSM fields' bookkeeping) took
    most of an export's time."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class InvoiceRow(ExportRow):
    """An invoice's exported fields, with the model's own ``amount_due`` rule: the
    properties are Invoice's, shared, not copied."""

    Status = Invoice.Status
    COLLECTIBLE = Invoice.COLLECTIBLE
    net_paid = Invoice.net_paid
    amount_due = Invoice.amount_due


def csv_response(*, name: str, form: DateRangeForm, queryset: QuerySet[Any],
                 columns: list[Column], row: type[ExportRow] = ExportRow) -> HttpResponse:
    """Stream ``queryset`` as ``carepay-<name>-<dates>.csv``; 400 if the filters are
    not valid (an export never silently widens to every row)."""
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(str(e) for e in errors)}"
                             for field, errors in form.errors.items())
        return HttpResponse(str(_("These filters are not valid: %(problems)s"))
                            % {"problems": problems},
                            status=400, content_type="text/plain; charset=utf-8")
    rows = ([cell(obj) for _header, cell in columns]
            for obj in map(row, queryset.iterator(chunk_size=CHUNK_SIZE)))
    response = StreamingHttpResponse(stream_csv([h for h, _cell in columns], rows),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="carepay-{name}-{form.range_slug()}.csv"')
    response["Cache-Control"] = "private, no-store"
    # staff_view's views are typed as returning HttpResponse; a streaming response is
    # served the same way.
    return cast(HttpResponse, response)


INVOICE_FIELDS = ("number", "status", "issued_at", "due_date", "paid_at", "customer_id",
                  "billing_name", "billing_email", "billing_country", "currency", "subtotal",
                  "tax", "total", "amount_paid", "amount_refunded", "public_id")
INVOICE_COLUMNS: list[Column] = [
    ("number", lambda i: text_cell(i.number)),
    ("status", lambda i: i.status),
    ("issued_on", lambda i: local_date_cell(i.issued_at)),
    ("due_date", lambda i: date_cell(i.due_date)),
    ("paid_on", lambda i: local_date_cell(i.paid_at)),
    ("customer_id", lambda i: str(i.customer_id or "")),
    ("billing_name", lambda i: text_cell(i.billing_name)),
    ("billing_email", lambda i: text_cell(i.billing_email)),
    ("billing_country", lambda i: text_cell(i.billing_country)),
    ("currency", lambda i: i.currency),
    ("subtotal", lambda i: amount_cell(i.subtotal, i.currency)),
    ("tax", lambda i: amount_cell(i.tax, i.currency)),
    ("total", lambda i: amount_cell(i.total, i.currency)),
    ("amount_paid", lambda i: amount_cell(i.amount_paid, i.currency)),
    ("amount_refunded", lambda i: amount_cell(i.amount_refunded, i.currency)),
    ("amount_due", lambda i: amount_cell(i.amount_due, i.currency)),
    ("public_id", lambda i: str(i.public_id)),
]


PAYMENT_FIELDS = ("created_at", "succeeded_at", "paid_on", "backend", "status", "currency",
                  "amount", "amount_received", "amount_refunded", "reference",
                  "provider_reference", "decided_at", "public_id")


def payment_columns() -> list[Column]:
    """The payments export's columns; method labels looked up once per backend."""
    labels: dict[str, str] = {}

    def method(payment: Any) -> str:
        if payment.backend not in labels:
            labels[payment.backend] = text_cell(backend_label(payment.backend))
        return labels[payment.backend]

    return [
        ("created_at", lambda p: date_cell(p.created_at)),
        ("succeeded_at", lambda p: date_cell(p.succeeded_at)),
        ("paid_on", lambda p: date_cell(p.paid_on)),
        ("invoice_number", lambda p: text_cell(p.invoice_number)),
        ("backend", lambda p: p.backend),
        ("method", method),
        ("status", lambda p: p.status),
        ("currency", lambda p: p.currency),
        ("amount", lambda p: amount_cell(p.amount, p.currency)),
        ("amount_received", lambda p: amount_cell(p.amount_received, p.currency)),
        ("amount_refunded", lambda p: amount_cell(p.amount_refunded, p.currency)),
        ("reference", lambda p: text_cell(p.reference)),
        ("provider_reference", lambda p: text_cell(p.provider_reference)),
        ("recorded_by", lambda p: text_cell(p.recorded_by_name)),
        ("decided_by", lambda p: text_cell(p.decided_by_name)),
        ("decided_at", lambda p: date_cell(p.decided_at)),
        ("public_id", lambda p: str(p.public_id)),
    ]


@require_GET
@staff_view(permissions.can_view_invoices,
            _("Exporting invoices needs the “Can view invoice” permission."))
def invoices_csv(request: HttpRequest) -> HttpResponse:
    """The staff invoice list's rows (same filters), oldest issued first."""
    form = InvoiceFilterForm(request.GET)
    queryset = form.filter(Invoice.objects.all()).order_by(
        F("issued_at").asc(nulls_last=True), "id").values(*INVOICE_FIELDS)
    return csv_response(name="invoices", form=form, queryset=queryset, columns=INVOICE_COLUMNS,
                        row=InvoiceRow)


@require_GET
@staff_view(permissions.can_view_payments,
            _("Exporting payments needs the “Can view payment” permission."))
def payments_csv(request: HttpRequest) -> HttpResponse:
    """Payments (every attempt, in any status) matching the filters, oldest first."""
    form = PaymentFilterForm(request.GET)
    username = get_user_model().USERNAME_FIELD
    queryset = (form.filter(Payment.objects.all()).order_by("created_at", "id")
                .values(*PAYMENT_FIELDS, invoice_number=F("invoice__number"),
                        recorded_by_name=F(f"recorded_by__{username}"),
                        decided_by_name=F(f"decided_by__{username}")))
    return csv_response(name="payments", form=form, queryset=queryset, columns=payment_columns())
