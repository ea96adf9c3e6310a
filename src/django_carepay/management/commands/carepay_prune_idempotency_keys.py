"""Delete the JSON API's stored responses whose Idempotency-Key has expired (24 h)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...models import IdempotencyRecord


class Command(BaseCommand):
    help = ("Delete stored JSON API responses older than 24 hours (their Idempotency-Key "
            "is no longer replayed). Safe to run repeatedly from cron.")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted, _ = IdempotencyRecord.objects.expired().delete()
        self.stdout.write(f"{deleted} expired idempotency record(s) deleted.")
