"""Two staff refunding the same cart line at once (real threads, PostgreSQL): one
refund, and both are handed it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.models import Transaction
from tests import factories
from tests.testapp.models import Seat
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_refunding_one_line_twice_at_once_refunds_it_once(receive, staff):
    seats = [Seat.objects.create(label="A"), Seat.objects.create(label="B")]
    invoice = factories.make_invoice(lines=[
        {"description": f"Seat {s.label}", "unit_price": "25.00", "subject": s}
        for s in seats])
    factories.pay_cash(invoice)
    line = invoice.lines.get(position=0)
    hold = HoldUntilBlocked(2)
    refunded = receive(signals.payment_refunded, sender=Seat, action=hold)

    outcomes = run_in_threads(3, lambda i: services.refund_line(line, by=staff))

    assert hold.overlapped
    assert errors(outcomes) == []
    assert len({txn.pk for txn in successes(outcomes)}) == 1
    refunds = Transaction.objects.filter(kind=Transaction.Kind.REFUND)
    assert list(refunds.values_list("amount", flat=True)) == [Decimal("25.00")]
    assert refunded.count == 1
