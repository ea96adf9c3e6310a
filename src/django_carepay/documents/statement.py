"""A payer's statement of account: what they owe, how old it is, what moved lately.

A statement is an *as-of* document: it is rendered afresh on every request and never
stored (unlike an issued invoice or a receipt, it is not a legal record of one event).
:func:`build_statement` computes the figures, shared by the PDF
(:func:`render_statement_pdf`) and the payer's HTML page (``carepay:statement``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum, Value
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..adapter import get_adapter
from ..ageing import BUCKETS as BUCKETS  # shared with the dashboard; importable here too
from ..ageing import bucket_for as bucket_for
from ..models import Invoice, Transaction
from ..models.ledger import kept_amount
from ..money import normalize
from . import engine
from .render import ISSUER_KEYS

#: How far back payments and refunds are listed: the 12 months before ``as_of``.
PERIOD_MONTHS = 12


def period_start(as_of: date) -> date:
    """The first day of the period: the day after the same date 12 months earlier
    (29 February falls back to the 28th), so the period is exactly 12 months long."""
    year = as_of.year - PERIOD_MONTHS // 12
    try:
        start = as_of.replace(year=year)
    except ValueError:  # 29 February
        start = as_of.replace(year=year, day=28)
    return date.fromordinal(start.toordinal() + 1)


@dataclass
class OpenItem:
    invoice: Invoice
    amount_due: Decimal
    days_overdue: int
    bucket: str
    bucket_label: str


@dataclass
class Movement:
    """A payment, a refund or a refund reversal on one of the payer's invoices."""

    day: date
    kind: str
    label: str
    invoice: Invoice
    amount: Decimal  # signed: money received is positive, money handed back negative
    reference: str


@dataclass
class Section:
    """Everything in one currency."""

    currency: str
    items: list[OpenItem] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    ageing: list[tuple[str, Any, Decimal]] = field(default_factory=list)
    balance: Decimal = Decimal(0)
    received: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)


@dataclass
class Statement:
    customer: Any
    as_of: date
    period_start: date
    sections: list[Section]
    issuer: dict[str, Any]
    billed_to: dict[str, str]


def _invoices(customer: Any) -> Any:
    return Invoice.objects.filter(customer=customer).exclude(status=Invoice.Status.DRAFT)


def _issuer(latest: Invoice | None) -> dict[str, Any]:
    """The adapter's issuer for the customer's most recent invoice (issuer details
    are per invoice); blank when they have none."""
    details = get_adapter().issuer_details(latest) if latest is not None else {}
    return {**dict.fromkeys(ISSUER_KEYS, ""), **details}


def _billed_to(customer: Any, latest: Invoice | None) -> dict[str, str]:
    """The billing snapshot of the customer's most recent invoice, else their account."""
    if latest is not None and latest.billing_name:
        return {"name": latest.billing_name, "address": latest.billing_address,
                "country": latest.billing_country, "email": latest.billing_email}
    name = customer.get_full_name() if hasattr(customer, "get_full_name") else ""
    return {"name": name or str(customer), "address": "", "country": "",
            "email": getattr(customer, "email", "") or ""}


