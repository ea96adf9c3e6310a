"""Print the go-live checklist: ✔/✘ for what code can see, "manual" for the rest."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...golive import evaluate

MARKS = {"ok": "✔", "problem": "✘", "manual": "·"}


class Command(BaseCommand):
    help = ("Print the go-live checklist: each item ✔ or ✘ from the deployment system "
            "checks (check --deploy), or manual. --fail exits non-zero on any ✘.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fail", action="store_true",
                            help="Exit with status 1 when any item is ✘ (for CI).")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = manual = done = 0
        for section, results in evaluate():
            self.stdout.write(self.style.MIGRATE_HEADING(section.title))
            for result in results:
                item = result.item
                if result.state == "manual":
                    manual += 1
                    self.stdout.write(f"  {MARKS['manual']} manual  {item.title}")
                    self.stdout.write(f"             {item.how}")
                    continue
                ids = ", ".join(item.check_ids)
                if result.state == "ok":
                    done += 1
                    self.stdout.write(self.style.SUCCESS(f"  {MARKS['ok']}") +
                                      f"         {item.title}  [{ids}]")
                    continue
                problems += 1
                self.stdout.write(self.style.ERROR(f"  {MARKS['problem']}") +
                                  f"         {item.title}  [{ids}]")
                for message in result.messages:
                    self.stdout.write(f"             {message.id}: {message.msg}")
                    if message.hint:
                        self.stdout.write(f"             → {message.hint}")
            self.stdout.write("")
        self.stdout.write(f"{done} done, {problems} to fix, {manual} to check by hand.")
        if problems and options["fail"]:
            raise CommandError(f"{problems} go-live item(s) to fix.")
