"""Apply stored webhook deliveries again: the failed ones (after an outage or a fix),
one event, or everything received since a date. Safe under cron: a delivery already
processed changes nothing, and one applied concurrently is applied once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ... import services
from ..options import parse_datetime_option


class Command(BaseCommand):
    help = ("Apply stored webhook deliveries again (--failed, --event ID or --since DATE); "
            "a delivery already processed changes nothing. Exit code 1 when one still fails.")

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--failed", action="store_true",
            help="Deliveries that failed, and those received but still unprocessed after "
                 "--stale-minutes (their task was lost). For cron.")
        which.add_argument("--event", metavar="ID", help="The delivery with this event id.")
        which.add_argument(
            "--since", metavar="DATE",
            help="Every delivery received since this ISO date or date-time (processed ones "
                 "are skipped unchanged).")
        parser.add_argument("--backend", metavar="ALIAS", help="Only this backend's events.")
        parser.add_argument(
            "--stale-minutes", type=int, default=15,
            help="With --failed: a delivery received this long ago and still unprocessed "
                 "counts as failed (default 15).")
        parser.add_argument("--dry-run", action="store_true",
                            help="List the deliveries that would be applied; apply none.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = parse_datetime_option(options["since"], "--since") \
            if options["since"] else None
        stale_before = timezone.now() - timedelta(minutes=max(0, options["stale_minutes"]))
        events = services.replayable_webhooks(
            failed=options["failed"], stale_before=stale_before if options["failed"] else None,
            since=since, event_id=options["event"], backend=options["backend"])
        if options["event"] and not events.exists():
            raise CommandError(f"No stored webhook delivery has the event id "
                               f"{options['event']!r}.")
        if options["dry_run"]:
            count = 0
            for event in events.iterator():
                count += 1
                self.stdout.write(f"would apply {event.backend} {event.type} {event.event_id} "
                                  f"({event.status})")
            self.stdout.write(f"{count} delivery(ies) would be applied (dry run).")
            return
        outcomes = services.replay_webhooks(events.iterator())
        failed = 0
        for outcome in outcomes:
            event = outcome.event
            what = f"{event.backend} {event.type} {event.event_id}"
            if outcome.error:
                failed += 1
                self.stdout.write(f"FAILED {what}: {outcome.error}")
            elif outcome.duplicate:
                self.stdout.write(f"unchanged {what} (already {outcome.status})")
            else:
                self.stdout.write(f"{outcome.status} {what}")
        self.stdout.write(f"{len(outcomes)} delivery(ies) replayed, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} delivery(ies) still fail; see above.", returncode=1)
