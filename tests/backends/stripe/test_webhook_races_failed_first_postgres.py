"""Bug 2, raced: Stripe delivers one event twice at once and the first delivery's
processing fails (a host receiver raises while holding the invoice lock). The second
delivery's charge must stand and be answered 200 ``processed``; the first answers 500.
Both orders of the two writes of the event row are forced: the failed row stored
before the second delivery stores its own, and after it committed.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.test import Client

from django_carepay import services, signals
from django_carepay.models import Invoice, Transaction, WebhookEvent
from django_carepay.services import webhooks
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, make_event
from tests.testapp.models import Appointment
from tests.threads import blocked_on_locks, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("card_backend")]


def wait_for(condition, what):
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def succeeded_event(localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return make_event("payment_intent.succeeded", intent)


def race(receive, event, *, second_waits_for_failed_row):
    """The first delivery to take the lock holds it until the other waits on it, then
    fails; the second either waits for the failed row to be stored before storing its
    own, or the first's failure is stored only once the second has committed."""
    calls = []
    first_failed = threading.Event()

    def receiver(**kwargs):
        calls.append(threading.get_ident())
        if len(calls) == 1:
            wait_for(lambda: blocked_on_locks() >= 1, "the second delivery to wait")
            first_failed.set()
            raise RuntimeError("appointment system is down")

    receive(signals.payment_succeeded, sender=Appointment, action=receiver)
    locking = webhooks._lock_update_target

    def lock_then_wait(update):
        # The second delivery, once it holds the lock the first let go of, waits for
        # the first's failed row before it writes anything (its statement stores the
        # event row, so the failed row must come first to be met by it).
        payment = locking(update)
        if second_waits_for_failed_row and calls:
            wait_for(lambda: WebhookEvent.objects.filter(
                status=WebhookEvent.Status.FAILED).exists(), "the failed row")
        return payment

    webhooks._lock_update_target = lock_then_wait
    original = webhooks._store_failed_event

    def store_failed_late(event_row, exc):
        if not second_waits_for_failed_row:
            wait_for(lambda: WebhookEvent.objects.filter(
                status=WebhookEvent.Status.PROCESSED).exists(), "the second to commit")
        original(event_row, exc)

    webhooks._store_failed_event = store_failed_late
    try:
        outcomes = run_in_threads(2, lambda i: deliver(Client(raise_request_exception=False),
                                                       event))
    finally:
        webhooks._store_failed_event = original
        webhooks._lock_update_target = locking
    assert first_failed.is_set()
    assert errors(outcomes) == []
    return successes(outcomes)


@pytest.mark.parametrize("second_waits_for_failed_row", [True, False],
                         ids=["failed-row-first", "failed-row-last"])
def test_the_second_delivery_records_the_money_when_the_first_fails(
        receive, invoice, succeeded_event, second_waits_for_failed_row):
    responses = race(receive, succeeded_event,
                     second_waits_for_failed_row=second_waits_for_failed_row)

    assert sorted((r.status_code, r.content) for r in responses if r.status_code == 200) \
        == [(200, b"processed")]
    assert sorted(r.status_code for r in responses) == [200, 500]
    assert Transaction.objects.charges().count() == 1
    stored = factories.reload(invoice)
    assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
