"""Webhook deliveries processed by task workers (``CAREPAY["WEBHOOK_PROCESSING"] = "task"``).

Built on Django's tasks framework: ``django.tasks`` on Django 6.x, the ``django-tasks``
backport on 5.2 (``pip install 'django-carepay[tasks]'``), so any of its backends runs
them: the database backend (``django_tasks_db``, ``manage.py db_worker``) on one
machine, RQ or Celery workers across many. Importing this module needs the framework;
carepay imports it only in task mode.

:func:`process_webhook_event` applies a stored delivery with exactly the guarantees of
the synchronous path (:func:`django_carepay.services.process_stored_webhook`). A
failure is stored on the event and the task raises (the task backend records it); it
is queued again after a back-off (:data:`RETRY_DELAYS`) when the backend can defer
tasks, and ``carepay_replay_webhooks --failed`` picks up whatever is left.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone

from .logs import log_extra
from .models import WebhookEvent
from .tasks_framework import load_framework, queued_in_the_database_of

framework = load_framework()
logger = logging.getLogger("django_carepay.webhooks")

#: Seconds to wait before each retry of a failed delivery: 30 s, 2 min, 10 min, 30
#: min, 1 h, 3 h, 6 h, 12 h (about a day in all, like a provider's own retries).
RETRY_DELAYS: tuple[int, ...] = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)


@framework.task()
def process_webhook_event(event_pk: int) -> str:
    """Apply the stored webhook delivery ``event_pk``; return its status afterwards
    (``"duplicate"`` when it was settled already)."""
    from . import services

    WebhookEvent.objects.filter(pk=event_pk).update(attempts=F("attempts") + 1)
    event = WebhookEvent.objects.filter(pk=event_pk).first()
    if event is None:
        logger.warning("Webhook event %s is gone; nothing to process.", event_pk,
                       extra=log_extra())
        return "missing"
    try:
        stored, duplicate = services.process_stored_webhook(event)
    except Exception:
        _retry_later(event)
        raise
    if not duplicate and stored.needs_attention:
        logger.error("%s webhook %s (%s) needs attention: %s", stored.backend,
                     stored.event_id, stored.type, stored.error,
                     extra=log_extra(event=stored.event_id))
    return "duplicate" if duplicate else str(stored.status)


def _retry_later(event: WebhookEvent) -> None:
    """Queue a failed delivery again after its back-off, if the backend can defer."""
    event.refresh_from_db(fields=["attempts", "status", "error"])
    backend = process_webhook_event.get_backend()
    if event.attempts > len(RETRY_DELAYS) or not backend.supports_defer:
        logger.error(
            "Webhook %s %s failed (attempt %s); not retried automatically: "
            "carepay_replay_webhooks --failed applies it again. %s", event.backend,
            event.event_id, event.attempts, event.error, extra=log_extra(event=event))
        return
    delay = RETRY_DELAYS[event.attempts - 1]
    logger.warning("Webhook %s %s failed (attempt %s); retrying in %s s. %s",
                   event.backend, event.event_id, event.attempts, delay, event.error,
                   extra=log_extra(event=event))
    enqueue_webhook(event, delay=delay)


def queued_in_the_events_database() -> bool:
    """Whether queueing writes the task row to the database the events are stored in
    (django-tasks' database backend): then storing a delivery and queueing it can
    commit together, one transaction and one flush to disk instead of two. Not with
    a broker (RQ, Celery): a worker could then run the task before the row commits."""
    return queued_in_the_database_of(process_webhook_event, WebhookEvent)


def enqueue_webhook(event: WebhookEvent, *, delay: float | None = None) -> Any:
    """Queue the processing of a stored delivery (after ``delay`` seconds); return the
    task backend's result handle."""
    task = process_webhook_event
    if delay:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
    return task.enqueue(event.pk)
