"""The pay link in the ``invoice_issued`` e-mail opens the invoice in a fresh browser,
without logging in: the signed link is the payer's key."""

from __future__ import annotations

import re

import pytest

from django_carepay import services
from tests import factories

pytestmark = pytest.mark.browser


def test_the_emailed_pay_link_opens_the_invoice_without_logging_in(
        page, live_server, transactional_db, settings, patient, tmp_path, mailoutbox):
    settings.MEDIA_ROOT = tmp_path
    # Links in e-mails are absolute, built from SITE_URL: here, the live server.
    settings.CAREPAY = {**settings.CAREPAY, "SITE_URL": live_server.url}
    draft = factories.make_invoice(customer=patient, issue=False)
    invoice = services.issue_invoice(draft, send_email=True)

    [message] = [m for m in mailoutbox if invoice.number in m.subject]
    assert message.to == ["ada@example.com"]
    [link] = re.findall(r"^Pay online: (\S+)$", message.body, flags=re.MULTILINE)
    assert link.startswith(f"{live_server.url}/billing/link/")

    page.goto(link)  # a fresh context: no session, no log-in

    page.wait_for_url(f"**/billing/invoices/{invoice.public_id}/")
    assert "/accounts/login/" not in page.url
    assert invoice.number in page.text_content("h1")
    assert page.text_content("tr.amount-due td") == "£80.00"
    methods = page.locator("ul.carepay-methods a")
    assert methods.all_text_contents() == ["Online (test)"]
    methods.first.click()
    page.wait_for_url(f"**/billing/invoices/{invoice.public_id}/pay/online/")
