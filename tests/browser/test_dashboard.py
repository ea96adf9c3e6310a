"""Finance logs in and sees the day's totals first on the dashboard, at 1280 px,
without scrolling sideways; the CSV export is a link away."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services
from tests import factories
from tests.reports.fixtures import grant

pytestmark = pytest.mark.browser


def test_finance_sees_the_days_totals_first(page, live_server, transactional_db,
                                             django_user_model):
    finance = grant(django_user_model.objects.create_user("finance", password="pw",
                                                          is_staff=True),
                    "view_dashboard", "view_payment", "view_invoice")
    paid = factories.make_invoice(lines=[{"description": "Consultation", "unit_price": "95.00"}])
    payment = factories.pay_cash(paid, by=finance)
    services.refund_payment(payment, amount=Decimal("15.00"), by=finance)
    factories.make_invoice(currency="EUR")  # owed, not paid: in the ageing only

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/billing/staff/dashboard/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "finance")
    page.fill("input[name=password]", "pw")
    page.click("[type=submit]")
    page.wait_for_url("**/billing/staff/dashboard/")

    first_card = page.locator(".cp-dash-today .cp-card").first
    assert first_card.locator(".cp-card-label").text_content() == "Received today (GBP)"
    assert first_card.locator(".cp-card-value").text_content() == "£95.00"
    assert "£15.00 refunded" in first_card.locator(".cp-card-note").text_content()
    assert "£80.00 net" in first_card.locator(".cp-card-note").text_content()
    headings = page.locator(".cp-dashboard h2").all_text_contents()
    assert headings[0].startswith("Today, ")
    assert headings[1] == "Needs attention"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.locator("svg.cp-chart[role=img] > title").text_content() == (
        "Money received per day in GBP")

    with page.expect_download() as download:
        page.click("text=Export payments (CSV)")
    assert download.value.suggested_filename.startswith("carepay-payments-")


def test_finance_sees_a_reconciliation_that_found_money_missing(
        page, live_server, transactional_db, django_user_model, card_backend, localstripe,
        axe_check, artifacts):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tests.backends.stripe.support import ALIAS

    grant(django_user_model.objects.create_user("finance", password="pw", is_staff=True),
          "view_dashboard", "view_payment", "view_invoice")
    invoice = factories.make_invoice(lines=[{"description": "MRI scan", "unit_price": "80.00"}])
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)  # Stripe took it; its webhook never came
    with pytest.raises(CommandError):
        call_command("carepay_reconcile", "--backend", ALIAS, "--since", "2000-01-01",
                     stdout=StringIO())

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/billing/staff/dashboard/")
    page.fill("input[name=username]", "finance")
    page.fill("input[name=password]", "pw")
    page.click("[type=submit]")
    page.wait_for_url("**/billing/staff/dashboard/")

    attention = page.locator(".cp-attention")
    assert "1 difference not fixed" in attention.text_content()
    panel = page.locator("section[aria-labelledby=cp-reconciliation]")
    assert "1 difference not fixed" in panel.locator("tbody tr").first.text_content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    axe_check(page)
    page.screenshot(path=str(artifacts / "dashboard-reconciliation.png"), full_page=True)
