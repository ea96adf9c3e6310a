"""A card refund from the admin is tested against localstripe, like the Stripe backend."""

from tests.backends.stripe.support import card_backend, localstripe, localstripe_url

__all__ = ["card_backend", "localstripe", "localstripe_url"]
