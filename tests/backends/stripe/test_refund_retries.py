"""A refund retried after its answer was lost is the same refund at Stripe, even when
Stripe's webhook recorded it in between (found in review)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe
from django.test import Client

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import ProviderError
from django_carepay.models import Transaction
from tests.backends.stripe.support import ALIAS, deliver, make_event, paid_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def refunds_api(monkeypatch, card_backend):
    """Records the idempotency key of every refund request; a queued "lose" fault makes
    Stripe do the refund and the answer never arrive."""
    refunds = get_backend(ALIAS).client.v1.refunds
    real_create = refunds.create
    keys: list[str] = []
    faults: list[str] = []

    def create(*args, **kwargs):
        keys.append(kwargs["options"]["idempotency_key"])
        fault = faults.pop(0) if faults else None
        refund = real_create(*args, **kwargs)
        if fault == "lose":
            raise stripe.APIConnectionError("connection reset after the refund was made")
        return refund

    monkeypatch.setattr(refunds, "create", create)
    return keys, faults


def at_stripe(localstripe, payment):
    return localstripe.get(f"refunds?payment_intent={payment.provider_reference}")["data"]


def test_a_lost_answer_recorded_by_the_webhook_then_retried_refunds_once(
        localstripe, invoice, refunds_api):
    keys, faults = refunds_api
    payment = paid_payment(localstripe, invoice)
    faults.append("lose")
    with pytest.raises(ProviderError):
        services.refund_payment(payment, amount="30.00")
    [made] = at_stripe(localstripe, payment)
    assert deliver(Client(), make_event("refund.updated", made)).status_code == 200
    [recorded] = Transaction.objects.refunds()

    again = services.refund_payment(payment, amount="30.00")  # "try again in a minute"

    assert keys[0] == keys[1]  # the same request, so Stripe answers with the same refund
    assert len(at_stripe(localstripe, payment)) == 1
    assert again == recorded  # the retry reports the refund the webhook recorded
    assert list(Transaction.objects.refunds()) == [recorded]
    assert payment.__class__.objects.get(pk=payment.pk).amount_refunded == Decimal("30.00")


def test_after_a_recorded_refund_the_next_refund_is_a_new_request(localstripe, invoice,
                                                                   refunds_api):
    keys, _faults = refunds_api
    payment = paid_payment(localstripe, invoice)

    services.refund_payment(payment, amount="30.00")
    services.refund_payment(payment, amount="30.00")

    assert keys[0] != keys[1]
    assert len(at_stripe(localstripe, payment)) == 2
    assert Transaction.objects.refunds().count() == 2


@pytest.mark.usefixtures("refunds_api")
def test_a_dashboard_refund_recorded_by_webhook_does_not_replay_into_ours(
        localstripe, invoice):
    """A refund made in Stripe's dashboard (not by carepay) is recorded by its webhook;
    a later carepay refund is a new request that makes its own refund."""
    payment = paid_payment(localstripe, invoice)
    dashboard = localstripe.client.v1.refunds.create(
        {"payment_intent": payment.provider_reference, "amount": 1000})
    assert deliver(Client(), make_event(
        "refund.updated", localstripe.get(f"refunds/{dashboard.id}"))).status_code == 200

    services.refund_payment(payment, amount="30.00")

    assert len(at_stripe(localstripe, payment)) == 2
    assert sorted(t.amount for t in Transaction.objects.refunds()) == [
        Decimal("10.000"), Decimal("30.000")]
