"""Stripe events as Stripe sends them, built from localstripe's real objects.

The envelope is ``tests.backends.stripe.support.make_event``'s; the object is the
PaymentIntent, Refund or Charge localstripe holds, as it was when the event happened
(the intent's snapshot before it was paid for ``created``/``processing``/
``payment_failed``, after for ``succeeded``), shaped as Stripe's API version shapes
it: ``latest_charge`` an id, no embedded ``charges`` list, ``amount_received`` set.
"""

from __future__ import annotations

import copy
from typing import Any

from .seeding import Paid


def _envelope(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    from tests.backends.stripe.support import make_event

    return make_event(event_type, obj)


def _intent(snapshot: dict[str, Any], **changes: Any) -> dict[str, Any]:
    intent = copy.deepcopy(snapshot)
    intent.pop("charges", None)  # not embedded since API version 2022-11-15
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        intent["latest_charge"] = charge["id"]
    intent.update(changes)
    return intent


def charge_id(paid: Paid) -> str:
    charge = paid.succeeded["latest_charge"]
    return str(charge["id"] if isinstance(charge, dict) else charge)


def succeeded(paid: Paid) -> dict[str, Any]:
    return _envelope("payment_intent.succeeded", _intent(paid.succeeded))


def created(paid: Paid) -> dict[str, Any]:
    """``payment_intent.created``: the intent as it was created (arrives late here)."""
    return _envelope("payment_intent.created", _intent(paid.created, amount_received=0))


def processing(paid: Paid) -> dict[str, Any]:
    """``payment_intent.processing``, delivered after the success it preceded."""
    return _envelope("payment_intent.processing",
                     _intent(paid.created, status="processing", amount_received=0))


def payment_failed(paid: Paid) -> dict[str, Any]:
    """A failed first attempt (a declined card) whose event arrives after the success."""
    error = {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
             "message": "Your card was declined.", "charge": None}
    return _envelope("payment_intent.payment_failed",
                     _intent(paid.created, status="requires_payment_method",
                             amount_received=0, last_payment_error=error))


def refund_events(server: Any, refund_id: str) -> list[dict[str, Any]]:
    """What Stripe sends for a refund: ``refund.created`` (the refund) and
    ``charge.refunded`` (its charge, as it is after the refund)."""
    refund = server.get(f"refunds/{refund_id}")
    charge = server.get(f"charges/{refund['charge']}")
    charge.pop("refunds", None)  # not embedded since API version 2022-11-15
    return [_envelope("refund.created", refund), _envelope("charge.refunded", charge)]
