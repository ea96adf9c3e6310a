"""What the payer portal's pages show, read in a fixed number of queries.

The invoice list's status tabs (with their counts), its search, its rows and its
per-currency summary cards; an invoice's payment history and refunds. Pure reads of
the totals the services keep (``services._ledger``) and of the ledger itself: a page
costs the same queries whether the payer has five invoices or five hundred.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..backends import BasePaymentBackend, backend_label, get_backend
from ..exceptions import UnknownBackend

# The list's filters and search, shared with the API; still importable from here.
from ..invoice_lists import AMOUNT_DUE as AMOUNT_DUE
from ..invoice_lists import BY_DUE_DATE as BY_DUE_DATE
from ..invoice_lists import DEFAULT_FILTER as DEFAULT_FILTER
from ..invoice_lists import FILTERS_BY_KEY as FILTERS_BY_KEY
from ..invoice_lists import MAX_SEARCH as MAX_SEARCH
from ..invoice_lists import NEWEST_FIRST as NEWEST_FIRST
from ..invoice_lists import STATUS_FILTERS as STATUS_FILTERS
from ..invoice_lists import StatusFilter as StatusFilter
from ..invoice_lists import payer_invoices as payer_invoices
from ..invoice_lists import search as search
from ..invoice_lists import search_terms as search_terms
from ..invoice_lists import status_filter as status_filter
from ..models import Invoice, InvoiceLine, Payment, Transaction
from ..money import normalize

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise
else:
    _StrOrPromise = str



def tab_counts(invoices: QuerySet[Invoice]) -> dict[str, int]:
    """How many of ``invoices`` each tab shows, in one query."""
    return invoices.aggregate(**{
        f.key: Count("pk", filter=f.condition) for f in STATUS_FILTERS
    })


def list_rows(invoices: QuerySet[Invoice], tab: StatusFilter) -> QuerySet[Invoice]:
    """``invoices`` in ``tab``, in its order, each with what its row shows:
    ``first_line`` (the first line's description), ``line_count``,
    ``awaiting_approval`` (a transfer of it is being checked) and ``processing`` (a
    payment of it is on its way) — no query per row."""
    lines = InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by("position", "id")
    line_count = (InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by()
                  .values("invoice").annotate(n=Count("pk")).values("n"))
    awaiting = Payment.objects.filter(invoice=OuterRef("pk"),
                                      status=Payment.Status.AWAITING_APPROVAL)
    processing = Payment.objects.filter(invoice=OuterRef("pk"),
                                        status=Payment.Status.PROCESSING)
    return (invoices.filter(tab.condition)
            .annotate(first_line=Subquery(lines.values("description")[:1]),
                      line_count=Subquery(line_count),
                      awaiting_approval=Exists(awaiting),
                      processing=Exists(processing))
            .order_by(*tab.ordering))


@dataclass
class CurrencySummary:
    """The summary cards of one currency."""

    currency: str
    year: int
    outstanding: Decimal = Decimal(0)
    outstanding_count: int = 0
    overdue: Decimal = Decimal(0)
    overdue_count: int = 0
    #: Money received this calendar year, less what was refunded this year.
    paid: Decimal = Decimal(0)
    paid_count: int = 0
    refunded: Decimal = Decimal(0)


def summary(user: Any, *, today: date | None = None) -> list[CurrencySummary]:
    """``user``'s summary cards, one set per currency: outstanding and overdue (what
    their open and overdue invoices still ask for) and paid this calendar year (the
    ledger's charges this year, less the refunds of this year). Two queries."""
    today = today or timezone.localdate()
    sections: dict[str, CurrencySummary] = {}

    def section(currency: str) -> CurrencySummary:
        return sections.setdefault(currency, CurrencySummary(currency, today.year))

    owed = Q(due__gt=0)
    late = owed & Q(status=Invoice.Status.OVERDUE)
    dues = (payer_invoices(user).filter(status__in=Invoice.COLLECTIBLE)
            .values("currency").order_by("currency")
            .annotate(outstanding=Sum("due", filter=owed),
                      outstanding_count=Count("pk", filter=owed),
                      overdue=Sum("due", filter=late),
                      overdue_count=Count("pk", filter=late)))
    for row in dues:
        sec = section(row["currency"])
        sec.outstanding = row["outstanding"] or Decimal(0)
        sec.outstanding_count = row["outstanding_count"]
        sec.overdue = row["overdue"] or Decimal(0)
        sec.overdue_count = row["overdue_count"]
    kinds = Transaction.Kind
    moves = (Transaction.objects.filter(invoice__customer=user, created_at__year=today.year)
             .values("currency").order_by("currency")
             .annotate(charged=Sum("amount", filter=Q(kind=kinds.CHARGE)),
                       charges=Count("pk", filter=Q(kind=kinds.CHARGE)),
                       refunded=Sum("amount", filter=Q(kind=kinds.REFUND)),
                       reversed=Sum("amount", filter=Q(kind=kinds.REFUND_REVERSAL))))
    for move in moves:
        sec = section(move["currency"])
        refunded = (move["refunded"] or Decimal(0)) - (move["reversed"] or Decimal(0))
        sec.paid = (move["charged"] or Decimal(0)) - refunded
        sec.paid_count = move["charges"]
        sec.refunded = refunded
    result = []
    for code in sorted(sections):
        sec = sections[code]
        for name in ("outstanding", "overdue", "paid", "refunded"):
            setattr(sec, name, _money(getattr(sec, name), code))
        if sec.outstanding or sec.paid or sec.refunded:
            result.append(sec)
    return result


def _money(amount: Decimal, currency: str) -> Decimal:
    try:
        return normalize(amount, currency)
    except Exception:  # an unknown currency code: shown as it is
        return amount


# -- one invoice ----------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    """One payment in an invoice's history, as the payer reads it."""

    payment: Payment
    day: date
    amount: Decimal
    method: str
    reference: str
    paid_by: str
    recorded_by: str
    decided_by: str
    has_receipt: bool


def person(user: Any, viewer: Any) -> str:
    """How ``user`` is named to ``viewer``: "You", else their full name or username."""
    if user is None:
        return ""
    if getattr(viewer, "pk", None) is not None and user.pk == viewer.pk:
        return str(_("You"))
    return user.get_full_name() or user.get_username()


#: Payments the history leaves out: started online and never paid, or closed unpaid.
HIDDEN_PAYMENTS = (Payment.Status.PENDING, Payment.Status.CANCELLED)


def history_payments(invoice: Invoice) -> QuerySet[Payment]:
    """The payments an invoice's history lists, oldest first."""
    return (invoice.payments.exclude(status__in=HIDDEN_PAYMENTS)
            .select_related("recorded_by", "decided_by").order_by("created_at", "id"))


def payment_history(invoice: Invoice, payments: Iterable[Payment], viewer: Any
                    ) -> list[HistoryRow]:
    """Date, amount, method, reference, paid by, recorded by and receipt of each payment.

    Paid by: the payer who submitted a transfer, else the invoice's billed-to name
    (the person at the desk, or paying online). Recorded by: the member of staff who
    entered it, the payer who submitted it, or "Online" for a provider's confirmation.
    The date is the day the payer says they paid (transfers), else the day the money
    arrived, else the day the payment was made.
    """
    rows = []
    for payment in payments:
        received = payment.status in Payment.RECEIVED
        submitter = person(payment.recorded_by, viewer)
        backend = _configured(payment.backend)
        submitted = submitter and backend is not None and backend.requires_approval
        online = backend is not None and backend.online
        rows.append(HistoryRow(
            payment=payment,
            day=payment.paid_on or timezone.localdate(payment.succeeded_at
                                                      or payment.created_at),
            amount=payment.amount_received if received else payment.amount,
            method=backend_label(payment.backend),
            reference=payment.reference or payment.provider_reference,
            paid_by=(submitter if submitted else invoice.billing_name) or submitter,
            recorded_by=submitter or (str(_("Online")) if online else ""),
            decided_by=person(payment.decided_by, viewer),
            has_receipt=received,
        ))
    return rows


def _configured(alias: str) -> BasePaymentBackend | None:
    """The backend ``alias`` names, or None once it is no longer configured."""
    try:
        return get_backend(alias)
    except UnknownBackend:
        return None


def refunds(invoice: Invoice) -> list[dict[str, Any]]:
    """Money handed back on ``invoice`` (and refunds that failed, the money back),
    oldest first, with the method it went back through."""
    kinds = (Transaction.Kind.REFUND, Transaction.Kind.REFUND_REVERSAL)
    return [
        {"transaction": txn, "day": timezone.localdate(txn.created_at),
         "method": backend_label(txn.backend),
         "reversal": txn.kind == Transaction.Kind.REFUND_REVERSAL}
        for txn in Transaction.objects.filter(invoice=invoice, kind__in=kinds)
        .order_by("created_at", "id")
    ]
