"""Money that arrives on a refunded invoice (and does not settle it) is shown
as "to refund" by the dashboard, but the invoice itself says nothing is overpaid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.models import Invoice
from django_carepay.reports import queries
from tests import factories

pytestmark = pytest.mark.django_db


def test_refunded_invoice_holding_money_agrees_with_dashboard(invoice, staff):
    # £80 invoice: £50 cash; £30 online starts processing; £30 cash; all cash refunded
    factories.pay_cash(invoice, "50.00", by=staff)
    online = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(online, UpdateKind.PROCESSING))
    factories.pay_cash(invoice, "30.00", by=staff)
    for cash in invoice.payments.filter(backend="cash"):
        services.refund_payment(cash, by=staff)
    services.apply_provider_update(factories.provider_update(online))  # £30 clears

    stored = factories.reload(invoice)
    assert stored.status == Invoice.Status.REFUNDED
    assert stored.net_paid == Decimal("30.00")

    totals, latest = queries.overpaid()
    assert [(t.currency, t.amount) for t in totals] == [("GBP", Decimal("30.00"))]
    assert latest[0].excess == Decimal("30.00")
    # The invoice page / staff list / payer list read amount_overpaid: it must say the same.
    assert stored.amount_overpaid == Decimal("30.00")
    assert stored.amount_due == Decimal("-30.00")
