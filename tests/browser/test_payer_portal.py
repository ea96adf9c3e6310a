"""The payer portal in a real Chromium: a patient finds an invoice with the status
tabs, pays it by card (Stripe.js stood in, tests/backends/stripe/stripe_standin.js)
and sees it paid; the card form says so when Stripe.js cannot load; and no payer
page scrolls sideways on a 390 px wide phone.

Screenshots of every step are saved under the ``artifacts`` folder (see conftest).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Invoice, Transaction
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, submit
from tests.backends.stripe.support import CARD_OK
from tests.browser.support import log_in, pay_with

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("card_backend")]

PHONE = {"width": 390, "height": 844}


def consultation(patient, amount="80.00", description="GP consultation", **kwargs):
    return factories.make_invoice(
        customer=patient, lines=[{"description": description, "unit_price": amount,
                                  "provider_name": "Dr Hart",
                                  "service_date": timezone.localdate()}], **kwargs)


def test_a_patient_filters_pays_by_card_and_sees_it_paid(
        page, live_server, transactional_db, patient, localstripe, artifacts):
    earlier = consultation(patient, "45.00", "Fit note")
    factories.pay_cash(earlier)
    due = consultation(patient, "80.00", "Knee X-ray")
    page.set_viewport_size(PHONE)
    log_in(page, live_server)
    page.screenshot(path=artifacts / "1-outstanding.png", full_page=True)
    assert page.locator("a.cp-invoice-number").all_text_contents() == [due.number]

    page.click(".cp-tabs >> text=Paid")  # the paid one is under Paid
    page.wait_for_url("**/billing/?status=paid")
    assert page.locator("a.cp-invoice-number").all_text_contents() == [earlier.number]
    page.click(".cp-tabs >> text=All")
    page.fill("#cp-invoice-search", "x-ray")
    page.click(".cp-search button")
    page.wait_for_url(re.compile(r"q=x-ray"))
    assert page.locator("a.cp-invoice-number").all_text_contents() == [due.number]
    page.screenshot(path=artifacts / "2-searched.png", full_page=True)

    page.click("a.cp-pay-now")  # two methods (card, online): the invoice's choice
    page.wait_for_url(f"**/billing/invoices/{due.public_id}/#pay")
    page.screenshot(path=artifacts / "3-invoice.png", full_page=True)
    page.click("#pay >> text=Card")
    page.wait_for_url(f"**/billing/invoices/{due.public_id}/pay/card/")
    page.wait_for_selector("#payment-element [name=standin-number]")
    assert page.text_content(".cp-amount-value") == "£80.00"
    assert page.is_enabled("#submit")
    page.screenshot(path=artifacts / "4-pay.png", full_page=True)
    pay_with(page, CARD_OK)

    page.wait_for_url("**/billing/payments/*/return/?payment_intent=pi_*")
    assert page.text_content("h1") == "Payment received"
    assert "£80.00" in page.text_content(".carepay-receipt")
    page.screenshot(path=artifacts / "5-result.png", full_page=True)
    page.click("text=Back to my invoices")
    page.click(".cp-tabs >> text=Paid")
    page.wait_for_url("**/billing/?status=paid")
    assert sorted(page.locator("a.cp-invoice-number").all_text_contents()) == sorted(
        [earlier.number, due.number])
    page.screenshot(path=artifacts / "6-paid.png", full_page=True)
    assert Invoice.objects.get(pk=due.pk).status == Invoice.Status.PAID
    assert list(Transaction.objects.filter(invoice=due).values_list("kind", "amount")) == [
        ("charge", Decimal("80.00"))]


def test_the_card_form_says_so_when_stripe_js_cannot_load(
        page, live_server, transactional_db, patient, localstripe, artifacts):
    invoice = consultation(patient)
    page.route("**/js.stripe.com/**", lambda route: route.abort())
    log_in(page, live_server)

    page.goto(f"{live_server.url}/billing/invoices/{invoice.public_id}/pay/card/")

    error = page.locator("#payment-unavailable")
    error.wait_for(state="visible")
    assert "The card form could not be loaded." in error.text_content()
    assert not page.is_visible("#submit")  # no dead button
    page.screenshot(path=artifacts / "stripe-js-blocked.png", full_page=True)
    page.click("text=Choose another way to pay")
    page.wait_for_url(f"**/billing/invoices/{invoice.public_id}/#pay")


@pytest.fixture
def every_page(settings, patient, localstripe):
    """A patient whose pages show everything: a list of several invoices, an invoice
    with payments, a refund and a transfer being checked, a card payment's result."""
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {
        **settings.CAREPAY["BACKENDS"], "transfer": CLINIC_TRANSFER}}
    busy = factories.make_invoice(customer=patient, lines=[
        {"description": "Extended consultation about a long-standing knee problem",
         "unit_price": "120.00", "provider_name": "Dr Amelia Hart-Montgomery",
         "service_date": timezone.localdate()},
        {"description": "X-ray", "unit_price": "45.50", "tax_rate": "20"}],
        billing={"address": "Flat 12, 1234 Very Long Street Name\nLondon SW1A 1AA",
                 "country": "GB"})
    services.refund_payment(factories.pay_cash(busy, "100.00"), amount="25.00",
                            reason="Goodwill: the appointment started 40 minutes late")
    submit(busy, amount="20.00", by=patient, reference="BANK-REFERENCE-WITHOUT-SPACES-123")
    consultation(patient, due_date=timezone.localdate() - timedelta(days=40))
    services.mark_overdue()
    paid = consultation(patient, "65.00")
    payment = factories.start_online(paid)
    services.apply_provider_update(factories.provider_update(payment))
    open_one = consultation(patient, "1234567.89", currency="EUR")
    return {"busy": busy, "payment": payment, "open": open_one}


def test_no_payer_page_scrolls_sideways_at_390_px(
        page, live_server, transactional_db, every_page, artifacts):
    page.set_viewport_size(PHONE)
    log_in(page, live_server)
    busy, payment = every_page["busy"], every_page["payment"]
    pages = {
        "list": "/billing/",
        "list-all": "/billing/?status=all",
        "detail": f"/billing/invoices/{busy.public_id}/",
        "pay-card": f"/billing/invoices/{every_page['open'].public_id}/pay/card/",
        "pay-transfer": f"/billing/invoices/{busy.public_id}/pay/transfer/",
        "result": f"/billing/payments/{payment.public_id}/return/",
        "statement": "/billing/statement/",
    }
    widths = {}
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        page.screenshot(path=artifacts / f"{name}-390.png", full_page=True)
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
        # Every control has a name a screen reader can read out.
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            '.carepay input:not([type=hidden]), .carepay select, .carepay textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.name.startsWith('standin-'))
            .map(el => el.name)""")
        assert unlabelled == [], (name, unlabelled)
        levels = page.evaluate("""() => [...document.querySelectorAll(
            '.carepay h1, .carepay h2, .carepay h3')].map(h => +h.tagName[1])""")
        assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels)), \
            (name, levels)

    assert widths == dict.fromkeys(pages, 390), widths
