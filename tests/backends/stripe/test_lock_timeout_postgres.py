"""Bug 7: a request waiting for an invoice that another request holds while it talks
to Stripe gives up with a clear error (PostgreSQL lock_timeout), rather than hanging
for as long as Stripe takes. Real threads, real row locks (PostgreSQL only)."""

from __future__ import annotations

import threading

import pytest

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import InvoiceBusy
from django_carepay.models import Payment
from tests.backends.stripe.support import ALIAS, carepay_with_card
from tests.threads import blocked_on_locks, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_second_request_gives_up_waiting_for_an_invoice_held_during_a_stripe_call(
        settings, localstripe, invoice, monkeypatch):
    settings.CAREPAY = carepay_with_card(localstripe.url, lock_timeout=0.5)
    intents = get_backend(ALIAS).client.v1.payment_intents
    real_create = intents.create
    in_stripe_call, second_done = threading.Event(), threading.Event()
    overlapped = []

    def slow_create(*args, **kwargs):
        # Stripe is slow to answer the first request; the invoice lock is held.
        in_stripe_call.set()
        while not second_done.is_set():
            if blocked_on_locks():
                overlapped.append(True)
            second_done.wait(timeout=0.01)
        return real_create(*args, **kwargs)

    monkeypatch.setattr(intents, "create", slow_create)

    def work(i):
        if i == 0:
            return services.start_payment(invoice, backend=ALIAS)
        assert in_stripe_call.wait(timeout=10)
        try:
            return services.start_payment(invoice, backend=ALIAS)
        finally:
            second_done.set()

    outcomes = run_in_threads(2, work)

    assert overlapped  # the second request really waited for the lock
    [busy] = errors(outcomes)
    assert isinstance(busy, InvoiceBusy)
    assert "try again in a minute" in str(busy)
    [started] = successes(outcomes)
    assert [p.pk for p in Payment.objects.filter(invoice=invoice)] == [started.pk]
    assert len(localstripe.get("payment_intents")["data"]) == 1
