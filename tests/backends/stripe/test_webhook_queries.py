"""The webhook's statement budget (docs/architecture.md, docs/performance.md,
benchmarks/webhooks.py). On PostgreSQL a first ``payment_intent.succeeded`` that
settles its invoice costs at most 5 statements: the duplicate look-up, BEGIN, the
locking select, one statement writing the payment, the ledger charge, the invoice, the
audit entry and the event row, COMMIT (here SAVEPOINT/RELEASE stand for BEGIN/COMMIT,
since the tests run inside a transaction; the receipt e-mails after the
commit are given the committed rows and read none of them again); elsewhere each row
is its own statement (10). A duplicate costs 1: the look-up, outside any transaction.
Fixes in how deliveries are stored must not grow them. With
``CAREPAY["EMAIL_SENDING"] = "task"`` the receipt and the staff's notice cost three
more statements in the request (their task row, in a savepoint of the same
transaction), and no PDF."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.test import override_settings

from django_carepay import services
from django_carepay.models import AuditEntry, Invoice, Transaction, WebhookEvent
from tests.backends.stripe.support import ALIAS, deliver, make_event
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]

FIRST_DELIVERY = 5 if connection.vendor == "postgresql" else 10


@pytest.fixture
def succeeded(invoice):
    ContentType.objects.get_for_model(Appointment)  # warm, as on a running server
    payment = services.start_payment(invoice, backend=ALIAS)
    return make_event("payment_intent.succeeded", {
        "id": payment.provider_reference, "object": "payment_intent", "amount": 8000,
        "amount_received": 8000, "currency": "gbp", "status": "succeeded",
        "latest_charge": "ch_budget", "metadata": {"carepay_payment": str(payment.public_id)},
    })


def test_a_first_delivery_costs_at_most_5_statements_on_postgresql(
        client, succeeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(FIRST_DELIVERY):
        response = deliver(client, succeeded)

    assert (response.status_code, response.content) == (200, b"processed")
    assert Transaction.objects.charges().count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PROVIDER_UPDATE).count() == 1
    assert WebhookEvent.objects.get(event_id=succeeded["id"]).status == "processed"
    assert Invoice.objects.get().status == Invoice.Status.PAID


def test_a_duplicate_costs_1_statement(client, succeeded, django_assert_max_num_queries):
    deliver(client, succeeded)

    with django_assert_max_num_queries(1):
        response = deliver(client, succeeded)

    assert (response.status_code, response.content) == (200, b"duplicate")
    assert Transaction.objects.charges().count() == 1


def test_a_save_receiver_still_hears_every_row(client, succeeded):
    """The one-statement write skips Model.save(): with a pre_save or post_save receiver
    on one of its models, the rows are saved one by one, so the receiver runs."""
    saved = []

    def receiver(sender, instance, created, **kwargs):
        saved.append((sender.__name__, created))

    post_save.connect(receiver, sender=Transaction)
    post_save.connect(receiver, sender=Invoice)
    try:
        response = deliver(client, succeeded)
    finally:
        post_save.disconnect(receiver, sender=Transaction)
        post_save.disconnect(receiver, sender=Invoice)

    assert (response.status_code, response.content) == (200, b"processed")
    assert ("Transaction", True) in saved and ("Invoice", False) in saved
    assert Transaction.objects.charges().count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_receipt_queued_for_a_worker_costs_3_statements_more(
        client, succeeded, django_assert_max_num_queries):
    pytest.importorskip("django_tasks_db")
    from django_tasks_db.models import DBTaskResult

    with override_settings(
            CAREPAY={**settings.CAREPAY, "EMAIL_SENDING": "task",
                     "STAFF_NOTIFICATION_EMAILS": ["desk@clinic.example.com"]},
            TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        with django_assert_max_num_queries(FIRST_DELIVERY + 3):  # SAVEPOINT, row, RELEASE
            response = deliver(client, succeeded)

        assert (response.status_code, response.content) == (200, b"processed")
        assert mail.outbox == [] and DBTaskResult.objects.count() == 1
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0",
                     verbosity=0)

    assert [m.extra_headers["X-Carepay-Kind"] for m in mail.outbox] == \
        ["payment_receipt", "staff_payment_received"]
    assert mail.outbox[0].to == ["ada@example.com"]
