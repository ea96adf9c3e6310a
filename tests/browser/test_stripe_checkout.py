"""A patient pays an invoice by card in a real browser.

Chromium loads carepay's production pay page, whose Stripe.js URL (the backend's
``js_url`` option) points at the test-only stand-in served by the localstripe
launcher (tests/backends/stripe/stripe_standin.js): the page's own Payment Element code runs
unchanged against localstripe.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay.models import Invoice, Payment, Transaction
from tests.backends.stripe.support import CARD_DECLINED, CARD_OK, DECLINE_MESSAGE
from tests.browser.support import log_in, pay_with

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("card_backend")]

SCREENSHOT = "/tmp/carepay-success.png"


def log_in_and_open_the_pay_page(page, live_server, invoice):
    """From the invoice list (which asks to log in) to the card payment page."""
    log_in(page, live_server)
    page.click(f"text={invoice.number}")
    page.wait_for_url(f"**/billing/invoices/{invoice.public_id}/")
    page.click("#pay >> text=Card")
    page.wait_for_url(f"**/billing/invoices/{invoice.public_id}/pay/card/")
    page.wait_for_selector("#payment-element [name=standin-number]")  # Element mounted


def test_a_patient_pays_an_invoice_by_card(page, live_server, transactional_db, patient,
                                           invoice, localstripe):
    log_in_and_open_the_pay_page(page, live_server, invoice)
    assert page.text_content(".cp-amount-value") == "£80.00"

    pay_with(page, CARD_OK)
    page.wait_for_url("**/billing/payments/*/return/?payment_intent=pi_*")

    payment = Payment.objects.get(invoice=invoice)
    assert page.text_content("h1") == "Payment received"
    assert page.text_content("dd.confirmation") == payment.provider_reference
    assert payment.provider_reference.startswith("pi_")
    assert page.text_content(".carepay-receipt .status") == "Paid"
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.click(f".carepay-receipt >> text={invoice.number}")
    assert page.text_content(".cp-status-line .status") == "Paid"
    assert localstripe.get(f"payment_intents/{payment.provider_reference}")["status"] \
        == "succeeded"
    assert list(Transaction.objects.values_list("kind", "amount")) == [
        ("charge", Decimal("80.00"))]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_a_declined_card_shows_the_error_and_the_patient_can_try_another(
        page, live_server, transactional_db, patient, invoice, localstripe):
    log_in_and_open_the_pay_page(page, live_server, invoice)
    pay_url = page.url

    pay_with(page, CARD_DECLINED)
    page.wait_for_selector("#payment-message:not([hidden])")

    assert page.text_content("#payment-message") == DECLINE_MESSAGE
    assert page.url == pay_url  # the decline comes back to the page: no redirect
    assert page.is_enabled("#submit")
    payment = Payment.objects.get(invoice=invoice)
    assert localstripe.get(f"payment_intents/{payment.provider_reference}")[
        "last_payment_error"]["code"] == "card_declined"
    assert not Transaction.objects.exists()

    pay_with(page, CARD_OK)  # same page, same intent, another card
    page.wait_for_url("**/billing/payments/*/return/?payment_intent=pi_*")

    assert page.text_content("h1") == "Payment received"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
