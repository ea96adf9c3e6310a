"""After a Checkout payment's delayed method failed, the payer can pay the invoice by
Checkout again.

Stripe: a session paid with a delayed method (SEPA, Bacs, ...) is ``complete`` with
``payment_status: unpaid``; when the debit fails Stripe sends
``checkout.session.async_payment_failed`` and the session stays ``complete`` /
``unpaid`` for good (it can never be paid nor expired again; its PaymentIntent is
``requires_payment_method`` with a ``last_payment_error``). carepay's failure e-mail
tells the payer to try again, and begin_payment() closes the failed attempt at the
provider first: StripeCheckoutBackend.cancel() sees through the expanded intent that
such a session takes no more money, while one whose debit is still under way
(intent ``processing``) is still refused.

The localstripe stand-in cannot show a failed delayed payment (its session reopens),
so the session is answered as Stripe documents it by wrapping the backend's look-up.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_carepay import services
from django_carepay.exceptions import ProviderError
from django_carepay.models import Payment
from django_carepay.services.payments import CLOSED_AT_PROVIDER
from tests.backends.stripe.support import CHECKOUT_ALIAS, deliver, make_event

pytestmark = pytest.mark.django_db


def _failed_like_stripe(backend: Any, monkeypatch: pytest.MonkeyPatch, session_id: str,
                        localstripe: Any, intent_status: str = "requires_payment_method"
                        ) -> dict[str, Any]:
    """Make Stripe (the backend's look-up) answer ``session_id`` as a complete, unpaid
    session whose intent is ``intent_status`` (by default: its delayed payment
    failed); return that session (unexpanded) for the events."""
    real = type(backend)._session
    intent_id = "pi_failed_debit"

    def failed(session: dict[str, Any], expand: bool) -> dict[str, Any]:
        intent: Any = intent_id
        if expand:
            intent = {"id": intent_id, "object": "payment_intent",
                      "status": intent_status, "amount": 8000,
                      "currency": "gbp", "metadata": session["metadata"]}
            if intent_status != "processing":
                intent["last_payment_error"] = {"code": "payment_method_provider_decline",
                                                "message": "The debit was refused."}
        return {**session, "status": "complete", "payment_status": "unpaid",
                "payment_intent": intent}

    def look_up(self: Any, payment: Payment, *, expand: bool = False) -> Any:
        answer = real(self, payment, expand=expand)
        if payment.provider_reference == session_id:
            return failed(dict(answer.to_dict() if hasattr(answer, "to_dict") else answer),
                          expand)
        return answer

    monkeypatch.setattr(type(backend), "_session", look_up)
    return failed(localstripe.get(f"checkout/sessions/{session_id}"), False)


def test_after_a_failed_delayed_payment_the_payer_can_pay_again(
        checkout_backend, localstripe, invoice, client, monkeypatch):
    first = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    cs = _failed_like_stripe(checkout_backend, monkeypatch, first.provider_reference,
                             localstripe)
    for event_type in ("checkout.session.completed", "checkout.session.async_payment_failed"):
        response = deliver(client, make_event(event_type, cs), alias=CHECKOUT_ALIAS)
        assert response.status_code == 200, response.content
    first.refresh_from_db()
    assert first.status == Payment.Status.FAILED  # the e-mail tells the payer to retry

    # The payer follows "try again": a new Checkout Session must be offered.
    started = services.begin_payment(invoice, backend=CHECKOUT_ALIAS)

    assert started.action is not None and started.action.kind == "redirect"
    assert started.payment.pk != first.pk
    first.refresh_from_db()
    assert first.metadata[CLOSED_AT_PROVIDER] is True  # Stripe is not asked again


@pytest.mark.parametrize("intent_status", ["requires_payment_method", "canceled"])
def test_a_failed_delayed_payment_is_closed(checkout_backend, localstripe, invoice,
                                            monkeypatch, intent_status):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    _failed_like_stripe(checkout_backend, monkeypatch, payment.provider_reference,
                        localstripe, intent_status)

    checkout_backend.cancel(payment)  # nothing to expire, nothing refused


def test_a_debit_still_under_way_is_not_closed(checkout_backend, localstripe, invoice,
                                               monkeypatch):
    payment = services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    _failed_like_stripe(checkout_backend, monkeypatch, payment.provider_reference,
                        localstripe, "processing")

    with pytest.raises(ProviderError, match="still processing"):
        checkout_backend.cancel(payment)
