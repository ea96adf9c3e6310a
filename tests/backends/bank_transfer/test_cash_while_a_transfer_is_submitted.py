"""Cash recorded at the desk while the payer is submitting a transfer
(PostgreSQL, real threads).

``record_payment`` refuses money that would overpay the invoice once the transfers
awaiting approval are approved (``WouldOverpay``, override ``allow_pending_transfers``).
It reads those transfers in the same statement that takes the invoice's row lock
(``_lock_invoice(awaiting_total=True)``: a correlated subquery in the
``SELECT ... FOR UPDATE``). PostgreSQL evaluates that subquery in the statement's
snapshot, taken *before* the lock wait; ``submit_transfer`` only locks the invoice
(it never updates its row), so no EvalPlanQual re-read happens either. A transfer
committed while the cash waited for the lock is therefore not seen, and the cash is
recorded without a word: both the guard and its override are bypassed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.exceptions import WouldOverpay
from django_carepay.models import Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import submit
from tests.backends.bank_transfer.test_races import first_then_second

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_cash_waiting_for_a_transfer_submission_sees_the_transfer(receive, invoice, patient,
                                                                  staff):
    outcomes = first_then_second(
        receive, signals.payment_submitted,
        lambda: submit(invoice, by=patient),  # £80 transfer, holds the invoice lock
        lambda: services.record_payment(invoice, backend="cash", by=staff),  # £80 cash
    )

    assert outcomes[0][0] == "ok"  # the transfer was submitted
    # The cash must be refused exactly as it is when it comes a moment later.
    kind, value = outcomes[1]
    assert kind == "error" and isinstance(value, WouldOverpay), (
        f"cash recorded although a £80 transfer awaits approval: {outcomes[1]!r}; "
        f"charges={list(Transaction.objects.values_list('amount', flat=True))}")
    assert not Transaction.objects.exists()
    assert factories.reload(invoice).amount_paid == Decimal("0.00")
    assert Payment.objects.filter(status=Payment.Status.AWAITING_APPROVAL).count() == 1


def test_sequentially_the_same_cash_is_refused(invoice, patient, staff):
    """The contract the race breaks (passes today)."""
    submit(invoice, by=patient)
    with pytest.raises(WouldOverpay):
        services.record_payment(invoice, backend="cash", by=staff)
