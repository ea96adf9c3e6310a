"""A debit that failed at Stripe, whose failure's webhook is late, does not lock the
payer out: begin_payment asks the provider about the invoice's processing payments
before they block a new attempt, as it asks about pending ones.

localstripe has no delayed methods: Stripe's answer for the first session is given by
wrapping the backend's look-up (as test_processing_blocks_a_second_attempt does).
"""

from __future__ import annotations

from typing import Any

import pytest

from django_carepay import services
from django_carepay.models import Payment
from tests.backends.stripe.support import CHECKOUT_ALIAS, deliver, make_event

pytestmark = pytest.mark.django_db


def test_a_debit_that_failed_at_stripe_does_not_lock_the_payer_out(
        checkout_backend, localstripe, invoice, client, monkeypatch):
    first = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    state = {"intent": "processing"}

    def answer(session: dict[str, Any], expand: bool) -> dict[str, Any]:
        intent: Any = {"id": "pi_debit", "object": "payment_intent",
                       "status": state["intent"], "amount": 8000, "currency": "gbp",
                       "metadata": session["metadata"]} if expand else "pi_debit"
        return {**session, "status": "complete", "payment_status": "unpaid",
                "payment_intent": intent}

    real = type(checkout_backend)._session

    def look_up(self: Any, payment: Payment, *, expand: bool = False) -> Any:
        found = real(self, payment, expand=expand)
        if payment.provider_reference == first.provider_reference:
            return answer(dict(found.to_dict()), expand)
        return found

    monkeypatch.setattr(type(checkout_backend), "_session", look_up)
    unpaid = answer(localstripe.get(f"checkout/sessions/{first.provider_reference}"), False)
    assert deliver(client, make_event("checkout.session.completed", unpaid),
                   alias=CHECKOUT_ALIAS).status_code == 200
    first.refresh_from_db()
    assert first.status == Payment.Status.PROCESSING

    # Days later the debit is returned: Stripe's intent needs another payment method;
    # async_payment_failed has not reached us yet.
    state["intent"] = "requires_payment_method"

    started = services.begin_payment(invoice, backend=CHECKOUT_ALIAS)  # InvalidState now

    first.refresh_from_db()
    assert first.status == Payment.Status.FAILED
    assert started.payment.pk != first.pk and started.action is not None
