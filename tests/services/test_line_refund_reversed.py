"""A line refund that failed at the provider must not block refunding the line."""

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.models import Payment, Transaction
from tests import factories
from tests.testapp.models import Seat

pytestmark = pytest.mark.django_db


def test_a_line_whose_refund_failed_can_be_refunded_again(patient):
    seat = Seat.objects.create(label="Seat A")
    invoice = factories.make_invoice(customer=patient, lines=[
        {"description": "Lesson", "unit_price": "80.00"},
        {"description": "Workshop seat A", "unit_price": "25.00", "subject": seat},
    ])
    payment = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(payment))
    line = invoice.lines.get(position=1)

    first = services.refund_line(line)
    # The provider accepted the refund, then it failed: the money is back with us.
    services.apply_provider_update(factories.provider_update(
        factories.reload(payment), UpdateKind.REFUND_FAILED, amount=first.amount,
        transaction_reference=first.provider_reference))
    assert factories.reload(payment).amount_refunded == 0

    # Staff refund the seat again: the payer must actually get the 25.00 now.
    second = services.refund_line(factories.reload(line))

    assert not getattr(second, "replayed", False), (
        "refund_line returned the failed (reversed) refund as 'replayed': nothing was "
        "refunded and the line can never be refunded again")
    stored = factories.reload(payment)
    assert stored.amount_refunded == Decimal("25.00")
    assert stored.status == Payment.Status.PARTIALLY_REFUNDED
    assert Transaction.objects.filter(kind=Transaction.Kind.REFUND).count() == 2
