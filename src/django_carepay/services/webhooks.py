"""A verified webhook delivery, stored and applied exactly once.

The backend has verified and parsed the delivery; here it is stored as a
:class:`~django_carepay.models.WebhookEvent` in the same transaction as its effects,
retried when a concurrent delivery races it, and stored as ``failed`` when it raises.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..backends import BasePaymentBackend, ProviderUpdate, UpdateKind
from ..exceptions import (
    InvalidAmount,
    InvalidCurrency,
    InvalidProviderData,
    ProviderMismatch,
    ProviderNotReady,
)
from ..models import AuditEntry, Payment, WebhookEvent
from ._batch import Writes
from .provider import _apply_update, _lock_update_target


def handle_webhook(backend: BasePaymentBackend, *, event_id: str, event_type: str,
                   payload: Mapping[str, Any], updates: Iterable[ProviderUpdate],
                   headers: Mapping[str, str] | None = None) -> tuple[WebhookEvent, bool]:
    """Store one *verified* delivery and apply it exactly once.

    Returns ``(event, duplicate)``; for a duplicate the event carries only its status.
    The event row is written in the same transaction
    as the effects, so it exists as ``processed`` only if they committed; a delivery
    whose processing raised (anything, an ``IntegrityError`` in a host receiver too)
    is stored as ``failed`` (outside the rolled-back transaction) and the exception
    propagates, so the provider retries. Whether the event was seen before is read
    first, outside any transaction (a settled row never changes again), so a
    duplicate costs that one query. Only a ``processed`` or ``ignored``
    row makes a delivery a duplicate; a ``failed`` one is processed again. When the
    event row turns out to have been stored meanwhile by a concurrent delivery (the
    final insert or update finds it), the whole transaction is rolled back and run
    again, so this delivery's effects are never discarded under a 200. Updates that
    match no payment of ours, or that cannot be credited (:class:`ProviderMismatch`),
    are stored with ``needs_attention`` for staff, never guessed at.
    """
    event = WebhookEvent(backend=backend.alias, event_id=event_id, type=event_type[:100],
                         payload=dict(payload), headers=dict(headers or {}))
    try:
        problems: list[str] = []
        seen = _stored_status(backend.alias, event_id)
        if seen in _SETTLED_EVENTS:
            return WebhookEvent(backend=backend.alias, event_id=event_id, status=seen), True
        if isinstance(updates, list | tuple):
            updates = list(updates)
        else:
            # Updates the backend resolves by asking its provider (Stripe's refund
            # events): a duplicate asks nothing, and when the provider cannot be
            # reached the delivery is stored as failed (below) so staff see it.
            try:
                updates = list(updates)
            except (ProviderMismatch, InvalidAmount, InvalidCurrency,
                    InvalidProviderData) as exc:
                # A refund the provider does not know, one whose answer or snapshot is
                # malformed, or an amount or currency the ledger cannot hold: for
                # staff, never a retry loop.
                updates, problems = [], [f"{event_type} {event_id}: {exc}"]
        synced = False
        for _attempt in range(_WEBHOOK_ATTEMPTS):
            try:
                return _process_webhook(event, updates, problems, stored=seen is not None)
            except _StoredConcurrently as exc:
                # Read the row a concurrent delivery stored, and decide again.
                seen = _stored_status(backend.alias, event_id)
                if seen in _SETTLED_EVENTS:
                    return WebhookEvent(backend=backend.alias, event_id=event_id,
                                        status=seen), True
                if seen is None and isinstance(exc.__cause__, IntegrityError):
                    # No row was stored meanwhile: the statement met another clash
                    # (the charge's, say). Staff must see that one, not a retry loop.
                    raise exc.__cause__ from None
            except _ChargeNotRecorded as exc:
                # A refund before its charge's news, which may never come: ask the
                # provider (outside the transaction), apply the charge it confirms,
                # then the refund. If it confirms none, the provider retries later.
                if synced:
                    # The provider's charge of this payment is recorded now, and the
                    # refund is still not of it: it names our payment in its metadata
                    # but returns another intent's money (a stale attempt's, a stray
                    # or another account's intent). For staff, never a retry loop.
                    updates = [u for u in updates if u is not exc.update]
                    problems = [*problems, f"{event_type} {event_id}: {exc.update.kind} "
                                f"of {exc.update.provider_reference} names payment "
                                f"{exc.payment.public_id}, whose charge is another one; "
                                "not recorded."]
                    continue
                fresh = backend.sync(exc.payment)
                synced = True
                if fresh is None or fresh.kind != UpdateKind.SUCCEEDED:
                    raise exc.not_ready from None
                updates = [dataclasses.replace(fresh, event_id=event_id), *updates]
        raise ProviderNotReady(
            f"Webhook event {event_id} kept being stored concurrently; retry later.",
            backend=backend.alias)
    except Exception as exc:
        _store_failed_event(event, exc)
        raise


#: A delivery runs at most twice when racing another one, once more after asking the
#: provider for a charge, and once more without a refund that was not of that charge;
#: more is a bug, not a race.
_WEBHOOK_ATTEMPTS = 5


_SETTLED_EVENTS = (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED)


class _StoredConcurrently(Exception):
    """Inserting the event row met a row a concurrent delivery had stored."""


class _ChargeNotRecorded(Exception):
    """A refund of ``payment`` came before its charge was recorded."""

    def __init__(self, payment: Payment, not_ready: ProviderNotReady,
                 update: ProviderUpdate) -> None:
        super().__init__(str(not_ready))
        self.payment = payment
        self.not_ready = not_ready
        self.update = update


def _stored_status(alias: str, event_id: str) -> str | None:
    """The status of the stored event ``(alias, event_id)``, or ``None`` (one query,
    its SQL built once per process: compiling the ORM query cost more than running it)."""
    with connection.cursor() as cursor:
        cursor.execute(_stored_status_sql(), [alias, event_id])
        row = cursor.fetchone()
    return None if row is None else row[0]


@functools.cache
def _stored_status_sql() -> str:
    fields = {f.name: f for f in WebhookEvent._meta.fields}

    def column(name: str) -> str:
        return connection.ops.quote_name(str(fields[name].column))

    return (f"SELECT {column('status')} FROM "
            f"{connection.ops.quote_name(WebhookEvent._meta.db_table)} "
            f"WHERE {column('backend')} = %s AND {column('event_id')} = %s")


def _process_webhook(event: WebhookEvent, updates: list[ProviderUpdate],
                     known_problems: Iterable[str] = (), *, stored: bool = False
                     ) -> tuple[WebhookEvent, bool]:
    """One attempt at :func:`handle_webhook`, in one transaction; ``stored`` when the
    event's row exists (``failed`` or ``received``), to be settled by this attempt."""
    alias, event_id = event.backend, event.event_id
    # The last update's charge, the audit entries and the event row are one statement
    # (nearly every delivery has one update); an earlier update's writes run before
    # the next is applied (it may be about the same payment). Each charge is announced
    # once written, outside the handling of mismatches below; the other kinds send
    # their signals while applied, and a mismatch raised after the payment changed is
    # re-raised: a host receiver that raises fails the delivery (everything rolls
    # back, it is stored as failed).
    writes = Writes()
    with transaction.atomic():
        problems: list[str] = list(known_problems)
        audits: list[AuditEntry] = []
        applied = 0
        for position, update in enumerate(updates, start=1):
            batch = writes if position == len(updates) else Writes()
            payment = _lock_update_target(update)
            if payment is None:
                if update.payment_public_id and _paid_through_another_alias(alias, update):
                    # Several aliases on one provider account each receive every
                    # event: this one is another alias's to apply, not a stray.
                    continue
                if update.payment_public_id:  # ours by its metadata, yet unknown
                    problems.append(
                        f"{update.kind} for {update.provider_reference} (payment "
                        f"{update.payment_public_id}) matches no payment."
                    )
                continue
            before = (payment.status, payment.amount_received, payment.amount_refunded)
            try:
                attention = _apply_update(update, payment, audits=audits, batch=batch)
                applied += 1
                if attention:  # recorded, and staff must act
                    problems.append(attention)
            except (ProviderMismatch, ProviderNotReady) as exc:
                if (payment.status, payment.amount_received, payment.amount_refunded) \
                        != before:
                    # Raised once the update was applied: by a host receiver of its
                    # signal, not by carepay's checks (they all come first). A failure
                    # like any other: never a flag beside money kept, never a refund
                    # taken to have overtaken its charge.
                    raise
                if isinstance(exc, ProviderNotReady):
                    raise _ChargeNotRecorded(payment, exc, update) from exc
                problems.append(str(exc))
            if batch is not writes:
                batch.run()
                batch.run_after()
        event.status = (WebhookEvent.Status.PROCESSED if applied
                        else WebhookEvent.Status.IGNORED)
        event.needs_attention = bool(problems)
        event.error = "\n".join(problems)
        event.processed_at = timezone.now()
        for entry in audits:
            writes.insert(entry)
        if not stored:
            writes.insert(event)
            try:
                writes.run()
            except IntegrityError as exc:
                # Stored by a concurrent delivery after this attempt's first look:
                # roll back and look again, rather than keep or drop effects on a
                # stale answer. (If no row turns out to be stored, the clash was
                # another one, raised as it is: see handle_webhook.)
                raise _StoredConcurrently from exc
        else:  # stored earlier (failed, or received for a task); this one settles it
            writes.run()
            settled_here = WebhookEvent.objects.filter(
                backend=alias, event_id=event_id).exclude(status__in=_SETTLED_EVENTS).update(
                **{f: getattr(event, f) for f in (
                    "type", "payload", "headers", "status", "needs_attention", "error",
                    "processed_at")})
            if not settled_here:
                # A concurrent run (two task workers, a replay) settled it after our
                # look, or removed it: roll back and look again, never overwrite its
                # outcome.
                raise _StoredConcurrently
        writes.run_after()
    return event, False


