"""Bug 3 under a race: Stripe's payment_failed delivery and the payer reloading the
pay page at once, in both orders; one payable intent at the end either way.
Real threads and row locks (PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from django_carepay import services, signals
from django_carepay.models import Payment
from tests.backends.stripe.support import ALIAS, CARD_DECLINED, deliver, make_event
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("card_backend")]


@pytest.mark.parametrize("first", ["webhook", "reload"])
def test_a_decline_reported_while_the_payer_reloads_leaves_one_payable_intent(
        receive, localstripe, patient, invoice, first):
    declined = services.start_payment(invoice, backend=ALIAS)
    with pytest.raises(stripe.CardError):
        localstripe.pay(declined.provider_reference, CARD_DECLINED)
    event = make_event("payment_intent.payment_failed",
                       localstripe.get(f"payment_intents/{declined.provider_reference}"))
    payer = Client(raise_request_exception=False)
    payer.force_login(patient)
    hold = HoldUntilBlocked(1)
    holding = threading.Event()

    def hold_first(**kwargs):
        holding.set()
        hold(**kwargs)

    receive(signals.payment_failed, sender=Appointment, action=hold_first)

    def webhook():
        return deliver(Client(raise_request_exception=False), event)

    def reload():
        return payer.get(reverse("carepay:pay", args=[invoice.public_id, ALIAS]))

    order = [webhook, reload] if first == "webhook" else [reload, webhook]

    def work(i):
        if i == 1:
            assert holding.wait(timeout=10)  # the first one holds the invoice lock
        return order[i]()

    outcomes = run_in_threads(2, work)

    assert hold.overlapped
    assert errors(outcomes) == []
    assert [r.status_code for r in successes(outcomes)] == [200, 200]
    payable = [pi["id"] for pi in localstripe.get("payment_intents")["data"]
               if pi["status"] == "requires_payment_method"]
    retry = Payment.objects.get(invoice=invoice, status=Payment.Status.PENDING)
    assert payable == [retry.provider_reference]
    assert Payment.objects.get(pk=declined.pk).status == Payment.Status.FAILED
