"""A refund whose answer was lost, that then failed at Stripe (refund.failed
delivered before the retry), must not be recorded as refunded by the retry that Stripe
answers with its replay of the original (succeeded) response."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
import stripe
from django.test import Client

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import ProviderError
from django_carepay.models import Transaction
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, make_event, paid_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def lose_next_answer(monkeypatch, card_backend):
    refunds = get_backend(ALIAS).client.v1.refunds
    real_create = refunds.create
    faults: list[str] = []

    def create(*args, **kwargs):
        refund = real_create(*args, **kwargs)
        if faults and faults.pop(0) == "lose":
            raise stripe.APIConnectionError("connection reset after the refund was made")
        return refund

    monkeypatch.setattr(refunds, "create", create)
    return faults


def test_a_retry_does_not_record_a_refund_that_failed_meanwhile(localstripe, invoice,
                                                                lose_next_answer):
    payment = paid_payment(localstripe, invoice)
    lose_next_answer.append("lose")
    with pytest.raises(ProviderError):
        services.refund_payment(payment, amount="30.00")
    [made] = localstripe.get(f"refunds?payment_intent={payment.provider_reference}")["data"]

    # The refund fails at Stripe (card closed); its refund.failed is delivered and,
    # since carepay never recorded that refund, changes nothing.
    localstripe.set_refund_status(made["id"], "failed")
    failed = {**localstripe.get(f"refunds/{made['id']}"), "status": "failed",
              "failure_reason": "expired_or_canceled_card"}
    assert deliver(Client(), make_event("refund.failed", failed)).status_code == 200
    assert not Transaction.objects.refunds().exists()

    # Staff try again ("the refund did not go through"): same key, Stripe replays.
    # Refusing is acceptable; recording the failed refund is not.
    with contextlib.suppress(ProviderError):
        services.refund_payment(factories.reload(payment), amount="30.00")

    at_stripe = localstripe.get(f"refunds?payment_intent={payment.provider_reference}")["data"]
    really_refunded = sum(Decimal(r["amount"]) / 100 for r in at_stripe
                          if r["status"] not in ("failed", "canceled"))
    stored = factories.reload(payment)
    assert stored.amount_refunded == really_refunded, (
        f"ledger says {stored.amount_refunded} refunded, Stripe refunded {really_refunded}: "
        f"{[(t.provider_reference, t.amount) for t in Transaction.objects.refunds()]}")
