"""The billing dashboard page: who may see it, what it shows, and what it costs."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_carepay.reports.types import DailyReceived
from django_carepay.views.staff.chart import daily_chart, nice_step
from tests import factories
from tests.reports.dataset import TODAY, nov
from tests.reports.fixtures import frozen_today, grant, history, with_transfer

pytestmark = pytest.mark.django_db

__all__ = ["frozen_today", "history", "with_transfer"]  # fixtures

URL = "/billing/staff/dashboard/"


@pytest.fixture
def finance(django_user_model):
    return grant(django_user_model.objects.create_user("finance", password="pw", is_staff=True),
                 "view_dashboard", "view_invoice", "view_payment", "approve_payment")


@pytest.fixture
def finance_client(client, finance):
    client.force_login(finance)
    return client


def text(response) -> str:
    """The page's visible text, squeezed (tags dropped)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_url_name():
    assert reverse("carepay:dashboard") == URL


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"] and "next=" in response["Location"]


def test_staff_without_the_permission_get_the_styled_403_and_nothing_runs(
        client, staff, django_assert_max_num_queries):
    client.force_login(staff)
    with django_assert_max_num_queries(4):  # session, user, permissions: no report query
        response = client.get(URL)
    assert response.status_code == 403
    assert "Can view the billing dashboard" in response.content.decode()
    assert 'class="carepay"' in response.content.decode()


def test_shows_todays_totals_first_then_what_needs_attention(finance_client, history,
                                                             frozen_today):
    response = finance_client.get(URL)
    assert response.status_code == 200
    page = text(response)
    today = page.index("Today, Friday 20 November 2026")
    assert "Received today (GBP) £100.00 1 payment · £30.00 refunded · £70.00 net" in page
    assert today < page.index("Needs attention") < page.index("Received per day") \
        < page.index("By method") < page.index("Outstanding by age")
    assert "Showing 1 Nov 2026 to 20 Nov 2026" in page


def test_needs_attention_links_somewhere_useful(finance_client, history, frozen_today):
    response = finance_client.get(URL)
    html = response.content.decode()
    invoice = history.invoices["D"]
    # The console's own invoice page (the admin's when the console is not routed).
    assert f'href="/billing/staff/invoices/{invoice.public_id}/"' in html
    assert 'href="/billing/staff/approvals/"' in html
    assert f'href="/admin/carepay/webhookevent/{history.failed_event.pk}/change/"' in html
    page = text(response)
    assert "£40.00 on 1 invoice" in page
    assert "£25.00 in 1 payment" in page
    assert "2 deliveries" in page


def test_the_chart_is_an_accessible_svg_with_a_table_behind_it(finance_client, history,
                                                              frozen_today):
    html = finance_client.get(URL).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, flags=re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="cp-chart-title cp-chart-desc"' in svg
    assert "<title id=\"cp-chart-title\">Money received per day in GBP</title>" in svg
    assert svg.count('class="bar"') == 4  # 3, 10, 11 and 20 November
    assert "3 Nov 2026: £80.00 (1 payment)" in svg
    table = re.search(r'<table class="cp-visually-hidden">.*?</table>', html, flags=re.S)
    assert table and table.group(0).count("<tr>") == 5  # header + the 4 days with money
    # Two currencies: a link per currency picks the one drawn.
    assert re.search(r'href="\?from=2026-11-01&amp;to=2026-11-20&amp;currency=EUR"', html)


def test_the_chart_currency_can_be_chosen(finance_client, history, frozen_today):
    html = finance_client.get(URL, {"currency": "eur"}).content.decode()
    assert "Money received per day in EUR" in html


def test_a_period_from_the_query_string_and_the_presets(finance_client, history, frozen_today):
    response = finance_client.get(URL, {"from": "2026-11-20", "to": "2026-11-20"})
    page = text(response)
    assert "Showing 20 Nov 2026 to 20 Nov 2026" in page
    html = response.content.decode()
    assert 'href="?from=2026-11-20&amp;to=2026-11-20" aria-current="page">Today' in html
    assert 'href="?from=2026-10-01&amp;to=2026-10-31">Last month' in html
    assert 'href="?from=2026-01-01&amp;to=2026-11-20">This year' in html
    assert 'href="?from=2026-11-14&amp;to=2026-11-20">Last 7 days' in html


