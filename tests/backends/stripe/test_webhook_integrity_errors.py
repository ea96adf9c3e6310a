"""Bug 2: a delivery whose processing raises IntegrityError (e.g. in a host receiver)
is a failure like any other: stored as ``failed``, answered 500, never taken for a
duplicate. Only a ``processed`` or ``ignored`` row makes a delivery a duplicate."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client

from django_carepay import services, signals
from django_carepay.backends import get_backend
from django_carepay.exceptions import ProviderMismatch, ProviderNotReady
from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, ledger, make_event, paid_payment
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


def test_a_clash_in_the_charge_itself_is_stored_as_that_clash(invoice, succeeded):
    """The charge's own row meets a ledger row already holding its reference (a host's
    import, a hand-made row): the delivery fails with that IntegrityError, stored for
    staff, never taken for a concurrent delivery of the same event and retried until
    "kept being stored concurrently"."""
    payment, event = succeeded
    other = factories.make_invoice()
    cash = factories.pay_cash(other)
    Transaction.objects.create(
        invoice=other, payment=cash, kind=Transaction.Kind.CHARGE, amount=cash.amount,
        currency=cash.currency, backend=ALIAS, provider_reference=payment.provider_reference,
        note="imported by hand")

    response = deliver(Client(raise_request_exception=False), event)

    assert response.status_code == 500
    row = stored(event)
    assert row.status == WebhookEvent.Status.FAILED
    assert "IntegrityError" in row.error and "provider_ref" in row.error, row.error
    assert "concurrently" not in row.error
    assert ledger(invoice) == []
    assert factories.reload(payment).status == Payment.Status.PENDING


def mismatching_host(receive):
    def refuse(**kwargs):
        raise ProviderMismatch("the host refuses this payment")

    receive(signals.payment_succeeded, sender=Appointment, action=refuse)


def test_a_receiver_refusing_a_charge_fails_the_delivery(receive, invoice, succeeded):
    """A host receiver raising carepay's ProviderMismatch is a receiver's failure like
    any other: nothing is kept, the delivery is stored as failed (500), never an
    'ignored' event beside a charge it does not mention."""
    mismatching_host(receive)
    payment, event = succeeded

    response = deliver(Client(raise_request_exception=False), event)

    assert response.status_code == 500
    assert stored(event).status == WebhookEvent.Status.FAILED
    assert ledger(invoice) == []
    assert factories.reload(payment).status == Payment.Status.PENDING


def test_so_it_does_when_the_charge_is_fetched_for_a_refund(receive, localstripe, invoice):
    """The same with two updates in one delivery: a refund that came before its charge,
    whose charge is fetched from Stripe and applied first."""
    mismatching_host(receive)
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)  # payment_intent.succeeded is lost
    charge = localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]
    event = make_event("refund.updated", localstripe.dashboard_refund(charge["id"], 8000))

    response = deliver(Client(raise_request_exception=False), event)

    assert response.status_code == 500
    assert stored(event).status == WebhookEvent.Status.FAILED
    assert ledger(invoice) == []
    assert factories.reload(payment).status == Payment.Status.PENDING


def test_a_receiver_refusing_a_refund_fails_the_delivery(receive, localstripe, client,
                                                         invoice):
    """The same for the other kinds, whose signals go out while the update is applied:
    a receiver of payment_refunded raising ProviderMismatch once the refund is written
    fails the delivery; the refund is not kept under an event that does not say so."""
    payment = paid_payment(localstripe, invoice)

    def refuse(**kwargs):
        raise ProviderMismatch("the host refuses this refund")

    receive(signals.payment_refunded, sender=Appointment, action=refuse)
    charge = localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]
    event = make_event("refund.updated", localstripe.dashboard_refund(charge["id"], 3000))

    response = deliver(Client(raise_request_exception=False), event)

    assert response.status_code == 500
    assert stored(event).status == WebhookEvent.Status.FAILED
    assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
    assert factories.reload(payment).amount_refunded == 0


def test_a_receiver_saying_not_ready_fails_the_delivery_as_itself(
        receive, localstripe, invoice, monkeypatch):
    """A receiver of payment_refunded raising carepay's ProviderNotReady once the refund
    is written is the receiver's failure, not a refund that overtook its charge: the
    delivery fails with the receiver's words, and Stripe is not asked for the charge
    (which is recorded already)."""
    payment = paid_payment(localstripe, invoice)

    def not_yet(**kwargs):
        raise ProviderNotReady("the host's clinic system is down")

    receive(signals.payment_refunded, sender=Appointment, action=not_yet)
    asked = []
    backend_class = type(get_backend(ALIAS))
    monkeypatch.setattr(backend_class, "sync", lambda self, p: asked.append(p) or None)
    charge = localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]
    event = make_event("refund.updated", localstripe.dashboard_refund(charge["id"], 3000))

    response = deliver(Client(raise_request_exception=False), event)

    assert response.status_code == 500
    assert stored(event).status == WebhookEvent.Status.FAILED
    assert "the host's clinic system is down" in stored(event).error
    assert asked == []
    assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
    assert factories.reload(payment).amount_refunded == 0
