"""A hand-built billing history for the dashboard and export tests.

"Today" is Friday 20 November 2026, 15:00 in London (the test settings' time zone);
the dashboard's default period is 1-20 November. Everything is made through the
services at the moment it happened (``time_machine``), as staff and providers would
have made it, so the ledger's timestamps are real.

What is in it, and what the dashboard must make of it:

=====  ======================================================  =========================
inv.   story                                                    counts as
=====  ======================================================  =========================
A      £80, issued 5 Oct, paid in cash 3 Nov                    £80 received (cash)
B      £100, issued 2 Nov, paid in cash today 9:00, £30          today: £100 in, £30 back
       refunded today 11:00
C      €50, issued 5 Nov, paid in cash 6 Nov                    €50 received (cash, EUR)
D      £40, issued 10 Nov: online payment started, cash paid,   overpaid by £40
       then the online payment confirmed 11 Nov                 (£40 cash + £40 online)
E      £25, issued 12 Nov, due 12 Dec, transfer of £25          awaiting approval; current
       submitted 13 Nov
F..K   open £10, £20, £30, £40, £50, £60 due today, 1, 30, 31,   ageing edges (below)
       90 and 91 days ago
L      £80 due 21 Oct, £30 paid in cash 15 Oct                  £50 in 1-30, £30 received
                                                                  (before the period)
M      €70 due 1 Dec                                            €70 current
V      £15 issued 14 Nov, voided                                issued, void
Dr     a draft                                                  not issued
=====  ======================================================  =========================

Ageing as of 20 Nov (GBP): current = F £10 + E £25 = £35; 1-30 = G £20 (1 day) +
H £30 (30 days) + L £50 = £100; 31-60 = I £40 (31 days); 61-90 = J £50 (90 days);
90+ = K £60 (91 days). EUR: current €70.

Webhooks: one failed, one flagged (processed but ``needs_attention``), one processed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from django_carepay import services
from django_carepay.models import Invoice, WebhookEvent
from tests import factories

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=LONDON)

TRANSFER = {
    "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
    "OPTIONS": {"label": "Bank transfer", "instructions": "Quote {{ reference }}.",
                "currencies": ["GBP"]},
}


def at(day: date, hour: int = 10, minute: int = 0) -> Any:
    """Travel to ``day`` at ``hour:minute`` London time, clock stopped."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, minute,
                                        tzinfo=LONDON), tick=False)


def nov(day: int) -> date:
    return date(2026, 11, day)


@dataclass
class History:
    invoices: dict[str, Invoice]
    failed_event: WebhookEvent
    flagged_event: WebhookEvent


def invoice(key: str, amount: str, *, issued: date, due: date | None = None,
            currency: str = "GBP", customer: Any = None) -> Invoice:
    with at(issued, 9):
        return factories.make_invoice(
            lines=[{"description": f"Visit {key}", "unit_price": amount}], currency=currency,
            due_date=due, customer=customer, billing={"name": f"Patient {key}"})


def build(staff: Any, customer: Any = None) -> History:
    """The history above; ``staff`` records and refunds, ``customer`` is billed for A."""
    inv: dict[str, Invoice] = {}
    inv["A"] = invoice("A", "80.00", issued=date(2026, 10, 5), customer=customer)
    with at(nov(3)):
        factories.pay_cash(inv["A"], by=staff)

    inv["B"] = invoice("B", "100.00", issued=nov(2))
    with at(TODAY, 9):
        payment_b = factories.pay_cash(inv["B"], by=staff)
    with at(TODAY, 11):
        services.refund_payment(payment_b, amount=Decimal("30.00"), by=staff)

    inv["C"] = invoice("C", "50.00", issued=nov(5), currency="EUR")
    with at(nov(6)):
        factories.pay_cash(inv["C"], by=staff)

    inv["D"] = invoice("D", "40.00", issued=nov(10))
    with at(nov(10), 11):
        online = factories.start_online(inv["D"])
    with at(nov(10), 12):
        factories.pay_cash(inv["D"], by=staff)
    with at(nov(11), 8):
        services.apply_provider_update(factories.provider_update(factories.reload(online)))

    inv["E"] = invoice("E", "25.00", issued=nov(12), due=date(2026, 12, 12))
    with at(nov(13)):
        services.submit_transfer(inv["E"], backend="transfer", reference="RS-E")

    for key, amount, days in (("F", "10.00", 0), ("G", "20.00", 1), ("H", "30.00", 30),
                              ("I", "40.00", 31), ("J", "50.00", 90), ("K", "60.00", 91)):
        due = TODAY - timedelta(days=days)
        inv[key] = invoice(key, amount, issued=due - timedelta(days=30), due=due)

    inv["L"] = invoice("L", "80.00", issued=date(2026, 10, 1), due=date(2026, 10, 21))
    with at(date(2026, 10, 15)):
        factories.pay_cash(inv["L"], Decimal("30.00"), by=staff)

    inv["M"] = invoice("M", "70.00", issued=nov(16), due=date(2026, 12, 1), currency="EUR")

    inv["V"] = invoice("V", "15.00", issued=nov(14))
    with at(nov(14), 12):
        services.void_invoice(inv["V"], by=staff, reason="Booked twice")

    with at(nov(15)):
        inv["Dr"] = factories.make_invoice(issue=False)

    with at(TODAY, 1):
        services.mark_overdue(today=TODAY)

    with at(nov(18), 7):
        failed = WebhookEvent.objects.create(
            backend="online", event_id="evt_failed", type="payment_intent.succeeded",
            status=WebhookEvent.Status.FAILED, error="Host receiver raised")
    with at(nov(19), 7):
        flagged = WebhookEvent.objects.create(
            backend="online", event_id="evt_flagged", type="payment_intent.succeeded",
            status=WebhookEvent.Status.PROCESSED, needs_attention=True,
            error="No payment of ours matches pi_unknown")
        WebhookEvent.objects.create(backend="online", event_id="evt_ok", type="charge.refunded",
                                    status=WebhookEvent.Status.PROCESSED)
    return History({k: factories.reload(v) for k, v in inv.items()}, failed, flagged)
