"""A refund that reaches us before its charge, for a payment whose own id is not the
refunded PaymentIntent's: a Checkout Session's (``cs_…``), or a card payment whose
intent id was never stored (the answer to ``start()`` was lost).

Such a refund matched nothing (its intent is known only once its charge is in the
ledger) and was acknowledged as ``ignored``, unflagged: Stripe never sent it again,
and the refund was never recorded. Now the refund names the payment by our id in its
intent's metadata (the refund is fetched with the intent expanded). A Checkout
payment's charge is asked of Stripe (its session) and recorded first, then the refund;
a card payment whose intent id was lost is refused until that intent's own event has
recorded the charge, and the refund, delivered again, is recorded then.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from django_carepay import services
from django_carepay.models import Payment, WebhookEvent
from tests.backends.stripe.support import (
    CHECKOUT_ALIAS,
    deliver,
    ledger,
    make_event,
)

pytestmark = pytest.mark.django_db


def _settled_once(invoice, payment, refund_amount):
    payment.refresh_from_db()
    assert [row[0] for row in ledger(invoice)] == ["charge", "refund"]
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    assert payment.amount_refunded == refund_amount


def test_a_checkout_refund_before_its_charge_records_the_charge_then_the_refund(
        checkout_backend, localstripe, invoice, client):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    localstripe.pay_checkout(payment.provider_reference).raise_for_status()
    cs = localstripe.get(f"checkout/sessions/{payment.provider_reference}")
    charge = localstripe.get(f"payment_intents/{cs['payment_intent']}")["latest_charge"]
    # Refunded in Stripe's dashboard while checkout.session.completed is still on its
    # way (retried after a failure, or simply later).
    refund = localstripe.dashboard_refund(charge["id"], 2500)

    response = deliver(client, make_event("refund.updated", refund), alias=CHECKOUT_ALIAS)

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    _settled_once(invoice, payment, Decimal("25.00"))
    # The session's own news, when it comes, changes nothing more.
    deliver(client, make_event("checkout.session.completed", cs), alias=CHECKOUT_ALIAS)
    _settled_once(invoice, payment, Decimal("25.00"))


def test_a_checkout_charge_refunded_event_first_is_recorded_too(
        checkout_backend, localstripe, invoice, client):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    localstripe.pay_checkout(payment.provider_reference).raise_for_status()
    cs = localstripe.get(f"checkout/sessions/{payment.provider_reference}")
    charge_id = localstripe.get(f"payment_intents/{cs['payment_intent']}")["latest_charge"]["id"]
    localstripe.dashboard_refund(charge_id, 2500)

    response = deliver(client, make_event("charge.refunded", localstripe.get(
        f"charges/{charge_id}")), alias=CHECKOUT_ALIAS)

    assert response.status_code == 200
    _settled_once(invoice, payment, Decimal("25.00"))


def test_a_card_refund_before_its_charge_whose_intent_id_was_lost(
        card_backend, localstripe, invoice):
    """Its intent is tied to the payment only by our id in the intent's metadata: the
    refund does not make it the payment's (whoever made the intent wrote that id), it
    is refused for now; the intent's own payment_intent.succeeded records the charge,
    and the refund, delivered again, is recorded."""
    client = Client(raise_request_exception=False)
    payment = services.start_payment(invoice, backend="card")
    localstripe.pay(payment.provider_reference)  # payment_intent.succeeded is late
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    Payment.objects.filter(pk=payment.pk).update(provider_reference="")  # answer lost
    refund = make_event("refund.updated", localstripe.dashboard_refund(
        intent["latest_charge"]["id"], 2500))

    assert deliver(client, refund).status_code == 500
    assert ledger(invoice) == []

    deliver(client, make_event("payment_intent.succeeded",
                               {**intent, "amount_received": 8000}))
    assert deliver(client, refund).status_code == 200
    _settled_once(invoice, payment, Decimal("25.00"))
    payment.refresh_from_db()
    assert payment.provider_reference == intent["id"]
