"""Every kind of e-mail of design §12: who gets it, its subject, its text and HTML
bodies. Each is sent on commit (captured here with ``django_capture_on_commit_callbacks``)
into the locmem outbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from django_carepay import services
from django_carepay.conf import EMAIL_KINDS
from django_carepay.models import Payment
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, configure_backends
from tests.emails.support import html_of, kinds, sent

pytestmark = pytest.mark.django_db

STAFF = "desk@clinic.example.com"
PAY_LINK = re.compile(r"https://clinic\.example\.com/billing/link/[^\s\"<]+")


@pytest.fixture(autouse=True)
def staff_and_transfer(settings):
    configure_backends(settings, {"transfer": CLINIC_TRANSFER},
                       STAFF_NOTIFICATION_EMAILS=[STAFF])


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the block, then what it queued for the commit (the e-mails)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def assert_html_email(message, *texts):
    """A whole HTML document, styled inline (mail clients drop <style>), saying ``texts``."""
    html = html_of(message)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<style" not in html and 'style="' in html
    for text in texts:
        assert text in html, text


def test_invoice_issued_goes_to_the_payer_with_its_pay_link(draft, commit):
    with commit():
        invoice = services.issue_invoice(draft, send_email=True)

    [message] = mail.outbox
    assert kinds() == ["invoice_issued"]
    assert message.to == ["ada@example.com"]
    assert message.from_email == "billing@example.com"
    assert message.subject == f"Invoice {invoice.number}: £80.00 due"
    link = PAY_LINK.search(message.body)
    assert link
    assert "Amount due: £80.00" in message.body
    assert_html_email(message, f'href="{link.group(0)}"', "Pay online", "£80.00",
                      f"Invoice {invoice.number}")


def test_a_cash_payment_receipts_the_payer_and_tells_staff(invoice, commit, staff):
    with commit():
        factories.pay_cash(invoice, "30.00", by=staff)

    assert kinds() == ["payment_receipt", "staff_payment_received"]
    [receipt] = sent("payment_receipt")
    assert receipt.to == ["ada@example.com"]
    assert receipt.subject == f"Receipt: £30.00 received for {invoice.number}"
    assert "we have received your payment of £30.00" in receipt.body
    assert "Method:       Cash" in receipt.body
    assert "Amount still due: £50.00." in receipt.body
    assert PAY_LINK.search(receipt.body)  # to pay the rest
    assert_html_email(receipt, "Payment received", "£30.00", "£50.00", "Pay the rest online")
    [notice] = sent("staff_payment_received")
    assert notice.to == [STAFF]
    assert notice.subject == f"Payment received: £30.00 for {invoice.number} (Cash)"
    assert "Amount due:  £50.00" in notice.body
    assert_html_email(notice, invoice.number, "£30.00")


def test_an_online_payment_that_fails_offers_to_try_again(invoice, commit):
    payment = factories.start_online(invoice)
    with commit():
        services.apply_provider_update(factories.provider_update(
            payment, "failed", failure_code="card_declined",
            failure_message="Your card was declined."))
        # A second report of the same failure changes nothing and sends nothing.
        services.apply_provider_update(factories.provider_update(
            payment, "failed", failure_code="card_declined"))

    [message] = mail.outbox
    assert kinds() == ["payment_failed"]
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Your payment for {invoice.number} did not go through"
    assert "did not go through: Your card was declined." in message.body
    link = PAY_LINK.search(message.body)
    assert link
    assert_html_email(message, "Try again", f'href="{link.group(0)}"')


def test_a_refund_tells_the_payer(invoice, commit, staff):
    payment = factories.pay_cash(invoice)
    with commit():
        services.refund_payment(payment, amount="20.00", by=staff)

    [message] = mail.outbox
    assert kinds() == ["refund_issued"]
    assert message.to == ["ada@example.com"]
    assert message.subject == f"Refund of £20.00 for {invoice.number}"
    assert "We have refunded £20.00" in message.body
    assert "Refunded:  £20.00" in message.body
    assert_html_email(message, "Refund issued", "£20.00")
    assert "href=" not in html_of(message)  # nothing to pay


class TestTransfers:
    @pytest.fixture
    def submitted(self, invoice, patient, commit):
        with commit():
            payment = services.submit_transfer(invoice, backend="transfer",
                                               reference="RS-1", by=patient)
        return payment

    def test_staff_are_told_a_transfer_awaits_approval(self, submitted, invoice):
        [message] = mail.outbox
        assert kinds() == ["transfer_submitted"]
        assert message.to == [STAFF]
        assert message.subject == (
            f"Payment to approve: £80.00 for {invoice.number} (ref RS-1)")
        assert "Method:      Bank transfer" in message.body
        assert_html_email(message, "A payment awaits approval", "RS-1", "Bank transfer")

    def test_an_approval_confirms_receipts_and_tells_staff(self, submitted, invoice, staff,
                                                           commit):
        mail.outbox.clear()
        with commit():
            services.approve_payment(submitted, by=staff)

        assert kinds() == ["payment_receipt", "staff_payment_received", "transfer_approved"]
        assert [m.to for m in mail.outbox] == [["ada@example.com"], [STAFF],
                                               ["ada@example.com"]]
        [approved] = sent("transfer_approved")
        assert approved.subject == f"Payment received for {invoice.number}"
        assert "The invoice is paid in full." in approved.body
        assert_html_email(approved, "Your transfer was confirmed", "RS-1")
        assert "href=" not in html_of(approved)  # paid: no pay link
        [receipt] = sent("payment_receipt")
        assert "Reference:    RS-1" in receipt.body

    def test_a_rejection_says_why_and_links_to_pay_again(self, submitted, invoice, staff,
                                                         commit):
        mail.outbox.clear()
        with commit():
            services.reject_payment(submitted, by=staff, notes="Nothing arrived & no trace")

        [message] = mail.outbox
        assert kinds() == ["transfer_rejected"]
        assert message.subject == f"Your payment for {invoice.number} could not be confirmed"
        assert "Reason: Nothing arrived & no trace" in message.body
        assert PAY_LINK.search(message.body)
        assert_html_email(message, "Nothing arrived &amp; no trace", "Pay or submit again")


def test_every_kind_can_be_switched_off(settings, invoice, commit, staff):
    settings.CAREPAY = {**settings.CAREPAY, "EMAILS": {"payment_receipt": False}}
    with commit():
        payment = factories.pay_cash(invoice, by=staff)
        assert payment.status == Payment.Status.SUCCEEDED

    assert kinds() == ["staff_payment_received"]


def test_every_kind_has_its_three_templates():
    from django.template.loader import get_template

    for kind in EMAIL_KINDS:
        for suffix in ("subject.txt", "body.txt", "body.html"):
            get_template(f"carepay/email/{kind}_{suffix}")


def test_no_address_no_email_and_a_warning(patient, commit, caplog):
    patient.email = ""
    patient.save()
    invoice = factories.make_invoice(customer=patient)
    with commit():
        factories.pay_cash(invoice)

    assert kinds() == ["staff_payment_received"]
    assert f"Invoice {invoice.number} has no e-mail address" in caplog.text
