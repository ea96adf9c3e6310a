"""Amounts the JSON API takes that it should refuse, or answers with a 500.

1. ``parse_amount`` normalises with NFKC before matching, so characters that are not
   digits of any script (Unicode category No: superscripts, circled digits) become
   digits: ``"1²"`` is read as 12, ``"⑧⓪"``... as 80. The rule says "digits of any
   script" (category Nd) and "what staff see is what is recorded".
2. An approval's corrected amount is range-checked alone (below 10**11), never the
   invoice and payment totals it is added to (numeric(14, 3)): with money already on
   the invoice the sum overflows the column and the API answers 500, where §15 wants
   a JSON refusal for any input.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.models import Payment, Transaction
from tests.api.conftest import api

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["1²", "8⁰", "⑧⓪"])
def test_a_transfer_amount_of_non_digits_is_refused(payer, gb_invoice, typed):
    response = payer.post(api("invoice_transfers", gb_invoice.public_id),
                          {"method": "bank_transfer_uk", "reference": "BT-1", "amount": typed},
                          content_type="application/json")

    stored = list(Payment.objects.values_list("amount", flat=True))
    assert response.status_code == 400, f"{typed!r} was accepted as {stored}"
    assert response.json()["field"] == "amount"
    assert not stored


def test_an_approval_whose_total_overflows_is_refused_not_a_500(approver_client, gb_invoice,
                                                                 patient, staff):
    services.record_payment(gb_invoice, backend="cash", amount="30.00", by=staff)
    transfer = services.submit_transfer(gb_invoice, backend="bank_transfer_uk",
                                        reference="BT-1", by=patient)
    approver_client.raise_request_exception = False

    response = approver_client.post(
        api("payment_approve", transfer.public_id),
        json.dumps({"amount": "99999999999.99", "allow_overpayment": True}),
        content_type="application/json")

    assert response.status_code == 400, response.status_code
    assert set(response.json()) == {"code", "message", "field"}
    assert Transaction.objects.charges().count() == 1  # the cash only
    assert Payment.objects.get(pk=transfer.pk).status == Payment.Status.AWAITING_APPROVAL
    assert gb_invoice.__class__.objects.get(pk=gb_invoice.pk).amount_paid == Decimal("30.00")
