"""Stored webhook deliveries applied later: by a task worker
(``CAREPAY["WEBHOOK_PROCESSING"] = "task"``) or replayed by staff.

The view stores a verified delivery as ``received`` (:func:`store_webhook`); the
worker, or a replay, applies it with :func:`process_stored_webhook`, which runs the
synchronous path's :func:`~.webhooks.handle_webhook` on the stored payload: the same
transaction, locks, ledger keys, receivers and failure handling, so a delivery is
credited once however many times, and however concurrently, it is processed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from ..backends import get_backend
from ..models import AuditEntry, WebhookEvent
from ._audit import audit
from ._batch import insert_unless_stored
from .webhooks import _SETTLED_EVENTS, _store_failed_event, handle_webhook


def store_webhook(alias: str, *, event_id: str, event_type: str,
                  payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
                  ) -> tuple[WebhookEvent, bool]:
    """Store a *verified* delivery as ``received``, to be applied by a task.

    Returns ``(event, duplicate)``: ``duplicate`` when the event is already processed
    or ignored (nothing to do). A delivery already stored but not settled (received,
    or failed) is returned as it is, so the caller queues it again.
    """
    event = WebhookEvent(backend=alias, event_id=event_id, type=event_type[:100],
                         payload=dict(payload), headers=dict(headers or {}),
                         status=WebhookEvent.Status.RECEIVED)
    # One statement on PostgreSQL (INSERT … ON CONFLICT DO NOTHING RETURNING id).
    if insert_unless_stored(event):
        return event, False
    stored = WebhookEvent.objects.get(backend=alias, event_id=event_id)
    return stored, stored.status in _SETTLED_EVENTS


def process_stored_webhook(event: WebhookEvent) -> tuple[WebhookEvent, bool]:
    """Apply a stored delivery exactly as the synchronous webhook path would.

    Returns ``(event, duplicate)``; a delivery already processed or ignored changes
    nothing (``duplicate``). A failure is stored on the event (``failed``, with the
    error) and raised, as :func:`~.webhooks.handle_webhook` does.
    """
    fresh = WebhookEvent.objects.filter(pk=event.pk).first() if event.pk else None
    if fresh is None:
        fresh = WebhookEvent.objects.get(backend=event.backend, event_id=event.event_id)
    if fresh.status in _SETTLED_EVENTS:
        return fresh, True
    try:
        backend = get_backend(fresh.backend)
        delivery = backend.parse_stored_webhook(fresh.payload)
    except Exception as exc:  # the backend was removed, or its reading changed
        _store_failed_event(fresh, exc)
        raise
    return handle_webhook(backend, event_id=fresh.event_id, event_type=delivery.event_type,
                          payload=fresh.payload, updates=delivery.updates,
                          headers=fresh.headers)


@dataclass(frozen=True, kw_only=True)
class ReplayOutcome:
    """What replaying one stored delivery did: ``status`` is the event's status after
    it (``processed``, ``ignored``, ``failed``), ``duplicate`` when it was settled
    already (nothing changed), ``error`` the failure's text."""

    event: WebhookEvent
    status: str
    duplicate: bool = False
    error: str = ""


def replay_webhooks(events: Iterable[WebhookEvent] | models.QuerySet[WebhookEvent], *,
                    by: Any = None) -> list[ReplayOutcome]:
    """Apply stored deliveries again (``carepay_replay_webhooks``, the admin's
    "Reprocess"): each as :func:`process_stored_webhook`, in its own transaction, so
    one failure stops nothing else. A processed or ignored event changes nothing.

    Each replay that was not a duplicate is recorded in the audit trail (who asked,
    and the outcome); the money it moved is recorded there as a provider update.
    """
    outcomes: list[ReplayOutcome] = []
    for event in events:
        try:
            stored, duplicate = process_stored_webhook(event)
        except Exception as exc:
            event.refresh_from_db()
            outcome = ReplayOutcome(event=event, status=event.status,
                                    error=f"{type(exc).__name__}: {exc}")
        else:
            outcome = ReplayOutcome(event=stored, status=str(stored.status),
                                    duplicate=duplicate)
        outcomes.append(outcome)
        if not outcome.duplicate:
            audit(AuditEntry.Action.WEBHOOK_REPLAYED, by=by,
                  detail={"backend": event.backend, "event": event.event_id,
                          "type": event.type, "status": outcome.status,
                          "error": outcome.error[:500]})
    return outcomes


def replayable_webhooks(*, failed: bool = False, stale_before: Any = None,
                        since: Any = None, event_id: str | None = None,
                        backend: str | None = None) -> models.QuerySet[WebhookEvent]:
    """The stored deliveries a replay would pick, oldest first: ``failed`` ones (and,
    with ``stale_before``, ``received`` ones stored before it: their task was lost),
    those received ``since`` a datetime, or the one ``event_id``."""
    qs = WebhookEvent.objects.all()
    if backend:
        qs = qs.filter(backend=backend)
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    if failed:
        match = models.Q(status=WebhookEvent.Status.FAILED)
        if stale_before is not None:
            match |= models.Q(status=WebhookEvent.Status.RECEIVED,
                              received_at__lt=stale_before)
        qs = qs.filter(match)
    return qs.order_by("received_at", "pk")
