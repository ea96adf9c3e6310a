"""A Checkout payment that is processing (a delayed method: a SEPA or Bacs debit under
way, its session ``complete`` + ``unpaid``) blocks a second attempt: no second Checkout
Session for the whole amount due is opened, so the payer is not charged twice once the
debit clears. begin_payment() refuses it (InvalidState) before asking Stripe anything.

localstripe has no delayed methods, so Stripe's answer for the first session
(complete / unpaid, its intent processing) is given by wrapping the backend's look-up.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_carepay import services
from django_carepay.exceptions import InvalidState
from django_carepay.models import Payment
from tests.backends.stripe.support import CHECKOUT_ALIAS, deliver, make_event

pytestmark = pytest.mark.django_db


def test_no_second_session_while_the_first_is_processing(checkout_backend, localstripe,
                                                          invoice, client, monkeypatch):
    first = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    debit = "pi_debit_under_way"

    def processing(session: dict[str, Any], expand: bool) -> dict[str, Any]:
        intent: Any = {"id": debit, "object": "payment_intent", "status": "processing",
                       "amount": 8000, "currency": "gbp",
                       "metadata": session["metadata"]} if expand else debit
        return {**session, "status": "complete", "payment_status": "unpaid",
                "payment_intent": intent}

    real = type(checkout_backend)._session

    def look_up(self: Any, payment: Payment, *, expand: bool = False) -> Any:
        answer = real(self, payment, expand=expand)
        if payment.provider_reference == first.provider_reference:
            return processing(dict(answer.to_dict()), expand)
        return answer

    monkeypatch.setattr(type(checkout_backend), "_session", look_up)
    unpaid = processing(localstripe.get(f"checkout/sessions/{first.provider_reference}"),
                        False)
    response = deliver(client, make_event("checkout.session.completed", unpaid),
                       alias=CHECKOUT_ALIAS)
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.status == Payment.Status.PROCESSING

    # The payer comes back (or reloads an old pay page): refused, nothing at Stripe.
    with pytest.raises(InvalidState, match="still being processed"):
        services.begin_payment(invoice, backend=CHECKOUT_ALIAS)

    creates = [r for r in localstripe.api_requests("POST", "/v1/checkout/sessions")
               if r["path"].endswith("/sessions")]
    assert len(creates) == 1, "a second Checkout Session for the full amount was " \
        "opened while the first payment is still processing"
    assert list(invoice.payments.values_list("pk", flat=True)) == [first.pk]
