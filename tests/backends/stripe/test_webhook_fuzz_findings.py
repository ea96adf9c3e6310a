"""What benchmarks/webhook_fuzz.py found after the first round of fixes.

Validly signed deliveries that are not well-formed successes must not credit money,
and an event whose look-up Stripe refuses must not be retried forever.
"""

from __future__ import annotations

import pytest

from django_carepay.models import WebhookEvent
from tests.backends.stripe.support import assert_refused, deliver, ledger, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def client(server_client):
    return server_client


@pytest.fixture
def intent(paid_intent):
    return paid_intent


@pytest.fixture
def payment(card_payment):
    return card_payment


@pytest.mark.parametrize("intent_id", [None, ""])
def test_a_success_without_the_intents_id_is_refused_not_matched_by_metadata(
        client, intent, invoice, caplog, intent_id):
    event = make_event("payment_intent.succeeded", {**intent, "id": intent_id})

    response = deliver(client, event)

    assert_refused(response, caplog, "PaymentIntent without an id")
    assert ledger(invoice) == []


def test_an_amount_received_of_null_is_refused(client, intent, invoice, caplog):
    event = make_event("payment_intent.succeeded", {**intent, "amount_received": None})

    response = deliver(client, event)

    assert_refused(response, caplog, "amount_received must be an integer")
    assert ledger(invoice) == []


@pytest.mark.parametrize("event_type", ["payment_intent.payment_failed",
                                        "payment_intent.processing",
                                        "payment_intent.canceled"])
def test_an_event_whose_intent_contradicts_its_type_credits_nothing(
        client, intent, invoice, caplog, event_type):
    event = make_event(event_type, intent)  # status "succeeded"

    response = deliver(client, event)

    assert_refused(response, caplog, "contradicts")
    assert ledger(invoice) == []


@pytest.mark.parametrize("charge_id", ["8000", "bad\u00000.92"])
def test_a_charge_stripe_refuses_to_look_up_is_flagged_not_retried(
        client, payment, invoice, charge_id):
    event = make_event("charge.refunded", {
        "id": charge_id, "object": "charge", "amount": 8000, "amount_refunded": 8000,
        "currency": "gbp", "refunded": True, "payment_intent": payment.provider_reference})

    response = deliver(client, event)

    assert response.status_code == 200, response.content
    row = WebhookEvent.objects.get()
    assert row.needs_attention
    assert "Stripe" in row.error
    assert ledger(invoice) == []


@pytest.mark.parametrize("status", [[1], {"a": 1}, 7])
@pytest.mark.parametrize("event_type", ["payment_intent.succeeded",
                                        "payment_intent.processing"])
def test_a_status_that_is_not_text_is_refused(client, intent, invoice, caplog, event_type,
                                               status):
    event = make_event(event_type, {**intent, "status": status})

    response = deliver(client, event)

    assert_refused(response, caplog, "status must be a string")
    assert ledger(invoice) == []
