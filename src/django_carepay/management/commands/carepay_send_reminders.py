"""E-mail reminders of unpaid invoices along ``CAREPAY["REMINDER_SCHEDULE"]``. Safe under
cron, even two runs at once: each invoice is reminded at most once per step."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...emails import email_enabled
from ...services.reminders import due_reminders, send_due_reminders
from ...types import DueReminder
from ..options import add_today_argument, today_option


class Command(BaseCommand):
    help = ("E-mail payers of unpaid invoices that reached a step of "
            "CAREPAY['REMINDER_SCHEDULE'] (each step once per invoice).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="List the reminders that would be sent; send and record none.")
        add_today_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        today = today_option(options)
        if options["dry_run"]:
            due = due_reminders(today=today)
            for reminder in due:
                self.stdout.write(f"would remind {self._describe(reminder)}")
            self.stdout.write(f"{len(due)} reminder(s) would be sent (dry run).")
            return
        if not email_enabled("invoice_reminder"):
            self.stdout.write("Reminders are off (CAREPAY['EMAILS']['invoice_reminder']); "
                              "none sent.")
            return
        claimed = send_due_reminders(today=today)
        for reminder in claimed:
            self.stdout.write(f"reminded {self._describe(reminder)}")
        self.stdout.write(f"{len(claimed)} reminder(s) sent.")

    @staticmethod
    def _describe(reminder: DueReminder) -> str:
        step = reminder.step
        when = "on the due date" if step == 0 else (
            f"{-step} day(s) before the due date" if step < 0 else
            f"{step} day(s) after the due date")
        return (f"{reminder.invoice.number} ({reminder.recipient}): {when} "
                f"{reminder.due_date.isoformat()}")
