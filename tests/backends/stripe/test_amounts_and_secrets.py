"""The PaymentIntent backend: money received other than asked is flagged, and
``webhook_secret`` may list several endpoints' secrets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import checks
from django.test import override_settings

from django_carepay.models import WebhookEvent
from tests.backends.stripe.support import (
    WEBHOOK_SECRET,
    carepay_with_card,
    deliver,
    ledger,
    make_event,
)

pytestmark = pytest.mark.django_db


def test_an_amount_other_than_asked_is_recorded_and_flagged(card_backend, card_payment,
                                                            paid_intent, invoice, client):
    response = deliver(client, make_event("payment_intent.succeeded",
                                          {**paid_intent, "amount_received": 6000}))

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.needs_attention and "60.00 GBP received" in event.error
    assert ledger(invoice) == [("charge", Decimal("60.000"), paid_intent["id"])]


def test_the_amount_asked_is_not_flagged(card_backend, card_payment, paid_intent, client):
    deliver(client, make_event("payment_intent.succeeded", paid_intent))
    assert not WebhookEvent.objects.get().needs_attention


@pytest.mark.parametrize("secret", ["whsec_connect_1", WEBHOOK_SECRET])
def test_any_listed_secret_verifies(localstripe, card_backend, card_payment, paid_intent,
                                    client, secret):
    with override_settings(CAREPAY=carepay_with_card(
            localstripe.url, webhook_secret=[WEBHOOK_SECRET, "whsec_connect_1"])):
        response = deliver(client, make_event("payment_intent.succeeded", paid_intent,
                                              account="acct_1Connected"), secret=secret)
    assert response.status_code == 200


def test_an_unlisted_secret_is_refused(localstripe, card_backend, card_payment, paid_intent,
                                      client):
    with override_settings(CAREPAY=carepay_with_card(
            localstripe.url, webhook_secret=[WEBHOOK_SECRET])):
        response = deliver(client, make_event("payment_intent.succeeded", paid_intent),
                           secret="whsec_other")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("value", [[WEBHOOK_SECRET, ""], [WEBHOOK_SECRET, 7], 42])
def test_a_malformed_secret_list_is_a_check_error(localstripe, value):
    with override_settings(CAREPAY=carepay_with_card(localstripe.url, webhook_secret=value)):
        ids = [m.id for m in checks.run_checks()]
    assert "carepay.E015" in ids
