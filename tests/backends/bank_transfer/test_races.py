"""Staff deciding on the same transfer at the same moment (PostgreSQL, real threads).

The first decision to take the invoice's lock waits, inside a signal receiver and so
inside its transaction, until the other session is blocked on that lock; only then
does it commit, so the other always decides on a payment that changed while it
waited. A host receiver grants "credits" on commit (as a SaaS activating an account
would): they must be granted at most once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from django_carepay import services, signals
from django_carepay.exceptions import AlreadyDecided
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import REASON, make_approver, submit
from tests.testapp.models import Appointment
from tests.threads import (
    THREAD_TIMEOUT,
    HoldUntilBlocked,
    errors,
    run_in_threads,
    successes,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

#: Payments whose approval granted the host's credits, appended only on commit.
CREDITS_GRANTED: list[int] = []


def grant_credits(*, payment: Payment, **kwargs: Any) -> None:
    transaction.on_commit(lambda: CREDITS_GRANTED.append(payment.pk))


@pytest.fixture(autouse=True)
def credits(receive) -> Iterator[list[int]]:
    CREDITS_GRANTED.clear()
    receive(signals.payment_approved, sender=Appointment, action=grant_credits)
    yield CREDITS_GRANTED
    CREDITS_GRANTED.clear()


def first_then_second(receive, hold_on, first: Callable[[], Any],
                      second: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run ``first`` and ``second`` in two threads: ``second`` starts once ``first``
    is inside ``hold_on``'s receivers (holding the invoice lock), and ``first``
    commits once ``second`` is blocked on that lock (asserted)."""
    inside = threading.Event()
    hold = HoldUntilBlocked(1)

    def hold_the_lock(**kwargs: Any) -> None:
        inside.set()
        hold(**kwargs)

    receive(hold_on, sender=Appointment, action=hold_the_lock)

    def work(i: int) -> Any:
        if i == 0:
            return first()
        assert inside.wait(THREAD_TIMEOUT), "the first decision never took the lock"
        return second()

    outcomes = run_in_threads(2, work)
    assert hold.overlapped, "the second decision never waited for the first"
    return outcomes


def approve(payment, by):
    return lambda: services.approve_payment(payment, by=by)


def reject(payment, by):
    return lambda: services.reject_payment(payment, by=by, notes=REASON)


class TestApproveAndRejectRacing:
    @pytest.fixture
    def payment(self, invoice, patient):
        return submit(invoice, by=patient)

    def race(self, receive, payment, approver, second_approver, winner):
        if winner == "approve":
            return first_then_second(receive, signals.payment_approved,
                                     approve(payment, approver),
                                     reject(payment, second_approver))
        return first_then_second(receive, signals.payment_rejected,
                                 reject(payment, approver),
                                 approve(payment, second_approver))

    @pytest.mark.parametrize("winner", ["approve", "reject"])
    def test_exactly_one_decision_stands(self, receive, payment, invoice, approver,
                                         second_approver, credits, winner):
        approved = receive(signals.payment_approved, sender=Appointment)
        rejected = receive(signals.payment_rejected, sender=Appointment)

        outcomes = self.race(receive, payment, approver, second_approver, winner)

        assert outcomes[0][0] == "ok" and outcomes[1][0] == "error"
        stored = factories.reload(payment)
        assert stored.decided_by == approver
        stored_invoice = factories.reload(invoice)
        if winner == "approve":
            assert stored.status == Payment.Status.SUCCEEDED
            assert Transaction.objects.charges().count() == 1
            assert stored_invoice.status == Invoice.Status.PAID
            assert credits == [payment.pk]
            assert (approved.count, rejected.count) == (1, 0)
        else:
            assert stored.status == Payment.Status.FAILED
            assert not Transaction.objects.exists()
            assert stored_invoice.status == Invoice.Status.OPEN
            assert credits == []
            assert (approved.count, rejected.count) == (0, 1)

    @pytest.mark.parametrize("winner", ["approve", "reject"])
    def test_the_loser_is_told_it_was_already_decided(self, receive, payment, approver,
                                                      second_approver, winner):
        outcomes = self.race(receive, payment, approver, second_approver, winner)

        [loser] = errors(outcomes)
        assert isinstance(loser, AlreadyDecided)
        verb = "approved" if winner == "approve" else "rejected"
        assert f"already {verb} by partner" in str(loser)


class TestApprovalsRacing:
    @pytest.fixture
    def approvers(self, approver, second_approver):
        return [approver, second_approver, make_approver("director"), make_approver("nurse")]

    @pytest.mark.parametrize("count", [2, 4])
    def test_the_same_payment_is_charged_and_credited_once(
            self, receive, invoice, patient, approvers, credits, count):
        payment = submit(invoice, by=patient)
        hold = HoldUntilBlocked(count - 1)
        succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)

        outcomes = run_in_threads(count, lambda i: services.approve_payment(
            payment, by=approvers[i]))

        assert hold.overlapped
        assert len(successes(outcomes)) == 1
        assert len(errors(outcomes)) == count - 1
        assert Transaction.objects.charges().count() == 1
        stored = factories.reload(payment)
        assert (stored.status, stored.amount_received) == (Payment.Status.SUCCEEDED,
                                                           Decimal("80.00"))
        stored_invoice = factories.reload(invoice)
        assert (stored_invoice.status, stored_invoice.amount_paid) == (
            Invoice.Status.PAID, Decimal("80.00"))
        assert succeeded.count == 1
        assert credits == [payment.pk]

    def test_the_losing_approval_is_told_who_approved(self, receive, invoice, patient,
                                                      approver, second_approver):
        payment = submit(invoice, by=patient)
        hold = HoldUntilBlocked(1)
        receive(signals.payment_succeeded, sender=Appointment, action=hold)

        outcomes = run_in_threads(2, lambda i: services.approve_payment(
            payment, by=[approver, second_approver][i]))

        assert hold.overlapped
        [loser] = errors(outcomes)
        assert isinstance(loser, AlreadyDecided)

    def test_two_transfers_for_one_invoice_are_both_recorded(
            self, receive, invoice, patient, approver, second_approver, credits):
        # The payer paid twice (or two family members paid): money received is
        # recorded, never dropped, and the invoice is flagged for a refund, when staff
        # record the overpayment on purpose (else the second approval is refused:
        # test_overpayment_guard). (The same reference twice would be one submission.)
        first = submit(invoice, by=patient)
        second = submit(invoice, by=patient, reference="BT-SECOND")
        paid = receive(signals.invoice_paid, sender=Appointment)
        hold = HoldUntilBlocked(1)
        receive(signals.payment_succeeded, sender=Appointment, action=hold)

        outcomes = run_in_threads(2, lambda i: services.approve_payment(
            [first, second][i], by=[approver, second_approver][i], allow_overpayment=True))

        assert hold.overlapped
        assert errors(outcomes) == []
        assert Transaction.objects.charges().count() == 2
        stored = factories.reload(invoice)
        assert (stored.status, stored.amount_paid, stored.amount_due) == (
            Invoice.Status.PAID, Decimal("160.00"), Decimal("-80.00"))
        assert list(Invoice.objects.needing_refund()) == [stored]
        assert paid.count == 1
        assert sorted(credits) == sorted([first.pk, second.pk])
