"""django-carepay in task mode (``WEBHOOK_PROCESSING = "task"``): the acknowledge
path only (verify, store the event as ``received``, queue its task on django-tasks'
database backend). "credited" counts the deliveries stored and queued; a worker
applies them later (not timed here)."""

from __future__ import annotations

import importlib.util

import peer_carepay
from peer_carepay import __getattr__, prepare  # noqa: F401  (the same URLs and events)

APPS = [*peer_carepay.APPS, "django_tasks_db"]
if importlib.util.find_spec("django.tasks") is None:
    APPS.insert(0, "django_tasks")
SETTINGS = {
    "CAREPAY": {**peer_carepay.SETTINGS["CAREPAY"],  # type: ignore[dict-item]
                "WEBHOOK_PROCESSING": "task"},
    "TASKS": {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
}


def credited() -> int:
    from django_carepay.models import WebhookEvent

    return WebhookEvent.objects.filter(status="received").count()


def double_credits() -> int:
    from peer_carepay import double_credits as charged_twice

    return charged_twice()  # nothing is credited here; a worker credits once per charge
