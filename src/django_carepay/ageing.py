"""Ageing of money owed: the buckets of days overdue, shared by every report.

One definition serves the payer's statement (:mod:`django_carepay.documents.statement`,
which buckets its open items in Python) and the staff dashboard
(:mod:`django_carepay.reports`, which asks the database for each bucket's sum with
:func:`due_date_bounds`), so the two can never disagree on what "31-60 days" means.

A leaf: imports nothing from carepay.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

#: Ageing buckets: (key, label, first day overdue, last day overdue or None).
#: "current" holds what is not yet due, including what falls due on ``as_of`` itself.
BUCKETS: tuple[tuple[str, Any, int | None, int | None], ...] = (
    ("current", _("Current"), None, 0),
    ("1-30", _("1-30 days"), 1, 30),
    ("31-60", _("31-60 days"), 31, 60),
    ("61-90", _("61-90 days"), 61, 90),
    ("90+", _("Over 90 days"), 91, None),
)


def bucket_for(days_overdue: int) -> str:
    """The key of the ageing bucket for an item ``days_overdue`` days past its due
    date (0 or less: not yet overdue, ``"current"``)."""
    for key, _label, first, last in BUCKETS:
        if (first is None or days_overdue >= first) and (last is None or days_overdue <= last):
            return key
    raise AssertionError(days_overdue)  # pragma: no cover - the buckets cover every int


def due_date_bounds(first: int | None, last: int | None,
                    as_of: date) -> tuple[date | None, date | None]:
    """The due dates (earliest, latest; ``None``: unbounded) of items that are between
    ``first`` and ``last`` days overdue on ``as_of`` — a bucket as a date range, for a
    database filter (``due_date__gte=earliest, due_date__lte=latest``)."""
    earliest = None if last is None else as_of - timedelta(days=last)
    latest = None if first is None else as_of - timedelta(days=first)
    return earliest, latest
