"""The Checkout endpoint asks Stripe which session a PaymentIntent pays only for
intents naming a payment of its own: the card backend's intents on the same account
reach it too, and cost it no Stripe call (one indexed query).
"""

from __future__ import annotations

import pytest

from django_carepay import services
from django_carepay.models import WebhookEvent
from tests.backends.stripe.support import CHECKOUT_ALIAS, deliver, make_event

pytestmark = pytest.mark.django_db


def test_a_card_payments_intent_costs_the_checkout_endpoint_no_stripe_call(
        checkout_backend, localstripe, invoice, client):
    card = services.start_payment(invoice, backend="card")
    localstripe.pay(card.provider_reference)
    intent = {**localstripe.get(f"payment_intents/{card.provider_reference}"),
              "amount_received": 8000}
    asked_before = len(localstripe.api_requests("GET", "/v1/checkout/sessions"))

    response = deliver(client, make_event("payment_intent.succeeded", intent),
                       alias=CHECKOUT_ALIAS)

    assert response.status_code == 200
    assert WebhookEvent.objects.get(backend=CHECKOUT_ALIAS).status == "ignored"
    asked = localstripe.api_requests("GET", "/v1/checkout/sessions")[asked_before:]
    assert asked == [], f"the Checkout endpoint asked Stripe {len(asked)}x about a card payment"
