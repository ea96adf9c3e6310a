"""Reception and finance do their day in the staff console, in a real browser: record
cash, refund part of a card payment, approve a transfer; the approvals queue fits a
1280 px screen. Screenshots go to tests/browser/artifacts/ (not committed)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from django_carepay import permissions
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, configure_backends, submit
from tests.backends.stripe.support import paid_payment
from tests.views.staff.conftest import make_staff

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).with_name("artifacts")


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def reception(django_user_model):
    return make_staff(django_user_model, "reception", permissions.ROLES["Billing clerk"])


@pytest.fixture
def finance(django_user_model):
    return make_staff(django_user_model, "finance", permissions.ROLES["Billing manager"])


def log_in(page, live_server, username: str, path: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{path}")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def invoice_path(invoice: Invoice) -> str:
    return reverse("carepay:staff_invoice", args=[invoice.public_id])


def test_reception_records_80_in_cash(page, live_server, transactional_db, reception,
                                      patient, invoice):
    log_in(page, live_server, "reception", reverse("carepay:staff_invoices"))
    page.click(f"text={invoice.number}")
    page.wait_for_url(f"**{invoice_path(invoice)}")
    assert page.input_value("#id_record-amount") == "80.00"

    page.select_option("#id_record-backend", "cash")
    page.fill("#id_record-reference", "Till 2")
    page.click("text=Record payment")

    page.wait_for_selector(".carepay-messages .success")
    assert f"Recorded £80.00 (Cash) on {invoice.number}." in page.text_content(
        ".carepay-messages")
    assert page.text_content("h1 .status") == "Paid"
    assert page.locator("#record").count() == 0  # nothing left to record
    shoot(page, "reception-recorded-cash")
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.amount, payment.recorded_by) == (Decimal("80.00"), reception)


@pytest.mark.usefixtures("card_backend")
def test_finance_refunds_25_of_a_card_payment(page, live_server, transactional_db, finance,
                                              patient, invoice, localstripe):
    payment = paid_payment(localstripe, invoice)
    assert payment.status == Payment.Status.SUCCEEDED
    log_in(page, live_server, "finance", invoice_path(invoice))

    page.click("summary:has-text('Refund')")
    prefix = f"refund-{payment.public_id.hex[:12]}"
    page.fill(f"#id_{prefix}-amount", "25")
    page.fill(f"#id_{prefix}-reason", "Goodwill: the appointment started late.")
    page.click("button:has-text('Refund')")

    page.wait_for_selector(".carepay-messages .success")
    text = page.text_content("main")
    assert "Refunded £25.00 of the Card payment." in text
    assert "£25.00 of the £80.00 received has been refunded; £55.00 is kept." in text
    assert "Partially refunded" in text and "Goodwill: the appointment started late." in text
    assert "(refundable £55.00)" in text
    shoot(page, "finance-refunded-card")
    refund = Transaction.objects.get(kind=Transaction.Kind.REFUND)
    assert refund.amount == Decimal("25.00") and refund.provider_reference.startswith("re_")


def test_finance_approves_a_transfer(page, live_server, transactional_db, settings, finance,
                                     patient, invoice):
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})
    transfer = submit(invoice, by=patient)
    log_in(page, live_server, "finance", invoice_path(invoice))
    assert "awaiting approval" in page.text_content(".cp-decision h2")

    page.click(".cp-decision button:has-text('Approve')")

    page.wait_for_selector(".carepay-messages .success")
    assert page.text_content("h1 .status") == "Paid"
    shoot(page, "finance-approved-transfer")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == (Payment.Status.SUCCEEDED, finance)


def test_the_approvals_queue_fits_1280_px(page, live_server, transactional_db, settings,
                                          finance, patient):
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})
    for n in range(3):
        invoice = factories.make_invoice(customer=patient)
        submit(invoice, by=patient,
               reference=f"RIVERSIDE-SURGERY-PATIENT-{n}-" + "REFERENCE" * 8)
    log_in(page, live_server, "finance", reverse("carepay:approvals"))

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shoot(page, "finance-approvals-1280")
