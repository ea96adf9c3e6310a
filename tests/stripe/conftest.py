"""Fixtures for the Stripe backend's tests, which run against localstripe."""

from tests.stripe.support import card_backend, localstripe, localstripe_url

__all__ = ["card_backend", "localstripe", "localstripe_url"]