def build_statement(customer: Any, *, currency: str | None = None,
                    as_of: date | None = None) -> Statement:
    """The figures of ``customer``'s statement as of ``as_of`` (default: today).

    - Open items: their invoices issued by ``as_of`` and still owing at its end (open or
      overdue then, whatever they are now), with what they owed then (the ledger up to
      that day) and the ageing bucket of the days between the due date and ``as_of``
      (current = not yet due; 1-30, 31-60, 61-90, over 90 days overdue).
    - Movements: payments received, refunds and refund reversals recorded on any of
      their invoices during the 12 months ending on ``as_of`` (see :func:`period_start`).
    - Balance: what the open items still owe, per currency.

    One section per currency that has open items or movements (only ``currency``'s
    when given, present even when empty).
    """
    as_of = as_of or timezone.localdate()
    start = period_start(as_of)
    sections: dict[str, Section] = {}
    if currency:
        sections[currency] = Section(currency)

    def section(code: str) -> Section:
        return sections.setdefault(code, Section(code))

    # What each invoice owed at the end of ``as_of``, from the ledger up to that day,
    # so a statement of a past day shows that day's figures: an invoice paid, voided
    # or written off since was still open then.
    invoices = _invoices(customer).filter(
        Q(status__in=Invoice.COLLECTIBLE) | Q(paid_at__date__gt=as_of)
        | Q(closed_at__date__gt=as_of),
        issued_at__date__lte=as_of,
    ).annotate(held=Sum(kept_amount("transactions__"),
                        filter=Q(transactions__created_at__date__lte=as_of),
                        default=Value(Decimal(0))))
    txns = Transaction.objects.filter(
        invoice__customer=customer, created_at__date__gte=start, created_at__date__lte=as_of,
    ).select_related("invoice", "payment")
    if currency:
        invoices = invoices.filter(currency=currency)
        txns = txns.filter(currency=currency)
    labels = {key: label for key, label, _f, _l in BUCKETS}
    for invoice in invoices.order_by("due_date", "issued_at", "id"):
        due = normalize(invoice.total - invoice.held, invoice.currency)
        if due <= 0:
            continue  # paid in full by then (and settled on a later day)
        days = (as_of - invoice.due_date).days if invoice.due_date else 0
        key = bucket_for(days)
        section(invoice.currency).items.append(OpenItem(
            invoice, due, max(days, 0), key, str(labels[key])))
    for txn in txns.order_by("created_at", "id"):
        sign = -1 if txn.kind == Transaction.Kind.REFUND else 1
        is_charge = txn.kind == Transaction.Kind.CHARGE
        label = str(_("Payment")) if is_charge else str(txn.get_kind_display())
        reference = txn.payment.reference or txn.provider_reference or ""
        section(txn.currency).movements.append(Movement(
            timezone.localdate(txn.created_at), txn.kind,
            label,
            txn.invoice, normalize(sign * txn.amount, txn.currency), reference))
    for sec in sections.values():
        zero = Decimal(0)
        sec.balance = sum((item.amount_due for item in sec.items), zero)
        sec.ageing = [(key, label, sum((i.amount_due for i in sec.items if i.bucket == key), zero))
                      for key, label, _f, _l in BUCKETS]
        sec.received = sum((m.amount for m in sec.movements
                            if m.kind == Transaction.Kind.CHARGE), zero)
        sec.refunded = -sum((m.amount for m in sec.movements
                             if m.kind != Transaction.Kind.CHARGE), zero)
    latest = _invoices(customer).order_by("-issued_at", "-id").first()
    return Statement(customer, as_of, start, [sections[c] for c in sorted(sections)],
                     _issuer(latest), _billed_to(customer, latest))


def statement_context(customer: Any, *, currency: str | None = None,
                      as_of: date | None = None) -> dict[str, Any]:
    """What ``carepay/pdf/statement.html`` and ``carepay/statement.html`` render."""
    statement = build_statement(customer, currency=currency, as_of=as_of)
    return {
        "statement": statement,
        "sections": statement.sections,
        "issuer": statement.issuer,
        "billed_to": statement.billed_to,
        "title": "Statement of account",
    }


def render_statement_pdf(customer: Any, *, currency: str | None = None,
                         as_of: date | None = None) -> bytes:
    """``customer``'s statement of account as an A4 PDF, as of ``as_of`` (default today).

    Open items with their ageing, the payments and refunds of the 12 months ending on
    ``as_of``, and the balance: one section per currency, or only ``currency``'s.
    Rendered afresh every time and never stored. See :func:`build_statement`.
    """
    context = statement_context(customer, currency=currency, as_of=as_of)
    return engine.html_to_pdf(render_to_string("carepay/pdf/statement.html", context))
