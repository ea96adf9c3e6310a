"""Move open invoices past their due date to overdue. Idempotent; safe under cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...services import mark_overdue
from ..options import add_today_argument, today_option


class Command(BaseCommand):
    help = "Mark open invoices whose due date has passed as overdue (safe to run repeatedly)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_today_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        today = today_option(options)
        moved = mark_overdue(today=today)
        self.stdout.write(f"{moved} invoice(s) marked overdue.")
