"""Refund events: which ones are handled, and what happens when resolving them at
Stripe fails or finds nothing (bugs 8, 9, 11 and 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client, override_settings

from django_carepay import services
from django_carepay.models import Invoice, Payment, WebhookEvent
from tests import factories
from tests.backends.stripe.support import (
    ALIAS,
    SECRET_KEY,
    carepay_with_card,
    deliver,
    ledger,
    make_event,
    paid_payment,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


def stored(event):
    return WebhookEvent.objects.get(backend=ALIAS, event_id=event["id"])


def charge_of(localstripe, payment):
    return localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]


def test_charge_refund_updated_records_the_refund(localstripe, client, invoice):
    # The classic name of refund.updated, still sent to endpoints that listen to it.
    payment = paid_payment(localstripe, invoice)
    refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 3000)
    event = make_event("charge.refund.updated", refund)

    response = deliver(client, event)

    assert (response.status_code, response.content) == (200, b"processed")
    assert ledger(invoice)[1:] == [("refund", Decimal("30.00"), refund["id"])]
    assert factories.reload(payment).status == Payment.Status.PARTIALLY_REFUNDED


# -- bug 8: resolving a refund at Stripe fails: the delivery is stored ----------------

@pytest.mark.parametrize("event_type", ["refund.updated", "charge.refunded"])
def test_an_api_outage_while_resolving_a_refund_is_stored_failed_then_retried(
        localstripe, invoice, event_type):
    payment = paid_payment(localstripe, invoice)
    refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 3000)
    obj = refund if event_type == "refund.updated" else \
        localstripe.get(f"charges/{refund['charge']}")
    event = make_event(event_type, obj)
    stripe_side = Client(raise_request_exception=False)

    with override_settings(CAREPAY=carepay_with_card("http://127.0.0.1:9")):
        failed = deliver(stripe_side, event)

    assert failed.status_code == 500  # Stripe retries
    row = stored(event)
    assert (row.status, row.type) == (WebhookEvent.Status.FAILED, event_type)
    # The payer-facing text, and for staff the network error behind it.
    assert "ProviderError: We could not reach the card processor" in row.error
    assert "127.0.0.1" in row.error and "Connection" in row.error
    assert row.payload == event
    assert ledger(invoice)[1:] == []

    retried = deliver(stripe_side, event)

    assert (retried.status_code, retried.content) == (200, b"processed")
    assert ledger(invoice)[1:] == [("refund", Decimal("30.00"), refund["id"])]
    assert stored(event).status == WebhookEvent.Status.PROCESSED


def test_a_duplicate_refund_event_makes_no_api_call(localstripe, client, invoice):
    payment = paid_payment(localstripe, invoice)
    refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 3000)
    event = make_event("refund.updated", refund)
    deliver(client, event)

    with override_settings(CAREPAY=carepay_with_card("http://127.0.0.1:9")):
        again = deliver(client, event)

    assert (again.status_code, again.content) == (200, b"duplicate")
    assert stored(event).status == WebhookEvent.Status.PROCESSED


# -- bug 16: Stripe does not know the refund or charge ---------------------------------

@pytest.mark.parametrize("event_type", ["refund.updated", "charge.refunded"])
def test_a_refund_or_charge_stripe_does_not_know_is_flagged_not_retried(
        localstripe, client, invoice, event_type):
    payment = paid_payment(localstripe, invoice)
    obj = {"id": "re_unknown", "object": "refund", "amount": 3000, "currency": "gbp",
           "status": "succeeded", "payment_intent": payment.provider_reference} \
        if event_type == "refund.updated" else \
        {"id": "ch_unknown", "object": "charge", "amount": 8000, "currency": "gbp",
         "payment_intent": payment.provider_reference, "refunded": True}
    event = make_event(event_type, obj)

    response = deliver(client, event)

    assert (response.status_code, response.content) == (200, b"ignored")
    row = stored(event)
    assert row.needs_attention
    assert obj["id"] in row.error and "does not know" in row.error
    assert ledger(invoice)[1:] == []
    assert factories.reload(payment).status == Payment.Status.SUCCEEDED


# -- bug 9: a refund whose charge's event never comes -----------------------------------

def test_a_refund_before_its_charge_asks_stripe_and_records_both(localstripe, client,
                                                                 invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)  # payment_intent.succeeded is lost
    charge = charge_of(localstripe, payment)
    refund = localstripe.dashboard_refund(charge["id"], 8000)
    event = make_event("refund.updated", refund)

    response = deliver(client, event)

    assert (response.status_code, response.content) == (200, b"processed")
    assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference),
                               ("refund", Decimal("80.00"), refund["id"])]
    assert factories.reload(payment).status == Payment.Status.REFUNDED
    assert factories.reload(invoice).status == Invoice.Status.REFUNDED
    assert stored(event).status == WebhookEvent.Status.PROCESSED
    # The charge's event, if it comes after all, is applied once.
    late = deliver(client, make_event(
        "payment_intent.succeeded",
        localstripe.get(f"payment_intents/{payment.provider_reference}")))
    assert late.status_code == 200
    assert [kind for kind, *_ in ledger(invoice)] == ["charge", "refund"]


def test_a_refund_in_a_currency_the_ledger_does_not_know_is_flagged(localstripe, client,
                                                                    invoice):
    # Bug 4 for refunds resolved at Stripe: localstripe lets a JSON update set any
    # attribute, so the refund Stripe reports is in a currency no ledger holds.
    payment = paid_payment(localstripe, invoice)
    refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 3000)
    localstripe._call("POST", f"/v1/refunds/{refund['id']}", json={"currency": "xyz"},
                      headers={"Authorization": f"Bearer {SECRET_KEY}"})
    event = make_event("refund.updated", refund)

    response = deliver(client, event)

    assert (response.status_code, response.content) == (200, b"ignored")
    row = stored(event)
    assert row.needs_attention and "'XYZ'" in row.error.upper()
    assert ledger(invoice)[1:] == []
