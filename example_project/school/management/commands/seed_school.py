"""``manage.py seed_school``: the music school's teachers, lessons, workshops, courses
and a student (student1). Safe to run again: only what is missing is added."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from school.demo import STUDENT, ensure_school


class Command(BaseCommand):
    help = "Create the music school's demo data (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = ensure_school()
        self.stdout.write(
            "Music school: " + ", ".join(f"{n} {what}" for what, n in counts.items())
            + f"; student {STUDENT['username']} (the demo password). Cart at /school/.")