@pytest.mark.parametrize("query", [
    {"from": "2026-13-01"}, {"from": "yesterday"}, {"from": "2026-11-20", "to": "2026-11-01"},
    {"from": "1026-01-01", "to": "2026-01-01"}, {"to": "\x00"},
])
def test_invalid_dates_are_a_form_error_not_a_500(finance_client, history, frozen_today, query):
    response = finance_client.get(URL, query)
    assert response.status_code == 200
    page = text(response)
    assert "Those dates could not be used; showing 1 Nov 2026 to 20 Nov 2026 instead." in page
    assert 'class="cp-errors"' in response.content.decode()


def test_a_one_day_period_and_an_empty_one(finance_client, history, frozen_today):
    one = finance_client.get(URL, {"from": "2026-11-03", "to": "2026-11-03"}).content.decode()
    assert one.count('class="bar"') == 1
    empty = finance_client.get(URL, {"from": "2025-01-01", "to": "2025-01-31"})
    assert empty.status_code == 200
    page = text(empty)
    assert "No money was received in this period." in page
    assert "No money moved in this period." in page


def test_export_links_carry_the_period_and_need_their_permissions(client, history, frozen_today,
                                                                   django_user_model):
    viewer = grant(django_user_model.objects.create_user("viewer", password="pw"),
                   "view_dashboard")
    client.force_login(viewer)
    html = client.get(URL).content.decode()
    assert "payments.csv" not in html and "invoices.csv" not in html
    assert "/billing/staff/approvals/" not in html  # may not approve: no link there
    grant(viewer, "view_payment", "view_invoice")
    html = client.get(URL, {"from": "2026-11-02", "to": "2026-11-09"}).content.decode()
    assert 'href="/billing/staff/exports/payments.csv?from=2026-11-02&amp;to=2026-11-09"' in html
    assert 'href="/billing/staff/exports/invoices.csv?from=2026-11-02&amp;to=2026-11-09"' in html


def test_the_console_navigation_has_the_dashboard(finance_client, db):
    html = finance_client.get(URL).content.decode()
    assert f'<a href="{URL}" aria-current="page">Dashboard</a>' in html


def test_svg_numbers_are_not_localized(finance_client, history, frozen_today, settings):
    settings.LANGUAGE_CODE = "de"
    html = finance_client.get(URL).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, flags=re.S).group(0)
    for attribute in re.findall(r' (?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg):
        assert re.fullmatch(r"-?\d+(\.\d+)?", attribute), attribute


def many_invoices(count: int, staff) -> None:
    """``count`` invoices across currencies and states (a third paid, some refunded)."""
    for n in range(count):
        invoice = factories.make_invoice(
            currency=("GBP", "EUR")[n % 2],
            due_date=TODAY - timedelta(days=n % 120),
            lines=[{"description": "Visit", "unit_price": f"{10 + n % 7}.00"}])
        if n % 3 == 0:
            payment = factories.pay_cash(invoice, by=staff)
            if n % 9 == 0:
                from django_carepay import services
                services.refund_payment(payment, amount=Decimal("1.00"), by=staff)


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_data(finance_client, staff, with_transfer,
                                                          django_assert_max_num_queries):
    many_invoices(5, staff)
    few = count_queries(finance_client)
    many_invoices(495, staff)
    with django_assert_max_num_queries(few):
        assert finance_client.get(URL).status_code == 200
    assert count_queries(finance_client) == few
    assert few <= 14, few


def test_chart_geometry_edges():
    assert nice_step(Decimal("0")) == 1
    assert nice_step(Decimal("95")) == 25
    assert nice_step(Decimal("1000")) == 250
    assert nice_step(Decimal("0.4")) == Decimal("0.1")
    one = daily_chart(DailyReceived(currency="JPY", days=[(nov(1), Decimal("5000"), 2)]))
    assert len(one.bars) == 1 and one.bars[0].width == 36  # capped, not the whole width
    assert [t.label for t in one.y_ticks] == ["¥0", "¥2,000", "¥4,000", "¥6,000"]
    quiet = daily_chart(DailyReceived(currency="GBP", days=[(nov(1), Decimal("0.00"), 0)]))
    assert quiet.empty and quiet.bars == []
    assert "No money was received in GBP" in quiet.description
