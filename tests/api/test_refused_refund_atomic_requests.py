"""Under ATOMIC_REQUESTS (a common host setting), the API's refusal handler
rolls the request back, and with it the count of refund refusals that refund_payment
commits so that the next attempt sends a new idempotency key. The next refund then
reuses the refused request's key, which Stripe answers with the cached refusal for
24 hours: the payer cannot be refunded through the API meanwhile."""

from __future__ import annotations

import pytest
from django.db import connection

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.types import RefundResult, RefundStatus
from tests import factories
from tests.api.conftest import api

pytestmark = pytest.mark.django_db


def test_a_refusal_through_the_api_still_changes_the_next_key(approver_client, gb_invoice,
                                                              monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    payment = factories.start_online(gb_invoice)
    services.apply_provider_update(factories.provider_update(payment))
    backend = get_backend("online")
    keys: list[str] = []
    answers = ["refuse", "ok"]

    def refund(payment, amount, *, idempotency_key):
        keys.append(idempotency_key)
        if answers.pop(0) == "refuse":
            return RefundResult(status=RefundStatus.FAILED, amount=amount,
                                currency=payment.currency, provider_reference="re_refused",
                                failure_message="charge_disputed")
        return RefundResult(status=RefundStatus.SUCCEEDED, amount=amount,
                            currency=payment.currency, provider_reference="re_ok")

    monkeypatch.setattr(backend, "refund", refund)
    url = api("payment_refund", payment.public_id)

    first = approver_client.post(url, {"amount": "30.00"}, content_type="application/json")
    assert first.status_code == 409 and first.json()["code"] == "provider_refused"
    approver_client.post(url, {"amount": "30.00"}, content_type="application/json")

    assert keys[0] != keys[1], (
        "the refused request's idempotency key was sent again: Stripe would replay the "
        "refusal (the refusal count was rolled back with the request)")
