"""A statement "as of" a past day shows that day's figures: what each invoice owed
then (the ledger up to that day), including invoices paid or closed since."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from django_carepay.documents.statement import build_statement
from tests import factories

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def test_past_statement_shows_what_was_owed_then(draft, patient, staff):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=LONDON), tick=False):
        invoice = factories.issue(draft)  # £80 open
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=LONDON), tick=False):
        factories.pay_cash(invoice, "30.00", by=staff)

    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=LONDON), tick=False):
        statement = build_statement(patient, currency="GBP", as_of=date(2026, 11, 10))

    section = statement.sections[0]
    # On 10 November nothing had been paid: £80 was owed, and no payment is listed.
    assert section.movements == []
    assert [item.amount_due for item in section.items] == [Decimal("80.00")]
    assert section.balance == Decimal("80.00")


def test_an_invoice_paid_in_full_since_is_still_owed_on_the_past_day(draft, patient, staff):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=LONDON), tick=False):
        invoice = factories.issue(draft)
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=LONDON), tick=False):
        factories.pay_cash(invoice, "80.00", by=staff)  # paid: no longer collectible

    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=LONDON), tick=False):
        then = build_statement(patient, currency="GBP", as_of=date(2026, 11, 10))
        now = build_statement(patient, currency="GBP")

    assert then.sections[0].balance == Decimal("80.00")
    assert now.sections[0].balance == Decimal("0")
    assert [m.amount for m in now.sections[0].movements] == [Decimal("80.00")]
