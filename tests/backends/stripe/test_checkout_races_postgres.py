"""A Checkout payment's session event, its PaymentIntent's event and the payer's
return page, all at once (real threads and row locks, PostgreSQL only): one credit.

The first to take the invoice's lock holds it until the others are blocked on it
(``hold.overlapped`` proves the race overlapped).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from django_carepay import services, signals
from django_carepay.models import Invoice, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import CHECKOUT_ALIAS, deliver, make_event
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("checkout_backend")]


def test_session_intent_and_return_page_at_once_credit_once(receive, localstripe, invoice,
                                                            patient):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    localstripe.pay_checkout(payment.provider_reference).raise_for_status()
    session = localstripe.get(f"checkout/sessions/{payment.provider_reference}")
    intent = {**localstripe.get(f"payment_intents/{session['payment_intent']}"),
              "amount_received": 8000}
    events = [make_event("checkout.session.completed", session),
              make_event("payment_intent.succeeded", intent)]
    payer = Client(raise_request_exception=False)
    payer.force_login(patient)
    return_page = reverse("carepay:payment_return", args=[payment.public_id])
    hold = HoldUntilBlocked(3)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)

    def act(i: int):
        if i == 3:
            return payer.get(return_page)
        return deliver(Client(raise_request_exception=False), events[i % 2],
                       alias=CHECKOUT_ALIAS)

    outcomes = run_in_threads(4, act)

    assert hold.overlapped
    assert errors(outcomes) == []
    assert [r.status_code for r in successes(outcomes)] == [200] * 4
    assert list(Transaction.objects.charges().values_list("provider_reference", flat=True)) \
        == [session["payment_intent"]]
    assert succeeded.count == 1
    stored = factories.reload(invoice)
    assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))
    assert WebhookEvent.objects.filter(needs_attention=True).count() == 0
    assert WebhookEvent.objects.count() == 2
