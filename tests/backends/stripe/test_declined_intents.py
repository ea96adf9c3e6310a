"""Bug 3: a declined PaymentIntent stays payable at Stripe (requires_payment_method),
so at most one payable intent per invoice and backend: the old one is cancelled at
Stripe, synchronously, before another is created."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import ProviderError
from django_carepay.models import Invoice, Payment
from tests import factories
from tests.backends.stripe.support import ALIAS, CARD_DECLINED, deliver, ledger, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


def pay_url(invoice):
    return reverse("carepay:pay", args=[invoice.public_id, ALIAS])


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def declined_and_reported(localstripe, client, invoice):
    """The payer's card is declined and Stripe's payment_failed event is recorded."""
    payment = services.start_payment(invoice, backend=ALIAS)
    with pytest.raises(stripe.CardError):
        localstripe.pay(payment.provider_reference, CARD_DECLINED)
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    assert intent["status"] == "requires_payment_method"  # still payable at Stripe
    assert deliver(client, make_event("payment_intent.payment_failed", intent)).status_code \
        == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    return payment


def payable(localstripe):
    return [pi["id"] for pi in localstripe.get("payment_intents")["data"]
            if pi["status"] in ("requires_payment_method", "requires_confirmation",
                                "requires_action")]


def test_reloading_after_a_reported_decline_leaves_one_payable_intent(
        localstripe, client, patient_client, invoice):
    declined = declined_and_reported(localstripe, client, invoice)

    response = patient_client.get(pay_url(invoice))  # no on-commit callbacks run

    retry = response.context["payment"]
    assert retry.pk != declined.pk
    assert payable(localstripe) == [retry.provider_reference]
    assert localstripe.get(f"payment_intents/{declined.provider_reference}")["status"] \
        == "canceled"
    # Cancelled before the new one was created, not after.
    paths = [r["path"] for r in localstripe.api_requests("POST", "/v1/payment_intents")]
    assert paths.index(f"/v1/payment_intents/{declined.provider_reference}/cancel") \
        < len(paths) - 1
    assert paths[-1] == "/v1/payment_intents"
    # A tab still open on the declined intent cannot take money any more.
    assert localstripe.confirm_as_browser(declined.provider_reference).status_code >= 400
    # Reloading again reuses the new intent and asks Stripe nothing about the old one.
    again = patient_client.get(pay_url(invoice))
    assert again.context["payment"].pk == retry.pk
    assert payable(localstripe) == [retry.provider_reference]


def test_no_new_intent_while_the_declined_one_cannot_be_cancelled(
        localstripe, client, invoice, monkeypatch):
    declined = declined_and_reported(localstripe, client, invoice)
    intents = get_backend(ALIAS).client.v1.payment_intents

    def unreachable(*args, **kwargs):
        raise stripe.APIConnectionError("connection refused")

    monkeypatch.setattr(intents, "cancel", unreachable)

    with pytest.raises(ProviderError, match="could not reach the card processor"):
        services.start_payment(invoice, backend=ALIAS)

    assert payable(localstripe) == [declined.provider_reference]
    assert list(Payment.objects.filter(invoice=invoice)) == [declined]


def test_a_declined_intent_paid_with_another_card_meanwhile_is_recorded_not_doubled(
        localstripe, client, patient_client, invoice):
    declined = declined_and_reported(localstripe, client, invoice)
    # The payer tried again in the old tab, with a good card, and closed it.
    localstripe.confirm_as_browser(declined.provider_reference).raise_for_status()

    response = patient_client.get(pay_url(invoice), follow=True)

    assert response.status_code == 200
    assert [pi["id"] for pi in localstripe.get("payment_intents")["data"]] == [
        declined.provider_reference]
    assert ledger(invoice) == [("charge", Decimal("80.00"), declined.provider_reference)]
    assert factories.reload(invoice).status == Invoice.Status.PAID


def test_cancel_abandoned_payments_closes_a_declined_intent_at_stripe(localstripe, client,
                                                                      invoice):
    declined = declined_and_reported(localstripe, client, invoice)
    Payment.objects.filter(pk=declined.pk).update(
        updated_at=timezone.now() - timedelta(days=2))

    services.cancel_abandoned_payments(older_than=timedelta(hours=24))

    assert localstripe.get(f"payment_intents/{declined.provider_reference}")["status"] \
        == "canceled"
    assert payable(localstripe) == []
    assert factories.reload(declined).status == Payment.Status.FAILED
    # Done once: the next run does not ask Stripe again.
    before = len(localstripe.api_requests())
    services.cancel_abandoned_payments(older_than=timedelta(hours=24))
    assert len(localstripe.api_requests()) == before
