"""The aggregate queries behind the dashboard: each one statement, whatever the data.

Every function here asks the database for sums and counts grouped by a handful of
keys (currency, backend, status, day) — the rows that come back are bounded by those
keys, never by how many invoices or payments there are — and folds them into the
value objects of :mod:`.types`. Amounts are summed per currency by the database as
``numeric`` (PostgreSQL) and read back as ``Decimal`` with carepay's three stored
places; no two currencies are ever added together.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, F, Min, Q, Sum, Value, When
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

from ..ageing import BUCKETS, due_date_bounds
from ..models import Invoice, Payment, Transaction, WebhookEvent
from ..models.invoice import KEPT
from ..models.webhook import NEEDS_LOOKING_AT
from ..money import normalize
from .period import Period
from .types import (
    ZERO,
    Ageing,
    CurrencyAmount,
    DailyReceived,
    MoneyMoved,
    OverpaidInvoice,
    StatusCount,
)

#: Sums are read with carepay's three stored places and room for large totals.
AMOUNT = models.DecimalField(max_digits=20, decimal_places=3)

#: What an invoice still owes (never below zero).
PAYABLE = Greatest(F("total") - KEPT, Value(ZERO), output_field=AMOUNT)
#: What an invoice listed by ``needing_refund()`` kept beyond what it is owed: a void
#: or refunded invoice is owed nothing, any other its total.
EXCESS = Case(
    When(status__in=(Invoice.Status.VOID, Invoice.Status.REFUNDED), then=KEPT),
    default=KEPT - F("total"), output_field=AMOUNT,
)


def money(amount: Decimal | None, currency: str) -> Decimal:
    """A summed amount as ``currency`` writes it (``80.000`` → ``80.00``); 0 for none."""
    return normalize(amount if amount is not None else ZERO, currency)


def _sum(expression: Any, condition: Q | None = None) -> Sum:
    return Sum(expression, filter=condition, output_field=AMOUNT)


def ledger_moves(period: Period, today: date) -> list[dict[str, Any]]:
    """Ledger sums in ``period`` and on ``today``, by (currency, backend, kind): one
    query, rows bounded by (currency, backend, kind) triples."""
    in_period = Q(**period.filter("created_at"))
    on_today = Q(**Period(today, today).filter("created_at"))
    rows: Any = (
        Transaction.objects.filter(in_period | on_today).order_by()
        .values("currency", "backend", "kind")
        .annotate(period_amount=_sum("amount", in_period),
                  period_count=Count("id", filter=in_period),
                  today_amount=_sum("amount", on_today),
                  today_count=Count("id", filter=on_today))
    )
    return [dict(row) for row in rows]


def fold_moves(rows: list[dict[str, Any]], key: Any, prefix: str) -> dict[tuple[Any, str],
                                                                          MoneyMoved]:
    """Fold :func:`ledger_moves` rows into one :class:`MoneyMoved` per (``key(row)``,
    currency), from the ``prefix`` (``"period"`` or ``"today"``) sums."""
    acc: dict[tuple[Any, str], dict[str, Any]] = defaultdict(
        lambda: {"received": ZERO, "refunded": ZERO, "charges": 0, "refunds": 0})
    for row in rows:
        amount = row[f"{prefix}_amount"] or ZERO
        count = row[f"{prefix}_count"]
        if not count:
            continue
        item = acc[(key(row), row["currency"])]
        if row["kind"] == Transaction.Kind.CHARGE:
            item["received"] += amount
            item["charges"] += count
        elif row["kind"] == Transaction.Kind.REFUND:
            item["refunded"] += amount
            item["refunds"] += count
        else:  # a refund reversal: the money came back
            item["refunded"] -= amount
    return {
        (k, currency): MoneyMoved(currency=currency,
                                  received=money(v["received"], currency),
                                  refunded=money(v["refunded"], currency),
                                  charges=v["charges"], refunds=v["refunds"])
        for (k, currency), v in acc.items()
    }


def daily_received(period: Period) -> list[DailyReceived]:
    """Ledger charges per day of ``period`` (site time zone), per currency: one query,
    rows bounded by days and currencies. Every day is present, at zero when quiet."""
    rows = (Transaction.objects.filter(kind=Transaction.Kind.CHARGE, **period.filter("created_at"))
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .order_by().values("day", "currency")
            .annotate(amount=_sum("amount"), count=Count("id")))
    found: dict[str, dict[date, tuple[Decimal, int]]] = defaultdict(dict)
    for row in rows:
        found[row["currency"]][row["day"]] = (money(row["amount"], row["currency"]), row["count"])
    days = period.each_day()
    return [
        DailyReceived(currency=currency, days=[
            (day, *by_day.get(day, (money(ZERO, currency), 0))) for day in days])
        for currency, by_day in sorted(found.items())
    ]


def by_status(queryset: models.QuerySet[Any], amount_field: str,
              labels: dict[str, Any]) -> list[StatusCount]:
    """Count and amount per (status, currency) of ``queryset``: one query. Statuses
    come in the order of ``labels`` (the model's choices)."""
    rows = (queryset.order_by().values("status", "currency")
            .annotate(count=Count("id"), amount=_sum(amount_field)))
    order = {status: n for n, status in enumerate(labels)}
    return sorted(
        (StatusCount(status=row["status"], label=str(labels.get(row["status"], row["status"])),
                     currency=row["currency"], count=row["count"],
                     amount=money(row["amount"], row["currency"]))
         for row in rows),
        key=lambda s: (order.get(s.status, len(order)), s.currency),
    )


def payments_by_status(period: Period) -> list[StatusCount]:
    """Payments started in ``period``, by status and currency (amounts asked)."""
    return by_status(Payment.objects.filter(**period.filter("created_at")), "amount",
                     dict(Payment.Status.choices))


def invoices_by_status(period: Period) -> list[StatusCount]:
    """Invoices issued in ``period``, by their status now and currency (totals)."""
    return by_status(Invoice.objects.filter(**period.filter("issued_at")), "total",
                     dict(Invoice.Status.choices))


def ageing(today: date) -> list[Ageing]:
    """What open and overdue invoices still owe, per currency, in the ageing buckets of
    :mod:`django_carepay.ageing` as of ``today``: one query with one conditional sum
    per bucket. An invoice without a due date is current."""
    annotations: dict[str, Any] = {}
    for key, _label, first, last in BUCKETS:
        earliest, latest = due_date_bounds(first, last, today)
        condition = Q()
        if earliest is not None:
            condition &= Q(due_date__gte=earliest)
        if latest is not None:
            condition &= Q(due_date__lte=latest)
        if first is None:  # not yet due, or no due date at all
            condition |= Q(due_date__isnull=True)
        annotations[f"amount_{key}"] = _sum(PAYABLE, condition)
        annotations[f"count_{key}"] = Count("id", filter=condition)
    rows = Invoice.objects.collectible().order_by().values("currency").annotate(**annotations)
    return [
        Ageing(currency=row["currency"], buckets=[
            (key, label, money(row[f"amount_{key}"], row["currency"]), row[f"count_{key}"])
            for key, label, _f, _l in BUCKETS])
        for row in sorted(rows, key=lambda r: r["currency"])
    ]


def overpaid() -> tuple[list[CurrencyAmount], list[OverpaidInvoice]]:
    """Invoices that kept more than they are owed (``Invoice.objects.needing_refund()``):
    count and excess per currency, and the five most recently changed. Two queries."""
    needing = Invoice.objects.needing_refund()
    totals = [
        CurrencyAmount(currency=row["currency"], count=row["count"],
                       amount=money(row["excess"], row["currency"]))
        for row in needing.order_by().values("currency")
        .annotate(count=Count("id"), excess=_sum(EXCESS)).order_by("currency")
    ]
    latest = [
        OverpaidInvoice(invoice=invoice, excess=money(invoice.excess, invoice.currency))
        for invoice in needing.annotate(excess=EXCESS)
        .select_related("customer").order_by("-updated_at", "-id")[:5]
    ]
    return totals, latest


def awaiting_approval() -> tuple[list[CurrencyAmount], Any]:
    """Payments waiting for a staff decision: count and amount per currency, and when
    the oldest was submitted. One query."""
    rows = list(Payment.objects.awaiting_approval().order_by().values("currency")
                .annotate(count=Count("id"), amount=_sum("amount"), oldest=Min("created_at"))
                .order_by("currency"))
    totals = [CurrencyAmount(currency=r["currency"], count=r["count"],
                             amount=money(r["amount"], r["currency"])) for r in rows]
    return totals, min((r["oldest"] for r in rows), default=None)


def webhook_problems() -> tuple[int, list[WebhookEvent]]:
    """How many deliveries failed or were flagged, and the five latest. Two queries."""
    events = WebhookEvent.objects.filter(NEEDS_LOOKING_AT)
    count: int = events.aggregate(count=Count("id"))["count"]
    latest = list(events.defer("payload", "headers").order_by("-received_at", "-id")[:5])
    return count, latest
