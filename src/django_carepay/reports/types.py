"""The figures of the staff dashboard, as frozen value objects.

Built by :mod:`django_carepay.reports.dashboard`; read by the dashboard page (and
anything else that wants them: a host's own report, an export). Every amount is a
``Decimal`` in one currency: figures in different currencies are never added up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from .period import Period

ZERO = Decimal(0)


@dataclass(frozen=True, kw_only=True)
class MoneyMoved:
    """Money received and handed back in one currency, from the ledger.

    ``refunded`` is refunds less refund reversals (a refund that failed at the
    provider gave the money back); ``net`` is what was kept.
    """

    currency: str
    received: Decimal = ZERO
    refunded: Decimal = ZERO
    charges: int = 0  # how many ledger charges (payments received)
    refunds: int = 0

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass(frozen=True, kw_only=True)
class MoneyMovedBy:
    """One row of a breakdown: money moved under one key (a method, a backend), in
    one currency."""

    key: str
    label: str
    moved: MoneyMoved


@dataclass(frozen=True, kw_only=True)
class StatusCount:
    """How many payments (or invoices) are in ``status``, and their amount, in one
    currency."""

    status: str
    label: str
    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class Ageing:
    """What collectible invoices in one currency still owe, by days overdue.

    ``buckets`` is ``[(key, label, amount, count), …]`` in the order of
    :data:`django_carepay.ageing.BUCKETS`.
    """

    currency: str
    buckets: list[tuple[str, Any, Decimal, int]]

    @property
    def total(self) -> Decimal:
        return sum((amount for _k, _l, amount, _n in self.buckets), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((amount for key, _l, amount, _n in self.buckets if key != "current"), ZERO)


@dataclass(frozen=True, kw_only=True)
class CurrencyAmount:
    """A count and an amount in one currency (e.g. three transfers, £240 waiting)."""

    currency: str
    count: int
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class OverpaidInvoice:
    """An invoice that kept more than it is owed, and how much to hand back."""

    invoice: Any  # django_carepay.models.Invoice
    excess: Decimal


#: How staff read each kind of difference of a reconciliation (``services.reconcile.KINDS``).
KIND_LABELS = {
    "missing_in_ledger": _("missing in the ledger"),
    "missing_at_provider": _("missing at the provider"),
    "amount_differs": _("amount differs"),
    "currency_differs": _("currency differs"),
    "status_differs": _("status differs"),
}


@dataclass(frozen=True, kw_only=True)
class ReconciliationStatus:
    """The last ``carepay_reconcile`` run of one backend (``checked_at`` ``None``:
    never run). ``unresolved`` differences are those the run found and did not fix;
    ``stale``: never run, or not within
    :data:`~django_carepay.reports.reconciliation.STALE_AFTER`."""

    backend: str
    label: str
    checked_at: datetime | None
    entry_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    charges: int = 0
    refunds: int = 0
    differences: int = 0
    fixed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    stale: bool = False

    @property
    def unresolved(self) -> int:
        return max(self.differences - self.fixed, 0)

    @property
    def kinds(self) -> list[tuple[str, int]]:
        """``(label, count)`` of each kind of difference found, in report order."""
        return [(str(label), self.by_kind[kind]) for kind, label in KIND_LABELS.items()
                if self.by_kind.get(kind)]


@dataclass(frozen=True, kw_only=True)
class Attention:
    """What someone should look at: money to refund, transfers to decide, webhook
    deliveries that failed or were stored without being credited."""

    overpaid: list[CurrencyAmount]
    overpaid_latest: list[OverpaidInvoice]
    awaiting_approval: list[CurrencyAmount]
    awaiting_since: datetime | None
    webhook_problems: int
    webhook_latest: list[Any]  # django_carepay.models.WebhookEvent
    #: Backends whose last reconciliation found differences it did not fix.
    reconciliation: list[ReconciliationStatus] = field(default_factory=list)

    @property
    def overpaid_count(self) -> int:
        return sum(item.count for item in self.overpaid)

    @property
    def awaiting_count(self) -> int:
        return sum(item.count for item in self.awaiting_approval)

    @property
    def total(self) -> int:
        """How many things need someone (0: nothing to do)."""
        return (self.overpaid_count + self.awaiting_count + self.webhook_problems
                + len(self.reconciliation))


@dataclass(frozen=True, kw_only=True)
class DailyReceived:
    """Money received (ledger charges) on each day of the period, in one currency;
    every day of the period is present, days without money at zero."""

    currency: str
    days: list[tuple[date, Decimal, int]]  # (day, amount, charges)

    @property
    def total(self) -> Decimal:
        return sum((amount for _d, amount, _n in self.days), ZERO)


@dataclass(frozen=True, kw_only=True)
class Dashboard:
    """Everything the dashboard shows for ``period``, as of ``today``."""

    period: Period
    today: date
    today_moved: list[MoneyMoved]
    moved: list[MoneyMoved]
    by_method: list[MoneyMovedBy]
    by_backend: list[MoneyMovedBy]
    payments_by_status: list[StatusCount]
    invoices_by_status: list[StatusCount]
    ageing: list[Ageing]
    attention: Attention
    daily: list[DailyReceived] = field(default_factory=list)
    #: The last reconciliation of each backend that can be reconciled.
    reconciliation: list[ReconciliationStatus] = field(default_factory=list)

    @property
    def currencies(self) -> list[str]:
        """Every currency something in the period (or today) moved in, sorted."""
        return sorted({m.currency for m in (*self.moved, *self.today_moved)}
                      | {d.currency for d in self.daily})
