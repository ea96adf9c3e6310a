"""``CAREPAY["WEBHOOK_PROCESSING"] = "task"``: the view verifies, stores the delivery as
``received`` and answers 200; a task applies it with the synchronous path's guarantees
(one credit, retries safe, receivers inside the transaction, failures stored and
retried with back-off). Run with the immediate backend (in the request) and with the
database backend and its worker run in-process."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from django_carepay import services, signals
from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, ledger, make_event
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def succeeded(localstripe, card_backend, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return payment, make_event("payment_intent.succeeded", intent)


def stored(event):
    return WebhookEvent.objects.get(backend=ALIAS, event_id=event["id"])


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0",
                 verbosity=0)


class Outage:
    def __init__(self) -> None:
        self.down = True

    def __call__(self, **kwargs):
        if self.down:
            raise RuntimeError("the host's booking database is away")


# -- the immediate backend: the task runs as it is queued -----------------------------

@pytest.mark.usefixtures("task_mode")
class TestImmediateBackend:
    def test_a_delivery_is_stored_answered_and_applied_once(self, client, succeeded,
                                                            invoice, receive):
        payment, event = succeeded
        paid = receive(signals.invoice_paid, sender=Appointment)

        first = deliver(client, event)
        again = deliver(client, event)

        assert (first.status_code, first.content) == (200, b"received")
        assert (again.status_code, again.content) == (200, b"duplicate")
        assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]
        assert factories.reload(invoice).status == Invoice.Status.PAID
        row = stored(event)
        assert (row.status, row.attempts, row.payload) == ("processed", 1, event)
        assert row.headers["Stripe-Signature"].startswith("t=")
        assert paid.count == 1

    def test_a_receiver_failure_rolls_back_is_stored_and_replays_once(
            self, client, succeeded, invoice, receive):
        payment, event = succeeded
        outage = Outage()
        receive(signals.invoice_paid, sender=Appointment, action=outage)

        response = deliver(client, event)

        assert (response.status_code, response.content) == (200, b"received")
        assert ledger(invoice) == []  # the receiver runs inside the transaction
        assert factories.reload(payment).status == Payment.Status.PENDING
        row = stored(event)
        assert (row.status, row.attempts) == ("failed", 1)
        assert "booking database is away" in row.error

        outage.down = False
        services.replay_webhooks(WebhookEvent.objects.filter(pk=row.pk))
        services.replay_webhooks(WebhookEvent.objects.filter(pk=row.pk))
        assert len(ledger(invoice)) == 1
        assert stored(event).status == "processed"

    def test_a_redelivery_of_a_failed_event_is_applied(self, client, succeeded, invoice,
                                                       receive):
        _payment, event = succeeded
        outage = Outage()
        receive(signals.invoice_paid, sender=Appointment, action=outage)
        deliver(client, event)
        outage.down = False

        assert deliver(client, event).content == b"received"

        assert len(ledger(invoice)) == 1
        assert stored(event).attempts == 2

    def test_a_bad_signature_is_still_refused_and_nothing_stored(self, client, succeeded):
        _payment, event = succeeded
        response = deliver(client, event, secret="whsec_wrong")

        assert response.status_code == 400
        assert not WebhookEvent.objects.exists()

    def test_refund_events_ask_stripe_in_the_task_not_in_the_view(
            self, client, localstripe, succeeded, invoice):
        payment, event = succeeded
        deliver(client, event)
        charge = localstripe.get(f"payment_intents/{payment.provider_reference}")[
            "latest_charge"]["id"]
        refund = localstripe.dashboard_refund(charge, 3000)

        response = deliver(client, make_event("charge.refunded",
                                              localstripe.get(f"charges/{charge}")))

        assert response.content == b"received"
        assert ledger(invoice)[1:] == [("refund", Decimal("30.00"), refund["id"])]


# -- the database backend and its worker ----------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("database_tasks")
class TestDatabaseBackend:
    def test_the_view_answers_before_the_worker_applies_it_once(self, client, succeeded,
                                                                invoice):
        payment, event = succeeded

        responses = [deliver(client, event) for _ in range(3)]  # Stripe retrying

        assert {r.content for r in responses} == {b"received"}
        assert stored(event).status == "received"
        assert ledger(invoice) == []

        run_worker()

        assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]
        assert stored(event).status == "processed"
        assert deliver(client, event).content == b"duplicate"
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_a_failure_is_stored_and_retried_after_a_back_off(self, client, succeeded,
                                                              invoice, receive):
        from django_tasks_db.models import DBTaskResult

        _payment, event = succeeded
        outage = Outage()
        receive(signals.invoice_paid, sender=Appointment, action=outage)
        deliver(client, event)

        before = timezone.now()
        run_worker()

        assert ledger(invoice) == []
        row = stored(event)
        assert (row.status, row.attempts) == ("failed", 1)
        retry = DBTaskResult.objects.filter(status="READY").get()
        assert retry.run_after >= before + timedelta(seconds=29)
        assert retry.args_kwargs["args"] == [row.pk]

        outage.down = False
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        run_worker()

        assert len(ledger(invoice)) == 1
        assert (stored(event).status, stored(event).attempts) == ("processed", 2)
        assert Transaction.objects.count() == 1

    def test_the_event_and_its_task_commit_together(self, client, succeeded, monkeypatch):
        """With the database backend the event and its task are one transaction: a
        failure to queue stores nothing (500, Stripe delivers again), and the next
        delivery stores and queues it."""
        from django_tasks_db.models import DBTaskResult

        from django_carepay import tasks

        _payment, event = succeeded
        queue = tasks.enqueue_webhook

        def queue_then_fail(row, **kwargs):
            queue(row, **kwargs)  # the task row is written, then the queueing fails
            raise RuntimeError("the task table is away")

        monkeypatch.setattr(tasks, "enqueue_webhook", queue_then_fail)
        with pytest.raises(RuntimeError):
            deliver(client, event)

        assert not WebhookEvent.objects.filter(event_id=event["id"]).exists()
        assert not DBTaskResult.objects.exists()

        monkeypatch.setattr(tasks, "enqueue_webhook", queue)
        assert deliver(client, event).content == b"received"
        assert stored(event).status == "received"
        assert DBTaskResult.objects.get().args_kwargs["args"] == [stored(event).pk]


# -- configuration --------------------------------------------------------------------

def _ids(**carepay):
    from django.conf import settings

    with override_settings(CAREPAY={**settings.CAREPAY, **carepay}):
        return {m.id for m in run_checks() if str(m.id).startswith("carepay.")}


def test_task_mode_without_a_task_backend_warns(settings):
    del settings.TASKS

    assert "carepay.W050" in _ids(WEBHOOK_PROCESSING="task")
    assert "carepay.W050" not in _ids(WEBHOOK_PROCESSING="sync")


def test_task_mode_with_the_dummy_backend_warns(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    assert "carepay.W050" in _ids(WEBHOOK_PROCESSING="task")


def test_task_mode_with_a_backend_is_fine():
    assert not {"carepay.W050", "carepay.E050"} & _ids(WEBHOOK_PROCESSING="task")


def test_an_unknown_mode_is_an_error():
    assert "carepay.E050" in _ids(WEBHOOK_PROCESSING="celery")


@pytest.mark.usefixtures("database_tasks")
def test_acknowledging_costs_2_statements_on_postgresql(client, invoice,
                                                         django_assert_max_num_queries):
    """Verify, store (one INSERT … ON CONFLICT DO NOTHING on PostgreSQL), queue (one
    INSERT of the task); elsewhere the store takes a savepoint (4)."""
    from django.db import connection

    event = make_event("payment_intent.succeeded", {
        "id": "pi_ack", "object": "payment_intent", "amount": 8000, "amount_received": 8000,
        "currency": "gbp", "status": "succeeded", "metadata": {}})
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 4):
        response = deliver(client, event)

    assert (response.status_code, response.content) == (200, b"received")
    assert WebhookEvent.objects.get(event_id=event["id"]).status == "received"
