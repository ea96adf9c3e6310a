"""Races, with real threads and real row locks (PostgreSQL only).

Each race is made to really overlap: the first thread to get the invoice's lock
waits, inside a signal receiver and so inside its transaction, until the other
threads are blocked on that lock in PostgreSQL. Only then does it commit, so the
others always run the "someone changed it while I waited" path.
"""

from __future__ import annotations

import queue
import threading
from decimal import Decimal

import pytest
from django.utils import timezone

from django_carepay import services, signals
from django_carepay.backends.dummy import DummyBackend
from django_carepay.exceptions import InvalidState
from django_carepay.models import Invoice, InvoiceSequence, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

def test_numbers_stay_unique_and_gapless_under_concurrent_issuing():
    year = timezone.localdate().year
    drafts: queue.Queue[Invoice] = queue.Queue()
    for _ in range(200):
        drafts.put(factories.make_invoice(issue=False))

    def issue_until_done(i: int) -> int:
        issued = 0
        while True:
            try:
                draft = drafts.get_nowait()
            except queue.Empty:
                return issued
            services.issue_invoice(draft)
            issued += 1

    outcomes = run_in_threads(8, issue_until_done)

    assert errors(outcomes) == []
    assert sum(successes(outcomes)) == 200
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{year}-{seq:05d}" for seq in range(1, 201)]
    assert InvoiceSequence.objects.get(prefix="INV", year=year).last_value == 200


def test_staff_recording_the_full_amount_at_once_take_it_once(receive, staff):
    invoice = factories.make_invoice(subject=factories.make_appointment())
    hold = HoldUntilBlocked(3)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)

    outcomes = run_in_threads(4, lambda i: services.record_payment(
        invoice, backend="cash", amount=Decimal("80.00"), by=staff))

    assert hold.overlapped
    assert len(successes(outcomes)) == 1
    assert [type(exc) for exc in errors(outcomes)] == [InvalidState] * 3
    assert all("is paid" in str(exc) for exc in errors(outcomes))
    assert Transaction.objects.charges().count() == 1
    assert Payment.objects.count() == 1
    stored = factories.reload(invoice)
    assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))
    assert succeeded.count == 1



def race_two_full_refunds(receive, backend):
    """Two members of staff refund the whole of one £80 payment at the same moment."""
    invoice = factories.make_invoice(subject=factories.make_appointment())
    if backend == "cash":
        payment = factories.pay_cash(invoice)
    else:
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment))
    hold = HoldUntilBlocked(1)
    refunded = receive(signals.payment_refunded, sender=Appointment, action=hold)
    outcomes = run_in_threads(2, lambda i: services.refund_payment(
        payment, amount=Decimal("80.00")))
    assert hold.overlapped
    return invoice, payment, refunded, outcomes


@pytest.mark.parametrize("backend", ["cash", "online"])
def test_two_refunds_of_the_full_amount_refund_once(receive, backend):
    invoice, payment, refunded, outcomes = race_two_full_refunds(receive, backend)

    assert Transaction.objects.refunds().count() == 1
    assert refunded.count == 1
    stored = factories.reload(payment)
    assert (stored.status, stored.amount_refunded) == (Payment.Status.REFUNDED,
                                                       Decimal("80.00"))
    assert factories.reload(invoice).status == Invoice.Status.REFUNDED
    refund = Transaction.objects.refunds().get()
    # The loser is refused, or (same idempotency key at the provider) handed the
    # very refund the winner recorded; either way no money moves twice.
    assert all(txn.pk == refund.pk for txn in successes(outcomes))
    assert len(errors(outcomes)) == 2 - len(successes(outcomes))


def test_the_losing_refund_is_told_there_is_nothing_left(receive):
    _invoice, _payment, _refunded, outcomes = race_two_full_refunds(receive, "cash")

    assert len(successes(outcomes)) == 1
    assert [type(exc) for exc in errors(outcomes)] == [InvalidState]


def race_the_same_success(receive):
    """A webhook and the return page report the same charge at the same moment."""
    invoice = factories.make_invoice(subject=factories.make_appointment())
    payment = factories.start_online(invoice)
    update = factories.provider_update(payment)
    hold = HoldUntilBlocked(1)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)
    outcomes = run_in_threads(2, lambda i: services.apply_provider_update(update))
    assert hold.overlapped
    return invoice, payment, succeeded, outcomes


def test_the_same_success_reported_twice_at_once_is_credited_once(receive):
    invoice, _payment, succeeded, _outcomes = race_the_same_success(receive)

    assert Transaction.objects.charges().count() == 1
    assert succeeded.count == 1
    stored = factories.reload(invoice)
    assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))


def test_the_same_success_reported_twice_at_once_is_answered_normally_twice(receive):
    _invoice, payment, _succeeded, outcomes = race_the_same_success(receive)

    assert errors(outcomes) == []
    assert [p.pk for p in successes(outcomes)] == [payment.pk, payment.pk]


class HoldingDummyBackend(DummyBackend):
    """A provider whose start() is slow: it keeps start_payment's transaction (and the
    invoice lock) open until another session waits for that lock."""

    hold: HoldUntilBlocked | None = None
    entered = threading.Event()

    def start(self, payment, request):
        if HoldingDummyBackend.hold is not None:
            HoldingDummyBackend.entered.set()  # the invoice lock is held from here
            HoldingDummyBackend.hold()
        return super().start(payment, request)


def test_a_payment_started_while_the_invoice_settles_is_cancelled(settings):
    """The webhook waits for the invoice lock while a payer starts another method; the
    pending payment created meanwhile must still be cancelled when the invoice settles."""
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {
        **settings.CAREPAY["BACKENDS"],
        "wallet": {"BACKEND": f"{__name__}.HoldingDummyBackend"}}}
    invoice = factories.make_invoice(subject=factories.make_appointment())
    card = factories.start_online(invoice)
    HoldingDummyBackend.hold = HoldUntilBlocked(1)
    HoldingDummyBackend.entered.clear()
    try:
        def work(i):
            if i == 0:
                return services.start_payment(invoice, backend="wallet")
            assert HoldingDummyBackend.entered.wait(timeout=10)  # the payer is first
            return services.apply_provider_update(factories.provider_update(card))

        outcomes = run_in_threads(2, work)
        assert HoldingDummyBackend.hold.overlapped
    finally:
        HoldingDummyBackend.hold = None

    assert errors(outcomes) == []
    wallet = Payment.objects.get(invoice=invoice, backend="wallet")
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert wallet.status == Payment.Status.CANCELLED
