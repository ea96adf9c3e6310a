"""The admin's record-payment and refund forms sent twice at once (a double click) act
once: real threads, real row locks (PostgreSQL only). Part of what is due, and part of
what is refundable, is the case the services alone cannot catch: the second copy is
still a valid amount, so only the form's version tells it from a deliberate second go.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.dispatch import Signal
from django.test import Client

from django_carepay import signals
from django_carepay.models import Transaction
from tests import factories
from tests.admin.support import form_as_shown, messages_of, url
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def send_twice_at_once(receive: Any, signal: Signal, user: Any, page: str,
                       data: dict[str, Any]) -> None:
    """Send the form on ``page`` by two requests at once, as a double click does, the
    first holding the invoice's lock (in ``signal``) until the second waits for it;
    check that both went back to the page and that one was told nothing was done."""
    hold = HoldUntilBlocked(waiters=1)
    receive(signal, sender=Appointment, action=hold)

    def post(i: int) -> tuple[int, list[str]]:
        client = Client()
        client.force_login(user)
        response = client.post(page, data)
        return response.status_code, messages_of(response)

    answers = successes(run_in_threads(2, post))

    assert hold.overlapped
    assert [status for status, _texts in answers] == [302, 302]
    refused = [texts for _status, texts in answers
               if any("so nothing was done" in text for text in texts)]
    assert len(refused) == 1, answers


def test_the_record_payment_form_sent_twice_at_once_records_once(receive, admin_client,
                                                                 admin_user):
    invoice = factories.make_invoice(subject=factories.make_appointment())
    page = url("invoice", "record_payment", invoice.pk)
    data = form_as_shown(admin_client, page, backend="cash", amount="30.00")

    send_twice_at_once(receive, signals.payment_succeeded, admin_user, page, data)

    [charge] = Transaction.objects.charges()
    assert charge.amount == Decimal("30.00")
    assert factories.reload(invoice).amount_due == Decimal("50.00")


def test_the_refund_form_sent_twice_at_once_refunds_once(receive, admin_client, admin_user):
    invoice = factories.make_invoice(subject=factories.make_appointment())
    payment = factories.pay_cash(invoice)
    page = url("payment", "refund", payment.pk)
    data = form_as_shown(admin_client, page, amount="25.00", reason="Late start")

    send_twice_at_once(receive, signals.payment_refunded, admin_user, page, data)

    [refund] = Transaction.objects.refunds()
    assert refund.amount == Decimal("25.00")
    assert factories.reload(payment).amount_refunded == Decimal("25.00")