def _paid_through_another_alias(alias: str, update: ProviderUpdate) -> bool:
    """Whether ``update`` (which matched no payment of ``alias``) names a payment of
    another backend alias (one query, only for updates that matched nothing)."""
    try:
        public_id = uuid.UUID(str(update.payment_public_id))
    except ValueError:
        return False
    return Payment.objects.filter(public_id=public_id).exclude(backend=alias).exists()


def _store_failed_event(event: WebhookEvent, exc: Exception) -> None:
    """Record a delivery whose processing failed (its transaction rolled back).

    Never over a ``processed`` or ``ignored`` row: a concurrent delivery that settled
    the event keeps its row (and its effects)."""
    error = f"{type(exc).__name__}: {exc}"
    root, seen = exc, {id(exc)}
    while root.__cause__ is not None and id(root.__cause__) not in seen:
        root = root.__cause__  # type: ignore[assignment]
        seen.add(id(root))
    if root is not exc:  # staff see the provider's detail, not only the payer's text
        error += f" ({type(root).__name__}: {root})"
    error = error[:10000]
    fields = {"status": WebhookEvent.Status.FAILED, "error": error, "processed_at": None,
              "type": event.type, "payload": event.payload, "headers": event.headers}
    stored = WebhookEvent.objects.filter(backend=event.backend, event_id=event.event_id)
    if stored.exclude(status__in=_SETTLED_EVENTS).update(**fields):
        return
    # IntegrityError: a concurrent delivery stored it; the provider retries either way.
    with contextlib.suppress(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(backend=event.backend, event_id=event.event_id, **fields)
