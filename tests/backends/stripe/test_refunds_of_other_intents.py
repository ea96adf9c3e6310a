"""A refund of a PaymentIntent that is not the payment's, whose metadata names one of
our payments: a stale attempt's intent, a stray one, a connected account's own intent
on its own balance.

It is never applied and never credits that intent's charge. When the payment's own
charge (asked of the provider once) is not the refunded one, the refund is flagged for
staff and answered 200, never a 500 that Stripe retries for three days. A payment
whose provider id is not known yet never takes one from a refund: the intent's own
news records the charge, and the refund is delivered again.
"""

from __future__ import annotations

import pytest
from django.test import Client

from django_carepay.models import Payment, WebhookEvent
from tests.backends.stripe.support import (
    CHECKOUT_ALIAS,
    CONNECT_WEBHOOK_SECRET,
    deliver,
    ledger,
    make_event,
    paid_payment,
)

pytestmark = pytest.mark.django_db


def _foreign_refund(localstripe, payment: Payment, amount: int = 1000) -> dict:
    """Another PaymentIntent (not the payment's), its metadata naming ``payment``,
    paid and partly refunded."""
    intent = localstripe.client.v1.payment_intents.create({
        "amount": 8000, "currency": "gbp",
        "metadata": {"carepay_payment": str(payment.public_id),
                     "carepay_invoice": payment.invoice.number or ""}})
    localstripe.pay(intent.id)
    charge = localstripe.get(f"payment_intents/{intent.id}")["latest_charge"]["id"]
    return localstripe.dashboard_refund(charge, amount)


def test_a_refund_of_another_intent_naming_a_paid_card_payment_is_not_a_retry_loop(
        card_backend, localstripe, invoice):
    payment = paid_payment(localstripe, invoice)
    before = ledger(invoice)
    refund = _foreign_refund(localstripe, payment)
    client = Client(raise_request_exception=False)

    statuses = [deliver(client, make_event("refund.updated", refund, event_id="evt_other_f1"))
                .status_code for _ in range(2)]  # Stripe's retries

    assert ledger(invoice) == before  # never applied (that part holds)
    event = WebhookEvent.objects.get(event_id="evt_other_f1")
    assert statuses == [200, 200], (
        f"answered {statuses}; stored {event.status}: {event.error[:300]}")
    assert event.status != WebhookEvent.Status.FAILED


def test_a_connected_accounts_refund_naming_a_checkout_payment_is_not_a_retry_loop(
        checkout_backend, localstripe, invoice):
    """The Connect variant, on the Checkout endpoint (a paid platform session)."""
    from django_carepay import services
    from django_carepay.backends import get_backend

    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    localstripe.pay_checkout(payment.provider_reference).raise_for_status()
    services.apply_provider_update(get_backend(CHECKOUT_ALIAS).sync(payment))
    before = ledger(invoice)
    refund = _foreign_refund(localstripe, payment)
    client = Client(raise_request_exception=False)

    response = deliver(client, make_event("refund.updated", refund, event_id="evt_other_f2",
                                          account="acct_1SomeTeacher"),
                       alias=CHECKOUT_ALIAS, secret=CONNECT_WEBHOOK_SECRET)

    assert ledger(invoice) == before
    event = WebhookEvent.objects.get(event_id="evt_other_f2")
    assert response.status_code == 200, f"stored {event.status}: {event.error[:300]}"


def test_a_foreign_refund_never_credits_the_foreign_intents_charge(
        card_backend, localstripe, invoice):
    """A card payment whose intent id was never stored (the case 61fe4ea handles):
    the refund matches it by the public id, _apply_update writes the *refund's* intent
    id onto the in-memory payment, and the service's sync() of that payment then asks
    Stripe about the refunded (foreign) intent and credits its charge. Before 61fe4ea
    the refund matched nothing. (The card backend's payment_intent.* path already
    trusted metadata for such payments; this is a second way in, via refunds.)"""
    from django_carepay import services

    payment = services.start_payment(invoice, backend="card")  # never paid
    Payment.objects.filter(pk=payment.pk).update(provider_reference="")  # answer lost
    refund = _foreign_refund(localstripe, payment, amount=100)
    client = Client(raise_request_exception=False)

    deliver(client, make_event("refund.updated", refund, event_id="evt_other_f3"))

    assert ledger(invoice) == [], "credited another intent's charge, through its refund"
