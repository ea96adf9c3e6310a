"""Compare the ledger with what the provider holds over a period; exit code 1 on any
difference. ``--fix`` applies the provider's facts through the services."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import services
from ...backends import get_backend
from ...exceptions import UnknownBackend
from ..options import parse_datetime_option


class Command(BaseCommand):
    help = ("Compare the ledger with the provider's charges and refunds created in a "
            "period (missing either side, amount or currency or status differing); exit "
            "code 1 on any difference. --fix records the provider's facts through the "
            "services (never by writing the ledger).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backend", required=True, metavar="ALIAS",
                            help="The payment backend to reconcile, e.g. card.")
        parser.add_argument("--since", required=True, metavar="DATE",
                            help="Start of the period (ISO date or date-time), included.")
        parser.add_argument("--until", metavar="DATE",
                            help="End of the period (ISO date or date-time), excluded; "
                                 "default now.")
        parser.add_argument("--fix", action="store_true",
                            help="Record what the provider holds and the ledger lacks, and "
                                 "reverse refunds the provider says failed.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            get_backend(options["backend"])
        except UnknownBackend as exc:
            raise CommandError(str(exc)) from None
        since = parse_datetime_option(options["since"], "--since")
        until = parse_datetime_option(options["until"], "--until") if options["until"] \
            else None
        started = time.monotonic()
        try:
            result = services.reconcile_ledger(options["backend"], since=since, until=until,
                                               fix=options["fix"])
        except NotImplementedError as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.monotonic() - started
        for difference in result.differences:
            mark = "FIXED " if difference.fixed else ""
            self.stdout.write(f"{mark}{difference.kind}: {difference.detail}")
        fixed = sum(1 for d in result.differences if d.fixed)
        self.stdout.write(
            f"{result.backend}: {result.charges} charge(s) and {result.refunds} refund(s) "
            f"compared, {len(result.differences)} difference(s)"
            + (f", {fixed} fixed" if options["fix"] else "")
            + f"; {result.api_calls} API call(s) in {elapsed:.1f} s.")
        if result.differences:
            raise CommandError(f"{len(result.differences)} difference(s) between the ledger "
                               f"and {result.backend}.", returncode=1)
