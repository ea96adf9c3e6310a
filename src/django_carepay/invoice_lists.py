"""Which invoices a payer's list shows: the status filters of design §13 and the search.

One definition for every list a payer reads — the portal's page
(:mod:`django_carepay.views.portal`) and the JSON API's ``invoices/`` — so
``?status=refunded`` means the same thing on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Invoice, InvoiceLine

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise
else:
    _StrOrPromise = str

#: What an open or overdue invoice still asks for, in SQL: its total less the money it
#: kept (the model's ``amount_due`` on a collectible invoice).
AMOUNT_DUE = F("total") - F("amount_paid") + F("amount_refunded")

#: Where there is something to pay, the oldest due first; elsewhere the newest first.
BY_DUE_DATE = ("due_date", "issued_at", "id")
NEWEST_FIRST = ("-issued_at", "-id")

#: The longest search a payer may type; more is cut off, never an error.
MAX_SEARCH = 100


@dataclass(frozen=True)
class StatusFilter:
    """One tab of the invoice list: ``?status=<key>``."""

    key: str
    label: _StrOrPromise
    #: Which invoices it shows; may use the ``due`` alias (:data:`AMOUNT_DUE`).
    condition: Q
    ordering: tuple[str, ...]


#: The invoice list's tabs, in order. ``outstanding`` (the default) is every open or
#: overdue invoice with money still due; ``open`` is not yet overdue; ``refunded`` is
#: any invoice money was handed back on, in full or in part (a partly refunded paid
#: invoice is also under ``paid``); ``void`` includes invoices written off
#: (uncollectible): neither asks for money. Drafts are never shown.
STATUS_FILTERS: tuple[StatusFilter, ...] = (
    StatusFilter("outstanding", _("Outstanding"),
                 Q(status__in=Invoice.COLLECTIBLE, due__gt=0), BY_DUE_DATE),
    StatusFilter("open", _("Open"), Q(status=Invoice.Status.OPEN), BY_DUE_DATE),
    StatusFilter("overdue", _("Overdue"), Q(status=Invoice.Status.OVERDUE), BY_DUE_DATE),
    StatusFilter("paid", _("Paid"), Q(status=Invoice.Status.PAID), NEWEST_FIRST),
    StatusFilter("refunded", _("Refunded"),
                 Q(status=Invoice.Status.REFUNDED) | Q(amount_refunded__gt=0), NEWEST_FIRST),
    StatusFilter("void", pgettext_lazy("invoice status", "Void"),
                 Q(status__in=(Invoice.Status.VOID, Invoice.Status.UNCOLLECTIBLE)),
                 NEWEST_FIRST),
    StatusFilter("all", _("All"), Q(), NEWEST_FIRST),
)
FILTERS_BY_KEY = {f.key: f for f in STATUS_FILTERS}
DEFAULT_FILTER = STATUS_FILTERS[0]


def status_filter(key: object) -> StatusFilter:
    """The tab ``?status=`` names; the default (outstanding) for anything else."""
    return FILTERS_BY_KEY.get(str(key or ""), DEFAULT_FILTER)


def search_terms(raw: object) -> str:
    """``?q=`` as searched: trimmed, at most :data:`MAX_SEARCH` characters."""
    return " ".join(str(raw or "").split())[:MAX_SEARCH]


def payer_invoices(user: Any) -> QuerySet[Invoice]:
    """Every issued invoice of ``user`` (drafts are nobody's to see yet)."""
    return (Invoice.objects.filter(customer=user).exclude(status=Invoice.Status.DRAFT)
            .alias(due=AMOUNT_DUE))


def search(invoices: QuerySet[Invoice], terms: str) -> QuerySet[Invoice]:
    """Invoices whose number or a line's description contains ``terms`` (any case).

    A subquery, not a join: an invoice with three matching lines is listed once.
    """
    if not terms:
        return invoices
    lines = InvoiceLine.objects.filter(invoice=OuterRef("pk"), description__icontains=terms)
    return invoices.filter(Q(number__icontains=terms) | Exists(lines))
