"""A receipt is kept as first rendered: its "Amount due" is what was left after the
payment it is for (from the ledger), whenever it is first opened."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from django_carepay.documents.render import receipt_context
from tests import factories

pytestmark = pytest.mark.django_db


def test_receipt_of_first_instalment_shows_what_was_left_after_it(invoice, staff):
    first = factories.pay_cash(invoice, "50.00", by=staff)  # £30 left
    factories.pay_cash(invoice, "30.00", by=staff)          # paid in full later

    html = render_to_string("carepay/pdf/receipt.html",
                            receipt_context(factories.reload(first)))
    # The receipt for the £50 says £30 was still due after it (not today's £0.00).
    assert "£30.00" in html.split("Amount due")[1][:200]


def test_a_refund_before_the_first_download_does_not_change_it(invoice, staff):
    from django_carepay import services

    paid = factories.pay_cash(invoice, "80.00", by=staff)
    services.refund_payment(paid, amount="20.00", by=staff)

    html = render_to_string("carepay/pdf/receipt.html",
                            receipt_context(factories.reload(paid)))
    assert "£0.00" in html.split("Amount due")[1][:200]


def test_a_later_payments_receipt_counts_the_refunds_before_it(invoice, staff):
    """The ledger up to the payment's charge: charges less refunds before it."""
    from django_carepay import services

    first = factories.pay_cash(invoice, "50.00", by=staff)
    services.refund_payment(first, amount="10.00", by=staff)
    second = factories.pay_cash(invoice, "30.00", by=staff)

    html = render_to_string("carepay/pdf/receipt.html",
                            receipt_context(factories.reload(second)))
    # 80 - (50 - 10 + 30) = 10 still due after the second payment.
    assert "£10.00" in html.split("Amount due")[1][:200]
