"""A Checkout start whose answer was lost is retried with the same idempotency key and
the same parameters, ``expires_after`` set or not.

The payment row rolls back with the lost answer; the retry derives the same ids
(services._attempt_ids) and must send the same request, since Stripe refuses a key
reused with other parameters (400 idempotency_error, for 24 hours). ``expires_at`` is
therefore rounded to a step (sessions.session_expiry) and named in the key: a retry
within the step is the same request, one after it a new key. (localstripe's launcher
replays by key without comparing parameters, so the request log is compared here, as
test_lost_answers.py does for PaymentIntents.)
"""

from __future__ import annotations

import copy

import pytest
from django.test import override_settings

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.backends.stripe import sessions as sessions_module
from django_carepay.backends.stripe.sessions import (
    EXPIRY_MARGIN,
    EXPIRY_STEP,
    MAX_EXPIRES_AFTER,
    MIN_EXPIRES_AFTER,
    session_expiry,
)
from django_carepay.models import Payment
from tests.backends.stripe.support import CHECKOUT_ALIAS, carepay_with_checkout

pytestmark = pytest.mark.django_db

#: A moment 100 seconds into an expiry step (Unix time).
NOW = 1_795_000_000 // EXPIRY_STEP * EXPIRY_STEP + 100


class LostAnswer(Exception):
    """The connection dropped after Stripe had made the session."""


def _start_losing_the_first_answer(localstripe, invoice, monkeypatch, *, clicks, **options):
    """Start a Checkout payment at each of ``clicks`` (Unix times), the first answer
    lost; return what each create request sent."""
    with override_settings(CAREPAY=carepay_with_checkout(localstripe.url, **options)):
        sessions = get_backend(CHECKOUT_ALIAS).client.v1.checkout.sessions
        real_create, sent, lose = sessions.create, [], [True]

        def create(*args, **kwargs):
            sent.append(copy.deepcopy(kwargs))
            made = real_create(*args, **kwargs)
            if lose[0]:
                lose[0] = False
                raise LostAnswer("connection reset after the session was created")
            return made

        monkeypatch.setattr(sessions, "create", create)
        first, *retries = clicks
        monkeypatch.setattr(sessions_module.time, "time", lambda: first)
        with pytest.raises(LostAnswer):
            services.start_payment(invoice, backend=CHECKOUT_ALIAS)
        assert not Payment.objects.filter(invoice=invoice).exists()  # rolled back
        for moment in retries:  # the payer clicks "Pay" again
            monkeypatch.setattr(sessions_module.time, "time", lambda moment=moment: moment)
            services.start_payment(invoice, backend=CHECKOUT_ALIAS)
    return sent


@pytest.mark.parametrize("options", [{"expires_after": 3600}, {}], ids=["expiry", "default"])
def test_a_lost_session_answer_is_retried_with_the_same_parameters(localstripe, invoice,
                                                                   monkeypatch, options):
    first, retry = _start_losing_the_first_answer(localstripe, invoice, monkeypatch,
                                                  clicks=[NOW, NOW + 2], **options)

    assert retry["options"]["idempotency_key"] == first["options"]["idempotency_key"]
    assert retry["params"] == first["params"], (
        "same idempotency key, other parameters: Stripe refuses the retry (400)")


def test_a_retry_in_the_next_step_sends_a_new_key(localstripe, invoice, monkeypatch):
    first, retry = _start_losing_the_first_answer(
        localstripe, invoice, monkeypatch, clicks=[NOW, NOW + EXPIRY_STEP], expires_after=3600)

    assert retry["params"]["expires_at"] == first["params"]["expires_at"] + EXPIRY_STEP
    assert retry["options"]["idempotency_key"] != first["options"]["idempotency_key"]
    assert retry["options"]["idempotency_key"].endswith(f"-{retry['params']['expires_at']}")


@pytest.mark.parametrize("expires_after", [MIN_EXPIRES_AFTER, 3600, 85_000, 85_900,
                                           MAX_EXPIRES_AFTER])
def test_the_expiry_is_in_stripes_window_and_one_per_step(expires_after):
    step_start = NOW - 100
    moments = [step_start + s + f for s in range(0, EXPIRY_STEP, 7) for f in (0, 0.999)]
    expiries = {session_expiry(expires_after, now) for now in moments}

    assert len(expiries) == 1  # every moment of a step: the same expires_at
    (at,) = expiries
    for now in moments:
        # Stripe's window, with room for the trip and the clocks...
        assert MIN_EXPIRES_AFTER + EXPIRY_MARGIN < at - now <= MAX_EXPIRES_AFTER - EXPIRY_MARGIN
        # ... and about as long as asked.
        assert abs(at - now - expires_after) <= EXPIRY_STEP + EXPIRY_MARGIN
    if expires_after <= MAX_EXPIRES_AFTER - 2 * EXPIRY_STEP:
        assert all(at - now >= expires_after for now in moments)  # never shorter
