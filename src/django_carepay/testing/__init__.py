"""Helpers for testing a host project against carepay.

Everything here is importable without pytest and without configured Django settings
(Django-dependent imports happen when a helper is called), so a ``unittest``
``TestCase`` can use it as well as a pytest test:

- :func:`sign_stripe_event`, :func:`stripe_event`, :func:`payment_intent_object`,
  :func:`post_stripe_event`: signed, realistic Stripe webhook deliveries for a
  payment's PaymentIntent, posted to carepay's webhook view;
- :func:`pay_invoice`: pay an invoice through any configured backend, the way that
  backend's money really arrives (recorded, approved, confirmed, or a webhook);
- :func:`make_invoice`: an issued (or draft) invoice in one call;
- :func:`capture_signals`: record carepay's signals and their keyword arguments;
- :data:`TEST_SETTINGS`, :data:`CAREPAY_TEST_SETTINGS`,
  :func:`carepay_test_settings`: a locmem-ready settings snippet.

The pytest plugin :mod:`django_carepay.testing.plugin` (registered through the
``pytest11`` entry point, so it loads wherever django-carepay is installed) adds the
fixtures ``carepay_settings``, ``carepay_signals`` and ``invoice_factory``; it does
nothing unless a test asks for one of them.
"""

from __future__ import annotations

from .billing import DEFAULT_LINE, make_invoice, pay_invoice
from .settings import CAREPAY_TEST_SETTINGS, TEST_SETTINGS, carepay_test_settings
from .signals import CapturedSignals, SignalCall, capture_signals
from .stripe_events import (
    STRIPE_TEST_API_VERSION,
    payment_intent_object,
    post_stripe_event,
    sign_stripe_event,
    stripe_event,
)

__all__ = [
    "CAREPAY_TEST_SETTINGS",
    "DEFAULT_LINE",
    "STRIPE_TEST_API_VERSION",
    "TEST_SETTINGS",
    "CapturedSignals",
    "SignalCall",
    "capture_signals",
    "carepay_test_settings",
    "make_invoice",
    "pay_invoice",
    "payment_intent_object",
    "post_stripe_event",
    "sign_stripe_event",
    "stripe_event",
]
