"""Refund events: which ones are handled, and what happens when resolving them at
Stripe fails or finds nothing (bugs 8, 9, 11 and 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from django_carepay import services
from django_carepay.models import Invoice, Payment, WebhookEvent
from tests import factories
from tests.stripe.support import ALIAS, deliver, ledger, make_event, paid_payment

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
