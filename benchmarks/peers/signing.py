"""Stripe's ``Stripe-Signature`` header for a body, as Stripe computes it (the same
for every peer, whatever its stripe SDK offers)."""

from __future__ import annotations

import hashlib
import hmac
import time


def stripe_signature(body: str, secret: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(),
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
