"""A PaymentIntent that is not the session's, whose metadata names a Checkout payment.

The Checkout backend matched ``payment_intent.*`` events by ``metadata.carepay_payment``
alone. A connected account (which knows a payment's public id: it is in the payer's
result URL) could make an intent on its *own* account with that metadata, pay it with
its own card (the money in its own balance), and the platform's invoice was credited
and marked paid; so did any stray intent carrying the metadata. Now an intent event is
believed only through the session Stripe says the intent pays (asked on the event's
account), matched by that session's exact id.
"""


from __future__ import annotations

import time

import pytest

from django_carepay import services
from django_carepay.models import Invoice
from tests.backends.stripe.support import (
    CHECKOUT_ALIAS,
    CONNECT_WEBHOOK_SECRET,
    deliver,
    ledger,
    make_event,
)

pytestmark = pytest.mark.django_db


def foreign_intent(payment, intent_id: str = "pi_someone_elses_1") -> dict:
    """A succeeded PaymentIntent that is not the payment's session's, naming it."""
    return {"id": intent_id, "object": "payment_intent", "status": "succeeded",
            "amount": 8000, "amount_received": 8000, "currency": "gbp",
            "created": int(time.time()), "latest_charge": "ch_someone_elses_1",
            "metadata": {"carepay_payment": str(payment.public_id),
                         "carepay_invoice": payment.invoice.number}}


def test_a_connected_accounts_own_intent_does_not_pay_a_platform_invoice(
        checkout_backend, localstripe, invoice, client):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    assert not (payment.metadata or {}).get("stripe_account")  # the platform's payment
    # The session is still open: the payer has paid nothing.
    assert localstripe.get(f"checkout/sessions/{payment.provider_reference}")[
        "status"] == "open"

    event = make_event("payment_intent.succeeded", foreign_intent(payment),
                       account="acct_1SomeTeacher")
    response = deliver(client, event, alias=CHECKOUT_ALIAS, secret=CONNECT_WEBHOOK_SECRET)

    assert response.status_code == 200
    invoice.refresh_from_db()
    assert ledger(invoice) == [], "credited from another account's PaymentIntent"
    assert invoice.status == Invoice.Status.OPEN


def test_an_intent_that_is_not_the_sessions_does_not_pay_the_invoice(
        checkout_backend, localstripe, invoice, client):
    """Same account, but the intent is not the session's (the session is open)."""
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)

    response = deliver(client, make_event("payment_intent.succeeded",
                                          foreign_intent(payment, "pi_stray_2")),
                       alias=CHECKOUT_ALIAS)

    assert response.status_code == 200
    invoice.refresh_from_db()
    assert ledger(invoice) == [], "credited from a PaymentIntent that is not the session's"
    assert invoice.status == Invoice.Status.OPEN


def test_the_sessions_own_intent_still_settles_the_payment_once(
        checkout_backend, localstripe, invoice, client):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    localstripe.pay_checkout(payment.provider_reference).raise_for_status()
    cs = localstripe.get(f"checkout/sessions/{payment.provider_reference}")
    intent = localstripe.get(f"payment_intents/{cs['payment_intent']}")

    for _ in range(2):
        response = deliver(client, make_event("payment_intent.succeeded", intent),
                           alias=CHECKOUT_ALIAS)
        assert response.status_code == 200
    deliver(client, make_event("checkout.session.completed", cs), alias=CHECKOUT_ALIAS)

    invoice.refresh_from_db()
    assert [(kind, reference) for kind, _amount, reference in ledger(invoice)] == [
        ("charge", intent["id"])]
    assert invoice.status == Invoice.Status.PAID
