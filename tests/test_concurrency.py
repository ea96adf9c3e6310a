"""Races, with real threads and real row locks (PostgreSQL only).

Each race is made to really overlap: the first thread to get the invoice's lock
waits, inside a signal receiver and so inside its transaction, until the other
threads are blocked on that lock in PostgreSQL. Only then does it commit, so the
others always run the "someone changed it while I waited" path.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from django_carepay import services, signals
from django_carepay.exceptions import InvalidState
from django_carepay.models import Invoice, InvoiceSequence, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREAD_TIMEOUT = 60


def run_in_threads(count: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``work(i)`` in ``count`` threads released together; return each thread's
    ``("ok", result)`` or ``("error", exception)``."""
    barrier = threading.Barrier(count)
    outcomes: list[tuple[str, Any]] = [("missing", None)] * count

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[i] = ("ok", work(i))
        except Exception as exc:  # handed to the test to assert on
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def blocked_on_locks() -> int:
    """How many other sessions of this database are waiting for a lock."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction and cached; we poll from
        # inside one, so drop the cached copy first.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class HoldUntilBlocked:
    """A receiver action: the first time it runs, it keeps its transaction (and the
    invoice lock) open until ``waiters`` other sessions are blocked on a lock.

    ``overlapped`` tells the test the race really happened; a test asserts it, so a
    race that merely ran one after the other cannot pass by luck.
    """

    def __init__(self, waiters: int) -> None:
        self.waiters = waiters
        self.overlapped = False
        self._first = threading.Event()

    def __call__(self, **kwargs: Any) -> None:
        if self._first.is_set():
            return
        self._first.set()
        deadline = time.monotonic() + 10
        while blocked_on_locks() < self.waiters:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        self.overlapped = True


def errors(outcomes: list[tuple[str, Any]]) -> list[Exception]:
    return [value for kind, value in outcomes if kind == "error"]


def successes(outcomes: list[tuple[str, Any]]) -> list[Any]:
    return [value for kind, value in outcomes if kind == "ok"]


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
