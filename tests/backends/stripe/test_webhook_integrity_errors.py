"""Bug 2: a delivery whose processing raises IntegrityError (e.g. in a host receiver)
is a failure like any other: stored as ``failed``, answered 500, never taken for a
duplicate. Only a ``processed`` or ``ignored`` row makes a delivery a duplicate."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client

from django_carepay import services, signals
from django_carepay.models import Invoice, Payment, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, ledger, make_event
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def succeeded(localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return payment, make_event("payment_intent.succeeded", intent)


@pytest.fixture
def host(receive):
    """A host receiver of payment_succeeded whose own unique constraint trips."""
    state = {"error": IntegrityError('duplicate key value violates "appointment_booking"')}

    def book(**kwargs):
        if state["error"] is not None:
            raise state["error"]

    receive(signals.payment_succeeded, sender=Appointment, action=book)
    return state


def stored(event):
    return WebhookEvent.objects.get(backend=ALIAS, event_id=event["id"])


def test_a_first_delivery_failing_with_integrity_error_is_stored_failed_and_answers_500(
        host, invoice, succeeded):
    payment, event = succeeded

    response = deliver(Client(raise_request_exception=False), event)

    assert response.status_code == 500
    row = stored(event)
    assert row.status == WebhookEvent.Status.FAILED
    assert "IntegrityError" in row.error and "appointment_booking" in row.error
    assert ledger(invoice) == []
    assert factories.reload(payment).status == Payment.Status.PENDING


def test_a_retry_failing_with_integrity_error_is_not_a_duplicate(host, invoice, succeeded):
    _payment, event = succeeded
    stripe_side = Client(raise_request_exception=False)
    host["error"] = RuntimeError("appointment system is down")
    assert deliver(stripe_side, event).status_code == 500
    assert stored(event).status == WebhookEvent.Status.FAILED
    host["error"] = IntegrityError('duplicate key value violates "appointment_booking"')

    retried = deliver(stripe_side, event)

    assert retried.status_code == 500
    row = stored(event)
    assert row.status == WebhookEvent.Status.FAILED
    assert "IntegrityError" in row.error
    assert ledger(invoice) == []

    host["error"] = None
    fixed = deliver(stripe_side, event)

    assert (fixed.status_code, fixed.content) == (200, b"processed")
    assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert stored(event).status == WebhookEvent.Status.PROCESSED
