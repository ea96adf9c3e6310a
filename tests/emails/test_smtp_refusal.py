"""A real SMTP server that refuses every message (aiosmtpd on a free loopback port,
answering 550) never undoes a payment nor turns its page into a 500: the money is
committed first, the e-mail is tried on commit, and the refusal is logged with the
invoice number. These tests commit for real (no test-case transaction)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.emails.support import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)


class RefuseEverything:
    """An aiosmtpd handler that refuses every recipient, as a server over quota does."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        self.refused.append(address)
        return "550 5.1.1 Mailbox unavailable"


@pytest.fixture
def refusing_smtp(settings) -> Iterator[RefuseEverything]:
    """carepay's e-mails go by SMTP to a local server that refuses them."""
    with smtp_server(RefuseEverything(), settings) as handler:
        yield handler


def test_a_card_payment_commits_and_its_page_answers_despite_the_refusal(
        refusing_smtp, patient, invoice, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(patient)
    caplog.set_level(logging.ERROR, logger="django_carepay")
    page = client.get(reverse("carepay:pay", args=[invoice.public_id, "online"]))
    pay_button = re.search(r'action="([^"]+)" id="dummy-pay-form"', page.content.decode())
    assert pay_button

    result = client.post(pay_button.group(1), follow=True)

    assert result.status_code == 200
    assert "Payment received" in result.content.decode()
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert Transaction.objects.charges().count() == 1
    assert refusing_smtp.refused == ["ada@example.com"]  # the server was asked, and refused
    assert f"Could not send the payment_receipt e-mail for invoice {invoice.number}" \
        in caplog.text
    assert "550" in caplog.text


def test_cash_recorded_by_staff_stays_recorded(refusing_smtp, invoice, staff, caplog):
    payment = services.record_payment(invoice, backend="cash", by=staff)

    assert factories.reload(payment).status == Payment.Status.SUCCEEDED
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert f"for invoice {invoice.number}" in caplog.text
