"""The endpoint providers post their events to: ``webhooks/<alias>/``."""

from __future__ import annotations

import contextlib
import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import services
from ..backends import get_backend
from ..conf import carepay_settings
from ..exceptions import UnknownBackend, WebhookVerificationError
from ..logs import log_extra
from ..types import WebhookDelivery

logger = logging.getLogger("django_carepay.webhooks")

#: Headers worth keeping with a stored delivery (never cookies or auth).
STORED_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature")


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def webhook(request: HttpRequest, alias: str) -> HttpResponse:
    """Verify, store and apply one delivery.

    400 when it cannot be verified (reason logged, nothing stored or changed); 200 for
    a processed, ignored or duplicate delivery; 500 (the exception propagates) when
    processing failed, so the provider retries. With ``CAREPAY["WEBHOOK_PROCESSING"]
    = "task"`` a verified delivery is stored and queued, and answered 200 at once.
    """
    try:
        backend = get_backend(alias)
    except UnknownBackend:
        raise Http404("No such payment backend.") from None
    if not backend.has_webhooks:
        raise Http404("This payment backend does not receive webhooks.")
    try:
        backend.verify_webhook(request)
        delivery = backend.parse_webhook(request)
    except WebhookVerificationError as exc:
        logger.warning("Refused a %s webhook delivery from %s: %s", alias,
                       request.META.get("REMOTE_ADDR", "?"), exc, extra=log_extra())
        return HttpResponseBadRequest(f"Webhook refused: {exc}", content_type="text/plain")
    headers = {h: request.headers[h] for h in STORED_HEADERS if h in request.headers}
    if carepay_settings.WEBHOOK_PROCESSING == "task":
        return _store_for_a_task(alias, delivery, headers)
    event, duplicate = services.handle_webhook(
        backend, event_id=delivery.event_id, event_type=delivery.event_type,
        payload=delivery.payload, updates=delivery.updates, headers=headers,
    )
    if not duplicate and event.needs_attention:
        logger.error("%s webhook %s (%s) needs attention: %s", alias, delivery.event_id,
                     delivery.event_type, event.error, extra=log_extra(event=delivery.event_id))
    return HttpResponse("duplicate" if duplicate else event.status, content_type="text/plain")


def _store_for_a_task(alias: str, delivery: WebhookDelivery,
                      headers: dict[str, str]) -> HttpResponse:
    """Task mode: store the verified delivery as ``received``, queue its processing,
    answer 200 ("received", or "duplicate" when it is settled already).

    Its updates are not read here (a refund event's would ask Stripe): the worker reads
    the stored payload again. If queueing fails the exception propagates (500), so the
    provider delivers again and the stored row is queued again. When the task row is
    written to the events' own database (django-tasks' database backend), the event
    and its task commit in one transaction: one flush to disk, not two, and never one
    without the other (no savepoint of its own inside a caller's transaction).
    """
    from ..tasks import enqueue_webhook, queued_in_the_events_database

    together = transaction.atomic(savepoint=False) if queued_in_the_events_database() \
        else contextlib.nullcontext()
    with together:
        event, duplicate = services.store_webhook(
            alias, event_id=delivery.event_id, event_type=delivery.event_type,
            payload=delivery.payload, headers=headers)
        if duplicate:
            return HttpResponse("duplicate", content_type="text/plain")
        enqueue_webhook(event)
    return HttpResponse("received", content_type="text/plain")
