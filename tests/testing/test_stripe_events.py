"""Signed Stripe deliveries for a payment, posted to carepay's webhook view."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import stripe

from django_carepay import services
from django_carepay.models import Payment, WebhookEvent
from django_carepay.testing import (
    capture_signals,
    payment_intent_object,
    post_stripe_event,
    sign_stripe_event,
    stripe_event,
)
from tests.backends.stripe.support import ALIAS, WEBHOOK_SECRET


def test_the_signature_is_the_one_stripe_checks():
    payload = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"})
    header = sign_stripe_event(payload, WEBHOOK_SECRET)
    stripe.WebhookSignature.verify_header(payload, header, WEBHOOK_SECRET, tolerance=300)
    assert sign_stripe_event(payload.encode(), WEBHOOK_SECRET, timestamp=1) == \
        stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET, timestamp=1)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload, sign_stripe_event(payload, "whsec_other"),
                                              WEBHOOK_SECRET, tolerance=300)


def test_an_event_has_stripes_shape():
    event = stripe_event("charge.refunded", {"id": "ch_1", "object": "charge"},
                         event_id="evt_fixed", account="acct_1", created=1700000000)
    assert event == {
        "id": "evt_fixed", "object": "event", "api_version": event["api_version"],
        "created": 1700000000, "data": {"object": {"id": "ch_1", "object": "charge"}},
        "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "type": "charge.refunded",
        "account": "acct_1",
    }
    assert stripe_event("x", {})["id"].startswith("evt_")


@pytest.fixture
def card_payment(card_backend, invoice) -> Payment:
    return services.start_payment(invoice, backend=ALIAS)


def test_the_intent_is_built_from_the_payment(card_payment):
    intent = payment_intent_object(card_payment)
    assert intent["id"] == card_payment.provider_reference
    assert (intent["amount"], intent["amount_received"], intent["currency"]) == \
        (8000, 8000, "gbp")
    assert intent["status"] == "succeeded"
    assert intent["metadata"] == {"carepay_payment": str(card_payment.public_id),
                                  "carepay_invoice": card_payment.invoice.number}
    assert intent["latest_charge"].startswith("ch_")
    failed = payment_intent_object(card_payment, event_type="payment_intent.payment_failed")
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "card_declined"
    assert failed["amount_received"] == 0
    assert payment_intent_object(card_payment, amount_received=100)["amount_received"] == 100
    with pytest.raises(ValueError, match=r"charge.refunded.*stripe_event"):
        payment_intent_object(card_payment, event_type="charge.refunded")


def test_a_succeeded_event_pays_the_invoice(client, card_payment, invoice):
    with capture_signals() as sent:
        response = post_stripe_event(client, invoice, "payment_intent.succeeded")
    assert response.status_code == 200, response.content
    card_payment.refresh_from_db()
    invoice.refresh_from_db()
    assert card_payment.status == "succeeded"
    assert invoice.status == "paid"
    assert sent.names() == ["payment_succeeded", "invoice_paid"]
    assert sent.one("invoice_paid")["by"] is None


def test_changes_make_the_event_say_something_else(client, card_payment, invoice):
    response = post_stripe_event(client, card_payment, "payment_intent.succeeded",
                                 amount_received=3000)
    assert response.status_code == 200, response.content
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("open", Decimal("50.00"))


def test_a_failed_event_fails_the_payment(client, card_payment):
    response = post_stripe_event(client, card_payment, "payment_intent.payment_failed")
    assert response.status_code == 200, response.content
    card_payment.refresh_from_db()
    assert card_payment.status == "failed"
    assert card_payment.failure_message == "Your card was declined."


def test_a_redelivered_event_is_a_duplicate(client, card_payment):
    first = post_stripe_event(client, card_payment, "payment_intent.succeeded",
                              event_id="evt_again")
    again = post_stripe_event(client, card_payment, "payment_intent.succeeded",
                              event_id="evt_again")
    assert (first.content, again.content) == (b"processed", b"duplicate")
    assert WebhookEvent.objects.count() == 1


def test_a_wrong_secret_is_refused(client, card_payment):
    response = post_stripe_event(client, card_payment, "payment_intent.succeeded",
                                 secret="whsec_wrong")
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_the_intent_may_come_from_the_stripe_server(client, localstripe, card_payment,
                                                   invoice):
    localstripe.pay(card_payment.provider_reference)
    intent = localstripe.get(f"payment_intents/{card_payment.provider_reference}")
    response = post_stripe_event(client, invoice, "payment_intent.succeeded", intent=intent,
                                 amount_received=8000)  # localstripe leaves it out
    assert response.status_code == 200, response.content
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_connected_accounts_payment_is_announced_for_that_account(client, card_payment):
    card_payment.metadata = {"stripe_account": "acct_123"}
    card_payment.save(update_fields=["metadata"])
    response = post_stripe_event(client, card_payment, "payment_intent.succeeded")
    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get().payload["account"] == "acct_123"


def test_it_says_which_payment_it_needs(client, card_backend, invoice, settings):
    with pytest.raises(ValueError, match=r"no 'card' payment with a PaymentIntent.*start_payment"):
        post_stripe_event(client, invoice, "payment_intent.succeeded")
    with pytest.raises(ValueError, match=r"is a ManualBackend, not a StripeBackend"):
        post_stripe_event(client, services.record_payment(invoice, backend="cash", by=None),
                          "payment_intent.succeeded")
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {
        **settings.CAREPAY["BACKENDS"], "card2": settings.CAREPAY["BACKENDS"][ALIAS]}}
    with pytest.raises(ValueError, match=r"alias=….*2 are configured \(card, card2\)"):
        post_stripe_event(client, invoice, "payment_intent.succeeded")


def test_an_old_signature_is_refused_by_carepay(client, card_payment):
    payload = json.dumps(stripe_event("payment_intent.succeeded",
                                      payment_intent_object(card_payment)))
    response = client.post(f"/billing/webhooks/{ALIAS}/", data=payload,
                           content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=sign_stripe_event(
                               payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600))
    assert response.status_code == 400
