"""A card payment is receipted once, whichever of its webhook (delivered any number of
times) and its return page (visited any number of times) records it first; a declined
one is reported once. The receipt is queued by the code that records the charge, which
the ledger lets run once per charge."""

from __future__ import annotations

import pytest
import stripe
from django.core import mail
from django.urls import reverse

from django_carepay import services
from tests.backends.stripe.support import ALIAS, CARD_DECLINED, deliver, ledger, make_event
from tests.emails.support import kinds, sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def payment(invoice):
    return services.start_payment(invoice, backend=ALIAS)


def intent_event(localstripe, payment, event_type):
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return make_event(event_type, intent)


@pytest.mark.parametrize("order", [
    ("webhook", "webhook", "return page", "return page"),
    ("return page", "webhook", "return page", "webhook"),
    ("return page", "return page", "webhook", "webhook"),
])
def test_one_receipt_for_one_charge(localstripe, client, patient, payment, invoice, order,
                                    django_capture_on_commit_callbacks):
    localstripe.pay(payment.provider_reference)
    event = intent_event(localstripe, payment, "payment_intent.succeeded")
    client.force_login(patient)
    return_page = reverse("carepay:payment_return", args=[payment.public_id])

    with django_capture_on_commit_callbacks(execute=True):
        for step in order:
            if step == "webhook":
                assert deliver(client, event).status_code == 200
            else:
                assert client.get(return_page).status_code == 200

    assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
    assert kinds() == ["payment_receipt"]  # STAFF_NOTIFICATION_EMAILS is empty here
    [receipt] = sent("payment_receipt")
    assert receipt.to == ["ada@example.com"]
    assert receipt.subject == f"Receipt: £80.00 received for {invoice.number}"
    assert f"Invoice {invoice.number} is paid in full." in receipt.body


def test_a_declined_card_is_reported_once(localstripe, client, patient, payment, invoice,
                                          django_capture_on_commit_callbacks):
    with pytest.raises(stripe.CardError):
        localstripe.pay(payment.provider_reference, CARD_DECLINED)
    event = intent_event(localstripe, payment, "payment_intent.payment_failed")
    client.force_login(patient)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, event)
        deliver(client, event)
        client.get(reverse("carepay:payment_return", args=[payment.public_id]))

    [failed] = mail.outbox
    assert failed.subject == f"Your payment for {invoice.number} did not go through"
    assert "Your card was declined." in failed.body
    assert "/billing/link/" in failed.body  # the link to try again
