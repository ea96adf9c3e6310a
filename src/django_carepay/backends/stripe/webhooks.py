"""Stripe's webhooks: verify the signature, read the event, normalize its refunds.

Pure parsing apart from I/O: nothing here asks Stripe. What an event means that needs
Stripe's current answer (its refunds) is fetched by the backend, lazily
(:class:`ResolvedOnDemand`), after the service stored the delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.views.decorators.debug import sensitive_variables

from ...exceptions import InvalidProviderData, WebhookVerificationError
from ...types import ProviderUpdate, UpdateKind
from ..provider_data import MAX_EVENT_ID_LENGTH, load_webhook_json, minor_units
from .client import stripe
from .objects import mapping, object_id, plain, text

#: Stripe's own default: deliveries signed more than 5 minutes ago are refused.
WEBHOOK_TOLERANCE = 300

REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed",
                           # refund.updated's classic name, with the same refund object
                           "charge.refund.updated"})


def refunded_charge_id(charge: Mapping[str, Any]) -> str:
    """The id of the charge a ``charge.refunded`` event is about."""
    charge_id = text(charge, "id")
    if not charge_id:
        raise InvalidProviderData(
            "charge.refunded names no charge: the charge id must be a non-empty string.")
    return charge_id


class ResolvedOnDemand:
    """Updates found by asking Stripe, resolved when the service iterates them."""

    def __init__(self, resolve: Callable[[], list[ProviderUpdate]]) -> None:
        self._resolve = resolve

    def __iter__(self) -> Iterator[ProviderUpdate]:
        return iter(self._resolve())


def webhook_secrets(value: Any) -> list[str]:
    """The ``webhook_secret`` option as a list: one endpoint's secret, or several
    (the platform's endpoint and a Connect endpoint deliver to the same URL)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str) and item]
    return []


@sensitive_variables("secret", "secrets")
def verify_signature(body: bytes, header: str | None, secret: str | Sequence[str]) -> None:
    """Raise :class:`WebhookVerificationError` unless ``header`` (``Stripe-Signature``)
    signs ``body`` with ``secret`` (or one of several), within
    :data:`WEBHOOK_TOLERANCE` either way."""
    if not header:
        raise WebhookVerificationError("Missing Stripe-Signature header.")
    secrets = webhook_secrets(secret)
    if not secrets:
        raise WebhookVerificationError("No webhook secret is configured; nothing is trusted.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookVerificationError("Body is not UTF-8.") from None
    failure: Exception | None = None
    for candidate in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, header, candidate,
                                                  tolerance=WEBHOOK_TOLERANCE)
        except stripe.SignatureVerificationError as exc:
            failure = exc
            continue
        failure = None
        break
    if failure is not None:
        raise WebhookVerificationError(f"Stripe signature check failed: {failure}") from None
    # stripe's check only refuses signatures older than the tolerance; one dated
    # further ahead than that is refused too (a replayable delivery minted ahead).
    timestamp = int(next(item.split("=", 1)[1] for item in header.split(",")
                         if item.split("=", 1)[0] == "t"))
    ahead = timestamp - int(time.time())
    if ahead > WEBHOOK_TOLERANCE:
        raise WebhookVerificationError(
            f"Stripe signature check failed: Timestamp outside the tolerance zone "
            f"({timestamp} is {ahead} s ahead of this server's clock; at most "
            f"{WEBHOOK_TOLERANCE} s is allowed either way).")


def read_event(body: bytes) -> tuple[str, str, dict[str, Any]]:
    """``(event_id, event_type, event)`` of a verified body; anything that is not a
    Stripe event is :class:`WebhookVerificationError` (answered 400)."""
    event = load_webhook_json(body)
    if not isinstance(event, dict):
        raise WebhookVerificationError("Body is not a Stripe event (not an object).")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookVerificationError(
            f"Body is not a Stripe event: the event id must be a non-empty string, "
            f"got {event_id!r:.60}.")
    if len(event_id) > MAX_EVENT_ID_LENGTH:
        raise WebhookVerificationError(
            f"The event id is {len(event_id)} characters long; at most "
            f"{MAX_EVENT_ID_LENGTH} are stored (Stripe's are about 30).")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookVerificationError(
            f"Body is not a Stripe event: the event type must be a non-empty string, "
            f"got {event_type!r:.60}.")
    return event_id, event_type, event


def event_object(event: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The event's ``data.object`` and connected account (None: the platform's)."""
    data = event.get("data", {})
    if not isinstance(data, dict):
        raise InvalidProviderData(f"data must be an object, got {data!r:.60}.")
    obj = data.get("object", {})
    if not isinstance(obj, dict):
        raise InvalidProviderData(f"data.object must be an object, got {obj!r:.60}.")
    return obj, text(event, "account") or None


def asks_stripe(event_type: str, obj: Mapping[str, Any]) -> bool:
    """Whether reading this event means asking Stripe (its refunds, listed or
    fetched afresh); a failed refund's snapshot is final and trusted as it is."""
    if event_type == "charge.refunded":
        return True
    return event_type in REFUND_EVENTS and bool(obj.get("id")) \
        and obj.get("status") not in ("failed", "canceled")


def update_from_refund(alias: str, refund: Any, event_id: str,
                       intent_id: str) -> ProviderUpdate | None:
    """Normalize a Refund into an update (None: a status that moves no money).

    A refund fetched with its PaymentIntent expanded names our payment by the id in
    the intent's metadata, so it reaches a payment whose own id is not the intent's
    (a Checkout Session's, or one whose intent id was never stored) even before its
    charge is recorded."""
    refund = plain(refund)
    status = refund.get("status")
    currency = text(refund, "currency").upper()
    amount = refund.get("amount")
    mapping(refund, "metadata")  # Stripe always sends an object
    intent = refund.get("payment_intent")
    ours = text(mapping(plain(intent), "metadata"), "carepay_payment",
                "payment_intent.metadata.carepay_payment") \
        if intent and not isinstance(intent, str) else ""
    common: dict[str, Any] = {
        "backend": alias,
        "provider_reference": intent_id or object_id(intent, "payment_intent"),
        "payment_public_id": ours,
        "currency": currency,
        "transaction_reference": text(refund, "id"),
        "amount": None if amount is None else minor_units(amount, currency),
        "event_id": event_id,
    }
    if status in ("succeeded", "pending", "requires_action"):
        return ProviderUpdate(kind=UpdateKind.REFUNDED, **common)
    if status in ("failed", "canceled"):
        return ProviderUpdate(kind=UpdateKind.REFUND_FAILED,
                              failure_message=str(refund.get("failure_reason") or ""),
                              **common)
    return None
