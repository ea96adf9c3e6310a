"""Bug 10: an update whose PaymentIntent id matches no payment, but whose metadata
(``carepay_payment``) names a payment of ours that never learnt its intent id (the
intent was created but Stripe's answer was lost), is applied to that payment, and the
intent id recorded. Metadata never re-points a payment that has another intent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, ledger, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


def paid_intent_for(localstripe, payment):
    """An intent created for ``payment`` (our metadata), paid at Stripe."""
    intent = localstripe.client.v1.payment_intents.create({
        "amount": 8000, "currency": "gbp",
        "metadata": {"carepay_payment": str(payment.public_id)}})
    localstripe.pay(intent.id)
    return localstripe.get(f"payment_intents/{intent.id}")


def test_an_intent_whose_id_was_lost_is_matched_by_our_metadata(localstripe, client,
                                                                 invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    Payment.objects.filter(pk=payment.pk).update(provider_reference="")  # answer lost
    intent = paid_intent_for(localstripe, payment)
    event = make_event("payment_intent.succeeded", intent)

    response = deliver(client, event)

    assert (response.status_code, response.content) == (200, b"processed")
    stored_payment = factories.reload(payment)
    assert (stored_payment.status, stored_payment.provider_reference) == (
        Payment.Status.SUCCEEDED, intent["id"])
    assert ledger(invoice) == [("charge", Decimal("80.00"), intent["id"])]
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert not WebhookEvent.objects.get(event_id=event["id"]).needs_attention


def test_metadata_never_repoints_a_payment_that_has_another_intent(localstripe, client,
                                                                   invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    own_intent = payment.provider_reference
    intent = paid_intent_for(localstripe, payment)  # a second intent naming it
    event = make_event("payment_intent.succeeded", intent)

    response = deliver(client, event)

    assert response.status_code == 200
    row = WebhookEvent.objects.get(event_id=event["id"])
    assert row.needs_attention
    assert "matches no payment" in row.error
    stored_payment = factories.reload(payment)
    assert (stored_payment.status, stored_payment.provider_reference) == (
        Payment.Status.PENDING, own_intent)
    assert not Transaction.objects.exists()
