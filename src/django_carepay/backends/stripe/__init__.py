"""Card payments through Stripe: PaymentIntents with the Payment Element
(:class:`StripeBackend`) or hosted Checkout (:class:`StripeCheckoutBackend`), verified
webhooks.

Configure::

    "card": {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend",
        "OPTIONS": {
            "secret_key": env("STRIPE_SECRET_KEY"),
            "publishable_key": env("STRIPE_PUBLISHABLE_KEY"),
            "webhook_secret": env("STRIPE_WEBHOOK_SECRET"),
        },
    }

and point a Stripe webhook endpoint at ``/<carepay prefix>/webhooks/card/``.

Each backend instance has its own :class:`stripe.StripeClient` (never the global
``stripe.api_key``). The package: :mod:`.backend` (the class), :mod:`.client`,
:mod:`.amounts`, :mod:`.intents`, :mod:`.sessions`, :mod:`.checkout`, :mod:`.webhooks`,
:mod:`.checks`.
"""

from __future__ import annotations

from .backend import DEFAULT_JS_URL, DEFAULT_LOCK_TIMEOUT, StripeBackend
from .checkout import StripeCheckoutBackend
from .client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, UNREACHABLE_MESSAGE, stripe
from .intents import INTENT_OPTIONS, REQUEST_OPTIONS
from .webhooks import WEBHOOK_TOLERANCE

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_JS_URL",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "INTENT_OPTIONS",
    "REQUEST_OPTIONS",
    "UNREACHABLE_MESSAGE",
    "WEBHOOK_TOLERANCE",
    "StripeBackend",
    "StripeCheckoutBackend",
    "stripe",
]
