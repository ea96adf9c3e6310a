"""Cancel online payments left pending (e.g. a PaymentIntent the payer never paid)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...services import cancel_abandoned_payments


class Command(BaseCommand):
    help = ("Cancel online payments still pending after --hours (default 24), at the "
            "provider and locally. Safe to run repeatedly from cron.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, default=24.0,
                            help="Age after which a pending payment counts as abandoned.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["hours"] <= 0:
            raise CommandError("--hours must be positive.")
        cancelled = cancel_abandoned_payments(older_than=timedelta(hours=options["hours"]))
        self.stdout.write(f"{cancelled} abandoned payment(s) cancelled.")
