"""Date ranges for reports: a period of whole days in the site's time zone.

A report's period is inclusive of both days, as people say it ("1 to 30 November").
Database filters use :meth:`Period.bounds` — two aware datetimes, from midnight on
the first day up to (not including) midnight after the last — so a range filter on a
``DateTimeField`` stays a plain comparison an index can serve (``created_at__date``
would wrap the column in a time-zone conversion no index matches).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: The longest period a report is drawn for (a per-day chart of more is unreadable
#: and a typo like 1026 for 2026 would otherwise ask for a millennium).
MAX_DAYS = 732


@dataclass(frozen=True)
class Period:
    """The days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"A period ends on or after its start, not {self.start}-{self.end}.")

    @property
    def days(self) -> int:
        """How many days the period has (1 for a single day)."""
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def bounds(self) -> tuple[datetime, datetime]:
        """(midnight starting ``start``, midnight after ``end``) in the current time
        zone: filter with ``field__gte=first, field__lt=after``."""
        tz = timezone.get_current_timezone()
        first = timezone.make_aware(datetime.combine(self.start, time.min), tz)
        after = timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), tz)
        return first, after

    def filter(self, field: str) -> dict[str, datetime]:
        """Keyword arguments selecting ``field`` (a ``DateTimeField``) in the period."""
        first, after = self.bounds()
        return {f"{field}__gte": first, f"{field}__lt": after}

    def slug(self) -> str:
        """``2026-11-01_2026-11-30``, for file names."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def this_month(today: date) -> Period:
    return Period(today.replace(day=1), today)


def presets(today: date) -> list[tuple[str, Any, Period]]:
    """The periods offered as one-click links: (key, label, period)."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return [
        ("today", _("Today"), Period(today, today)),
        ("7d", _("Last 7 days"), Period(today - timedelta(days=6), today)),
        ("month", _("This month"), this_month(today)),
        ("last_month", _("Last month"), Period(last_month_end.replace(day=1), last_month_end)),
        ("year", _("This year"), Period(today.replace(month=1, day=1), today)),
    ]
