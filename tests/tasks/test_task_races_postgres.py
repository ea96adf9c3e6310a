"""Task mode under concurrency (PostgreSQL, real threads and row locks): workers, replays
and Stripe's redeliveries racing over one stored delivery credit it once, and a
settled event row is never overwritten by a stale run."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from django_carepay import services, signals
from django_carepay.models import AuditEntry, Invoice, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, make_event
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def received(localstripe, card_backend, invoice):
    """A paid intent's ``payment_intent.succeeded``, stored as received (not applied)."""
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    event = make_event("payment_intent.succeeded", localstripe.get(
        f"payment_intents/{payment.provider_reference}"))
    row, _ = services.store_webhook(ALIAS, event_id=event["id"], event_type=event["type"],
                                    payload=event)
    return row


def threaded_worker(worker_id: str):
    """The database backend's worker (``manage.py db_worker --batch``) for a thread:
    signal handlers can only be set in the main thread, so it sets none."""
    from django_tasks_db.management.commands.db_worker import Worker

    class ThreadWorker(Worker):
        def configure_signals(self) -> None:
            pass

    return ThreadWorker(queue_names=["default"], interval=0, batch=True,
                        backend_name="default", startup_delay=False, max_tasks=None,
                        worker_id=worker_id, excluded_queue_names=[])


def assert_paid_once(invoice, succeeded):
    assert Transaction.objects.charges().count() == 1
    assert succeeded.count == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PROVIDER_UPDATE).count() == 1
    stored = factories.reload(invoice)
    assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))


@pytest.mark.usefixtures("task_mode")
def test_two_workers_on_one_delivery_credit_it_once(receive, invoice, received):
    from django_carepay.tasks import process_webhook_event

    hold = HoldUntilBlocked(1)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)

    outcomes = run_in_threads(2, lambda i: process_webhook_event.call(received.pk))

    assert hold.overlapped
    assert errors(outcomes) == []
    assert sorted(successes(outcomes)) == ["duplicate", "processed"]
    assert_paid_once(invoice, succeeded)
    row = factories.reload(received)
    assert (row.status, row.attempts) == (WebhookEvent.Status.PROCESSED, 2)


def test_a_replay_racing_a_worker_credits_once(receive, invoice, received):
    hold = HoldUntilBlocked(1)
    succeeded = receive(signals.payment_succeeded, sender=Appointment, action=hold)

    outcomes = run_in_threads(2, lambda i: services.replay_webhooks(
        WebhookEvent.objects.filter(pk=received.pk)) if i else
        services.process_stored_webhook(received))

    assert hold.overlapped
    assert errors(outcomes) == []
    assert_paid_once(invoice, succeeded)


def test_a_stale_run_never_clears_a_flag_the_first_run_set(receive, localstripe, invoice,
                                                           card_backend):
    """A refund that failed at Stripe: the first run records the reversal and flags the
    event for staff; a concurrent run finds nothing left to do and must not store its
    own (unflagged) outcome over that."""
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    services.apply_provider_update(card_backend.sync(payment))
    payment.refresh_from_db()
    refund = services.refund_payment(payment)
    failed = {**localstripe.get(f"refunds/{refund.provider_reference}"), "status": "failed",
              "failure_reason": "expired_or_canceled_card"}
    event = make_event("refund.failed", failed)
    row, _ = services.store_webhook(ALIAS, event_id=event["id"], event_type=event["type"],
                                    payload=event)
    hold = HoldUntilBlocked(1)
    receive(signals.payment_refund_reversed, sender=Appointment, action=hold)

    outcomes = run_in_threads(2, lambda i: services.process_stored_webhook(row))

    assert hold.overlapped
    assert errors(outcomes) == []
    stored = factories.reload(row)
    assert (stored.status, stored.needs_attention) == (WebhookEvent.Status.PROCESSED, True)
    assert Transaction.objects.filter(kind="refund_reversal").count() == 1


@pytest.mark.usefixtures("database_tasks")
def test_eight_senders_and_two_workers_credit_once(invoice, localstripe, card_backend):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    event = make_event("payment_intent.succeeded", localstripe.get(
        f"payment_intents/{payment.provider_reference}"))

    answers = run_in_threads(8, lambda i: deliver(Client(raise_request_exception=False),
                                                  event).status_code)
    workers = run_in_threads(2, lambda i: threaded_worker(f"worker-{i}").run())

    assert successes(answers) == [200] * 8
    assert errors(workers) == []
    assert Transaction.objects.charges().count() == 1
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
