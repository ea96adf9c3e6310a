"""A refund form sent twice at once (a double click) refunds once: real threads, real
row locks (PostgreSQL only). A partial refund is the case the services alone cannot
catch: the second £25 is still refundable, so only the form's one-time version token
tells it from a deliberate second refund."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from django_carepay import permissions, signals
from django_carepay.models import Transaction
from tests import factories
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, run_in_threads, successes
from tests.views.staff.conftest import make_staff
from tests.views.staff.support import form, payment_url, prefix

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_partial_refund_sent_twice_at_once_refunds_once(receive, django_user_model):
    manager = make_staff(django_user_model, "frank", permissions.ROLES["Billing manager"])
    appointment = factories.make_appointment()
    invoice = factories.make_invoice(subject=appointment)
    payment = factories.pay_cash(invoice)
    data = form(prefix(payment, "refund"), invoice, amount="25", reason="Late start")
    hold = HoldUntilBlocked(waiters=1)
    receive(signals.payment_refunded, sender=Appointment, action=hold)

    def post(i: int) -> int:
        client = Client()
        client.force_login(manager)
        return client.post(payment_url(payment, "refund"), data).status_code

    outcomes = run_in_threads(2, post)

    assert hold.overlapped
    assert sorted(successes(outcomes)) == [302, 409]
    [refund] = Transaction.objects.refunds()
    assert refund.amount == Decimal("25.00")
    assert factories.reload(payment).amount_refunded == Decimal("25.00")
