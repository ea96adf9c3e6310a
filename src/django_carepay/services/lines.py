"""A draft invoice's lines: price and check them, add, change and remove them.

Every change recomputes the invoice's subtotal, tax and total from its lines under the
invoice's lock; the lines of an issued invoice are frozen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext

from ..exceptions import InvalidAmount, InvalidInput, InvalidState
from ..models import Invoice, InvoiceLine
from ..money import check_range, quantize, round_to_currency, to_decimal, validate_currency
from ._checks import _check_length, _require_editable, _required_text
from ._locks import _copy_state, _lock_invoice

#: InvoiceLine.quantity holds 12 digits, 3 of them after the point.
MAX_QUANTITY = Decimal(10) ** 9


def _line_values(invoice: Invoice, *, description: str, quantity: object = 1,
                 unit_price: object, tax_rate: object = 0, service_date: date | None = None,
                 provider_name: str = "", metadata: Mapping[str, Any] | None = None,
                 subject: models.Model | None = None, position: int = 0) -> InvoiceLine:
    description = _required_text(description, field="description",
                                 message=gettext(
                                     "A line needs a description, e.g. 'GP consultation'."
                                 ))
    _check_length(InvoiceLine, "description", description)
    _check_length(InvoiceLine, "provider_name", provider_name or "")
    qty = to_decimal(quantity)
    if not Decimal(0) < qty < MAX_QUANTITY or qty != qty.quantize(Decimal("0.001")):
        raise InvalidAmount(gettext(
            "Quantity %(quantity)s must be greater than 0 and below %(max)s, with at most 3 "
            "decimals."
        ) % {"quantity": quantity, "max": f"{MAX_QUANTITY:,}"}, field="quantity")
    try:
        price = quantize(unit_price, invoice.currency, allow_zero=True)
    except InvalidAmount as exc:  # the same refusal, about this field
        raise InvalidAmount(str(exc), field="unit_price", code=exc.code) from exc
    rate = to_decimal(tax_rate)
    if not Decimal(0) <= rate <= Decimal(100) or rate != rate.quantize(Decimal("0.001")):
        raise InvalidAmount(gettext(
            "Tax rate %(rate)s must be a percentage between 0 and 100."
        ) % {"rate": tax_rate},
                            field="tax_rate")
    line_total = check_range(round_to_currency(qty * price, invoice.currency))
    line = InvoiceLine(
        invoice=invoice, position=position, description=description, quantity=qty,
        unit_price=price, tax_rate=rate, service_date=service_date,
        provider_name=provider_name, line_total=line_total,
        tax_amount=round_to_currency(line_total * rate / 100, invoice.currency),
        metadata=dict(metadata or {}),
    )
    if subject is not None:
        if not isinstance(subject, models.Model) or subject.pk is None:
            raise InvalidInput("A line's subject must be a saved model instance (the "
                               "lesson, seat or enrolment it bills for).",
                               field="subject", code="unsaved")
        line.subject = subject  # sets the content type and the id (as text)
        line.subject_object_id = str(subject.pk)
        _check_length(InvoiceLine, "subject_object_id", line.subject_object_id)
    return line


def _recompute_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    subtotal = Decimal(0)
    tax = Decimal(0)
    for line in lines:
        subtotal += line.line_total
        tax += line.tax_amount
    invoice.subtotal = subtotal
    invoice.tax = tax
    invoice.total = check_range(subtotal + tax)


def _save_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    """Recompute a locked draft's totals from ``lines`` and save only them."""
    _recompute_totals(invoice, lines)
    invoice.save(update_fields=["subtotal", "tax", "total", "updated_at"])


def add_line(invoice: Invoice, *, description: str, quantity: object = 1,
             unit_price: object, tax_rate: object = 0, service_date: date | None = None,
             provider_name: str = "", metadata: Mapping[str, Any] | None = None,
             subject: models.Model | None = None) -> InvoiceLine:
    """Add a line to a draft invoice and update its totals.

    ``subject`` is the host object the line bills for (a lesson, a workshop seat),
    when an invoice is a cart of several: the signals then reach that object's model
    class too, with its objects in ``subjects``."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        _require_editable(locked)
        existing = list(locked.lines.all())
        line = _line_values(
            locked, description=description, quantity=quantity, unit_price=unit_price,
            tax_rate=tax_rate, service_date=service_date, provider_name=provider_name,
            metadata=metadata, subject=subject, position=len(existing),
        )
        line.save(force_insert=True)
        _save_totals(locked, [*existing, line])
    _copy_state(invoice, locked)
    return line


def update_line(line: InvoiceLine, **changes: Any) -> InvoiceLine:
    """Change a draft's line (any of :func:`add_line`'s keyword arguments) and
    recompute the invoice's totals. Lines of issued invoices are frozen."""
    allowed = {"description", "quantity", "unit_price", "tax_rate", "service_date",
               "provider_name", "metadata", "subject"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"Unknown line field(s) {', '.join(unknown)}; use "
                           f"{', '.join(sorted(allowed))}.", code="unknown")
    with transaction.atomic():
        locked = _lock_invoice(line.invoice_id)
        _require_editable(locked)
        lines = list(locked.lines.all())
        current = next((x for x in lines if x.pk == line.pk), None)
        if current is None:
            raise InvalidState(gettext("That line no longer exists."))
        values = {f: getattr(current, f) for f in allowed}
        values.update(changes)
        fresh = _line_values(locked, position=current.position, **values)
        fresh.pk = current.pk
        fresh.save(force_update=True)
        _save_totals(locked, [fresh if x.pk == fresh.pk else x for x in lines])
    _copy_state(line, fresh)
    return fresh


def remove_line(line: InvoiceLine) -> None:
    """Remove a line from a draft and recompute the invoice's totals."""
    with transaction.atomic():
        locked = _lock_invoice(line.invoice_id)
        _require_editable(locked)
        InvoiceLine.objects.filter(pk=line.pk, invoice=locked).delete()
        _save_totals(locked, locked.lines.all())


def validate_line(*, currency: str, **values: Any) -> None:
    """Raise the :class:`CarepayError` :func:`add_line` would, without saving anything
    (for forms that want to show line errors before they save)."""
    _line_values(Invoice(currency=validate_currency(currency)), **values)
