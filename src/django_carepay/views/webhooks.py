"""The endpoint providers post their events to: ``webhooks/<alias>/``."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import services
from ..backends import get_backend
from ..exceptions import UnknownBackend, WebhookVerificationError
from ..logs import log_extra

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
    processing failed, so the provider retries.
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
    event, duplicate = services.handle_webhook(
        backend, event_id=delivery.event_id, event_type=delivery.event_type,
        payload=delivery.payload, updates=delivery.updates, headers=headers,
    )
    if not duplicate and event.needs_attention:
        logger.error("%s webhook %s (%s) needs attention: %s", alias, delivery.event_id,
                     delivery.event_type, event.error, extra=log_extra(event=delivery.event_id))
    return HttpResponse("duplicate" if duplicate else event.status, content_type="text/plain")
