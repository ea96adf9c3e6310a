"""Stripe's events as every peer receives them: the event envelope around an object,
and the ``Stripe-Signature`` header for a body, as Stripe computes it (the same for
every peer, whatever its stripe SDK offers)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any


def stripe_signature(body: str, secret: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(),
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(event_type: str, obj: dict[str, Any]) -> str:
    """The JSON body of a Stripe event of ``event_type`` about ``obj``."""
    return json.dumps({
        "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
        "type": event_type, "api_version": "2026-10-28.endive",
        "created": int(time.time()), "livemode": False,
        "data": {"object": obj},
    })
