"""Move open invoices past their due date to overdue. Idempotent; safe under cron."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...services import mark_overdue


class Command(BaseCommand):
    help = "Mark open invoices whose due date has passed as overdue (safe to run repeatedly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", help="Treat this ISO date (YYYY-MM-DD) as today, e.g. to catch up."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"--today {options['today']!r} is not a YYYY-MM-DD date."
                ) from None
        moved = mark_overdue(today=today)
        self.stdout.write(f"{moved} invoice(s) marked overdue.")
