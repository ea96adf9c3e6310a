"""Stripe's deliveries racing each other and the return page, with real threads and
real row locks (PostgreSQL only).

As in tests/test_concurrency.py, the first request to take the invoice's lock holds
its transaction open until the other is blocked on that lock, so the race really
overlaps; ``hold.overlapped`` proves it did.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from django_carepay import services, signals
from django_carepay.models import Invoice, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, make_event
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def succeeded_event(localstripe, invoice):
    """The invoice's card payment, paid at Stripe, and Stripe's event saying so."""
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return payment, make_event("payment_intent.succeeded", intent)


def stripe_side():
    return Client(raise_request_exception=False)


def race_two_deliveries(receive, event):
    """Stripe delivers the same event twice at the same moment."""
    hold = HoldUntilBlocked(1)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)
    outcomes = run_in_threads(2, lambda i: deliver(stripe_side(), event))
    assert hold.overlapped
    assert errors(outcomes) == []
    return succeeded, successes(outcomes)


def race_webhook_and_return_page(receive, patient, payment, event):
    """Stripe's delivery and the payer's return page report one success at once."""
    payer = Client(raise_request_exception=False)
    payer.force_login(patient)
    return_page = reverse("carepay:payment_return", args=[payment.public_id])
    hold = HoldUntilBlocked(1)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)
    outcomes = run_in_threads(2, lambda i: deliver(stripe_side(), event) if i == 0
                              else payer.get(return_page))
    assert hold.overlapped
    assert errors(outcomes) == []
    return succeeded, successes(outcomes)


def assert_paid_once(invoice, succeeded):
    assert Transaction.objects.charges().count() == 1
    assert succeeded.count == 1
    stored = factories.reload(invoice)
    assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))


def test_two_deliveries_of_one_event_at_once_credit_it_once(receive, invoice,
                                                            succeeded_event):
    succeeded, _responses = race_two_deliveries(receive, succeeded_event[1])

    assert_paid_once(invoice, succeeded)
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_two_deliveries_of_one_event_at_once_are_both_acknowledged(receive,
                                                                   succeeded_event):
    _succeeded, responses = race_two_deliveries(receive, succeeded_event[1])

    assert sorted((r.status_code, r.content) for r in responses) == [
        (200, b"duplicate"), (200, b"processed")]


def test_the_webhook_and_the_return_page_at_once_credit_one_charge(receive, patient, invoice,
                                                                   succeeded_event):
    succeeded, _responses = race_webhook_and_return_page(receive, patient, *succeeded_event)

    assert_paid_once(invoice, succeeded)


def test_the_webhook_and_the_return_page_at_once_both_answer_normally(receive, patient,
                                                                      succeeded_event):
    _succeeded, (webhook, page) = race_webhook_and_return_page(receive, patient,
                                                               *succeeded_event)

    assert (webhook.status_code, page.status_code) == (200, 200)
    assert "Payment received" in page.content.decode()
