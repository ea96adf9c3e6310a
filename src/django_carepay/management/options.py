"""Options several carepay management commands share."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone


def add_today_argument(parser: CommandParser) -> None:
    """``--today YYYY-MM-DD``: run as if it were that day (to catch up after an outage)."""
    parser.add_argument(
        "--today", help="Treat this ISO date (YYYY-MM-DD) as today, e.g. to catch up.")


def today_option(options: dict[str, Any]) -> date | None:
    """The ``--today`` date, ``None`` when not given; a clear error when malformed."""
    if not options.get("today"):
        return None
    try:
        return date.fromisoformat(options["today"])
    except ValueError:
        raise CommandError(f"--today {options['today']!r} is not a YYYY-MM-DD date.") from None


def parse_datetime_option(value: str, name: str) -> datetime:
    """An ISO date (midnight, local time) or date-time option as an aware datetime; a
    clear error when malformed."""
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time.min)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name} {value!r} is not a YYYY-MM-DD date or ISO date-time."
                           ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
