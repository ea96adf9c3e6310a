"""The staff dashboard's figures: :func:`build_dashboard`.

A constant number of queries whatever the data size (ten: see
:mod:`.queries`, plus one per backend that can be reconciled), each an aggregate
grouped by a handful of keys; nothing here loops over invoices or payments.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from ..emails.compose import backend_label
from . import queries
from .period import Period
from .reconciliation import reconciliation_statuses
from .types import Attention, Dashboard, MoneyMoved, MoneyMovedBy


def _by(moves: dict[tuple[str, str], MoneyMoved]) -> list[MoneyMovedBy]:
    return [MoneyMovedBy(key=key, label=key, moved=moved)
            for (key, _currency), moved in sorted(moves.items())]


def build_dashboard(period: Period, *, today: date | None = None) -> Dashboard:
    """Every figure of the dashboard for ``period`` (whole days, site time zone):

    - money received, refunded and kept (ledger), per currency — for ``period`` and for
      ``today`` — and by method (the backend's label), by backend (its alias);
    - payments started in the period by status; invoices issued in it by status;
    - ageing of what open and overdue invoices owe, as of ``today``;
    - what needs attention now: invoices to refund, transfers awaiting approval,
      failed or flagged webhook deliveries, a reconciliation that found differences
      it did not fix;
    - the last reconciliation of each backend that can be reconciled (one query each);
    - money received per day of the period.
    """
    today = today or timezone.localdate()
    rows = queries.ledger_moves(period, today)
    labels = {alias: backend_label(alias) for alias in {row["backend"] for row in rows}}
    by_currency = queries.fold_moves(rows, lambda row: "", "period")
    today_moved = queries.fold_moves(rows, lambda row: "", "today")
    by_method = queries.fold_moves(rows, lambda row: labels[row["backend"]], "period")
    by_backend = queries.fold_moves(rows, lambda row: row["backend"], "period")
    overpaid, overpaid_latest = queries.overpaid()
    awaiting, awaiting_since = queries.awaiting_approval()
    webhook_count, webhook_latest = queries.webhook_problems()
    reconciliation = reconciliation_statuses()
    return Dashboard(
        period=period,
        today=today,
        today_moved=[m for _k, m in sorted(today_moved.items())],
        moved=[m for _k, m in sorted(by_currency.items())],
        by_method=_by(by_method),
        by_backend=[MoneyMovedBy(key=row.key, label=labels.get(row.key, row.key),
                                 moved=row.moved) for row in _by(by_backend)],
        payments_by_status=queries.payments_by_status(period),
        invoices_by_status=queries.invoices_by_status(period),
        ageing=queries.ageing(today),
        attention=Attention(
            overpaid=overpaid, overpaid_latest=overpaid_latest,
            awaiting_approval=awaiting, awaiting_since=awaiting_since,
            webhook_problems=webhook_count, webhook_latest=webhook_latest,
            reconciliation=[r for r in reconciliation if r.unresolved],
        ),
        daily=queries.daily_received(period),
        reconciliation=reconciliation,
    )
