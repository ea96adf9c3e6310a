"""The dashboard's figures against the hand-built history of :mod:`tests.reports.dataset`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from django_carepay.reports import Period, build_dashboard, this_month
from django_carepay.reports.types import MoneyMoved
from tests.reports.dataset import TODAY, nov

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def board(history, frozen_today):
    return build_dashboard(this_month(TODAY), today=TODAY)


def moved(items, currency) -> MoneyMoved:
    (found,) = [m for m in items if m.currency == currency]
    return found


def test_todays_totals_are_todays_ledger_only(board):
    gbp = moved(board.today_moved, "GBP")
    assert (gbp.received, gbp.refunded, gbp.net, gbp.charges, gbp.refunds) == (
        D("100.00"), D("30.00"), D("70.00"), 1, 1)
    assert [m.currency for m in board.today_moved] == ["GBP"]


def test_period_totals_per_currency_never_mixed(board):
    # A £80 (3 Nov) + B £100 (today) + D £40 cash + £40 online = £260; L's £30 was in October.
    gbp = moved(board.moved, "GBP")
    assert (gbp.received, gbp.refunded, gbp.net, gbp.charges) == (
        D("260.00"), D("30.00"), D("230.00"), 4)
    eur = moved(board.moved, "EUR")
    assert (eur.received, eur.refunded, eur.net, eur.charges) == (D("50.00"), D(0), D("50.00"), 1)
    assert str(gbp.received) == "260.00"  # written with the currency's decimals


def test_by_method_and_by_backend(board):
    method = {(r.label, r.moved.currency): r.moved.net for r in board.by_method}
    assert method == {("Cash", "GBP"): D("190.00"), ("Cash", "EUR"): D("50.00"),
                      ("Online (test)", "GBP"): D("40.00")}
    backend = {(r.key, r.label, r.moved.currency): r.moved.received for r in board.by_backend}
    assert backend == {("cash", "Cash", "GBP"): D("220.00"), ("cash", "Cash", "EUR"): D("50.00"),
                       ("online", "Online (test)", "GBP"): D("40.00")}


def test_payments_and_invoices_by_status(board):
    payments = {(s.status, s.currency): (s.count, s.amount) for s in board.payments_by_status}
    assert payments == {
        ("succeeded", "GBP"): (3, D("160.00")),  # A, D cash, D online (confirmed after cancel)
        ("partially_refunded", "GBP"): (1, D("100.00")),  # B
        ("succeeded", "EUR"): (1, D("50.00")),  # C
        ("awaiting_approval", "GBP"): (1, D("25.00")),  # E
    }
    invoices = {(s.status, s.currency): (s.count, s.amount) for s in board.invoices_by_status}
    # Issued 1-20 Nov: B, D, E, V (GBP), C, M (EUR); F-K were issued in October.
    assert invoices == {
        ("open", "GBP"): (1, D("25.00")),
        ("paid", "GBP"): (2, D("140.00")),
        ("void", "GBP"): (1, D("15.00")),
        ("open", "EUR"): (1, D("70.00")),
        ("paid", "EUR"): (1, D("50.00")),
    }


def test_ageing_buckets_at_their_edges(board):
    by_currency = {a.currency: {key: (amount, count) for key, _l, amount, count in a.buckets}
                   for a in board.ageing}
    assert by_currency["GBP"] == {
        "current": (D("35.00"), 2),  # F due today, E due in December
        "1-30": (D("100.00"), 3),  # G 1 day, H 30 days, L £50 still due
        "31-60": (D("40.00"), 1),
        "61-90": (D("50.00"), 1),
        "90+": (D("60.00"), 1),
    }
    assert by_currency["EUR"] == {"current": (D("70.00"), 1), "1-30": (D("0.00"), 0),
                                  "31-60": (D("0.00"), 0), "61-90": (D("0.00"), 0),
                                  "90+": (D("0.00"), 0)}
    gbp = next(a for a in board.ageing if a.currency == "GBP")
    assert (gbp.total, gbp.overdue) == (D("285.00"), D("250.00"))


def test_ageing_agrees_with_the_statement_rule(history, frozen_today):
    """The database buckets and the statement's Python bucketing are one rule."""
    from django_carepay.ageing import bucket_for
    from django_carepay.models import Invoice

    expected: dict[str, Decimal] = {}
    for invoice in Invoice.objects.collectible().filter(currency="GBP"):
        key = bucket_for((TODAY - invoice.due_date).days)
        expected[key] = expected.get(key, D(0)) + invoice.amount_payable
    board = build_dashboard(this_month(TODAY), today=TODAY)
    gbp = next(a for a in board.ageing if a.currency == "GBP")
    assert {k: a for k, _l, a, n in gbp.buckets if n} == expected


def test_needs_attention(board, history):
    attention = board.attention
    assert [(o.currency, o.count, o.amount) for o in attention.overpaid] == [
        ("GBP", 1, D("40.00"))]
    assert [(o.invoice.pk, o.excess) for o in attention.overpaid_latest] == [
        (history.invoices["D"].pk, D("40.00"))]
    assert [(a.currency, a.count, a.amount) for a in attention.awaiting_approval] == [
        ("GBP", 1, D("25.00"))]
    assert attention.awaiting_since is not None
    assert attention.awaiting_since.date() == nov(13)
    assert attention.webhook_problems == 2
    assert [e.event_id for e in attention.webhook_latest] == ["evt_flagged", "evt_failed"]
    assert attention.total == 4


def test_daily_series_has_every_day_of_the_period(board):
    (gbp,) = [s for s in board.daily if s.currency == "GBP"]
    assert len(gbp.days) == 20
    days = {day: (amount, count) for day, amount, count in gbp.days}
    assert days[nov(3)] == (D("80.00"), 1)
    assert days[nov(10)] == (D("40.00"), 1)
    assert days[nov(11)] == (D("40.00"), 1)
    assert days[nov(20)] == (D("100.00"), 1)
    assert days[nov(4)] == (D("0.00"), 0)
    assert gbp.total == D("260.00")
    assert [s.currency for s in board.daily] == ["EUR", "GBP"]


def test_a_day_boundary_is_the_site_time_zone(history, frozen_today):
    """B's payment at 09:00 and refund at 11:00 London time are on 20 November only."""
    day = build_dashboard(Period(TODAY, TODAY), today=TODAY)
    assert moved(day.moved, "GBP").received == D("100.00")
    before = build_dashboard(Period(nov(12), nov(19)), today=TODAY)
    assert [m.currency for m in before.moved] == []


def test_an_empty_period(history, frozen_today):
    board = build_dashboard(Period(date(2025, 1, 1), date(2025, 1, 31)), today=TODAY)
    assert board.moved == [] and board.daily == [] and board.payments_by_status == []
    assert board.by_method == [] and board.invoices_by_status == []
    assert board.attention.total == 4  # what needs attention does not depend on the period
    assert len(board.ageing) == 2


def test_nothing_at_all(db):
    board = build_dashboard(this_month(TODAY), today=TODAY)
    assert board.today_moved == [] and board.ageing == [] and board.attention.total == 0
