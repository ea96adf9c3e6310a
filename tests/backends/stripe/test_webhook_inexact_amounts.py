"""Bug 4 through the webhook view: Stripe takes ISK two-decimal while ISO 4217 (and
the ledger) has no minor unit, so an ``amount_received`` of 800050 is 8000.50 ISK,
which the ledger cannot hold: stored needs-attention and answered 200."""

from __future__ import annotations

import pytest

from django_carepay import services
from django_carepay.models import Payment, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


def test_an_isk_amount_with_decimals_is_flagged_and_answered_200(client):
    invoice = factories.make_invoice(
        currency="ISK", lines=[{"description": "Consultation", "unit_price": "8000"}])
    payment = services.start_payment(invoice, backend=ALIAS)
    event = make_event("payment_intent.succeeded", {
        "id": payment.provider_reference, "object": "payment_intent", "amount": 800000,
        "amount_received": 800050, "currency": "isk", "status": "succeeded",
        "metadata": {"carepay_payment": str(payment.public_id)}})

    response = deliver(client, event)
    again = deliver(client, event)

    assert (response.status_code, again.status_code, again.content) == (
        200, 200, b"duplicate")
    row = WebhookEvent.objects.get(event_id=event["id"])
    assert (row.status, row.needs_attention) == (WebhookEvent.Status.IGNORED, True)
    assert "8000.50 ISK" in row.error and "not credited" in row.error
    assert not Transaction.objects.exists()
    assert factories.reload(payment).status == Payment.Status.PENDING
