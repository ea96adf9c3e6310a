"""Fixtures for the Stripe backend's tests, which run against localstripe."""

from tests.backends.stripe.support import (
    card_backend,
    card_payment,
    checkout_backend,
    localstripe,
    localstripe_url,
    paid_intent,
    server_client,
)

__all__ = ["card_backend", "card_payment", "checkout_backend", "localstripe",
           "localstripe_url", "paid_intent", "server_client"]
