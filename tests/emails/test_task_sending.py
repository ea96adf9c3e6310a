"""``CAREPAY["EMAIL_SENDING"] = "task"``: carepay's e-mails are queued for a worker of
Django's tasks framework instead of being rendered and sent in the request that
committed the money. With the database backend the task row commits with the money
(a rolled-back payment queues nothing); the worker sends in the language that was
active, and a message the mail server refused (a real SMTP server, aiosmtpd) is tried
again after a back-off, alone. These tests commit for real."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pypdf
import pytest
from django.conf import settings
from django.core import mail
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone, translation

from django_carepay import services, signals
from django_carepay.models import InvoiceReminder, Payment, Transaction
from tests import factories
from tests.emails.support import kinds, sent, smtp_server
from tests.testapp.models import Appointment

pytest.importorskip("django_tasks_db")

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
STAFF = "desk@clinic.example.com"


def carepay(**changes: Any) -> Any:
    return override_settings(CAREPAY={**settings.CAREPAY, "EMAIL_SENDING": "task",
                                      "STAFF_NOTIFICATION_EMAILS": [STAFF], **changes})


@pytest.fixture
def email_tasks() -> Iterator[None]:
    """E-mails queued to the database task backend: they wait for a worker."""
    with carepay(), override_settings(TASKS=DATABASE_TASKS):
        yield


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0",
                 verbosity=0)


def task_rows() -> list[Any]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.order_by("enqueued_at"))


def record_cash(invoice: Any, staff: Any) -> Payment:
    return services.record_payment(invoice, backend="cash", by=staff)


@pytest.mark.usefixtures("email_tasks")
class TestTheDatabaseBackend:
    def test_a_payment_queues_its_receipt_and_notice_as_one_task(self, invoice, staff):
        payment = record_cash(invoice, staff)

        assert mail.outbox == []  # nothing rendered nor sent by the request
        [row] = task_rows()
        charge = Transaction.objects.charges().get()
        assert row.status == "READY"
        assert row.args_kwargs["args"][0] == [["send_payment_receipt", [charge.pk]],
                                              ["send_staff_payment_received", [charge.pk]]]

        run_worker()

        assert kinds() == ["payment_receipt", "staff_payment_received"]
        receipt = sent("payment_receipt")[0]
        assert receipt.to == ["ada@example.com"]
        [(name, content, mimetype)] = receipt.attachments  # rendered by the worker
        assert name.startswith(f"receipt-{invoice.number}-") and mimetype == "application/pdf"
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
        assert invoice.number in text
        assert sent("staff_payment_received")[0].to == [STAFF]
        assert [r.status for r in task_rows()] == ["SUCCESSFUL"]
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED

    def test_a_rolled_back_payment_queues_nothing(self, invoice, staff, receive):
        def refuse(**kwargs: Any) -> None:
            raise RuntimeError("the host's booking is gone")

        receive(signals.payment_succeeded, sender=Appointment, action=refuse)
        with pytest.raises(RuntimeError):
            record_cash(invoice, staff)

        assert task_rows() == [] and mail.outbox == []
        assert not Transaction.objects.exists()

    def test_the_worker_writes_in_the_language_that_was_active(self, invoice, staff):
        with translation.override("de"):
            record_cash(invoice, staff)

        run_worker()

        assert sent("payment_receipt")[0].subject.startswith("Quittung: ")

    def test_kinds_switched_off_queue_nothing(self, invoice, staff):
        with carepay(EMAILS={"payment_receipt": False, "staff_payment_received": False}):
            record_cash(invoice, staff)

        assert task_rows() == []

    def test_a_kind_switched_off_is_left_out_of_the_task(self, invoice, staff):
        with carepay(EMAILS={"staff_payment_received": False}):
            record_cash(invoice, staff)

        [row] = task_rows()
        assert [name for name, _args in row.args_kwargs["args"][0]] == ["send_payment_receipt"]

    def test_a_reminder_is_sent_by_the_worker_and_marked_sent(self, invoice):
        invoice.due_date = timezone.localdate() - timedelta(days=7)
        invoice.save(update_fields=["due_date"])
        call_command("carepay_send_reminders", verbosity=0)

        reminder = InvoiceReminder.objects.get()
        assert reminder.sent_at is None and mail.outbox == []
        run_worker()

        assert kinds() == ["invoice_reminder"]
        assert "7" in sent("invoice_reminder")[0].body  # days late, as the worker counts them
        assert InvoiceReminder.objects.get().sent_at is not None


    def test_an_invoice_voided_before_the_worker_runs_is_not_mailed(self, draft):
        invoice = services.issue_invoice(draft, send_email=True)
        services.void_invoice(invoice, reason="issued by mistake")

        run_worker()

        assert mail.outbox == []
        assert [r.status for r in task_rows()] == ["SUCCESSFUL"]


# -- queueing never undoes money ---------------------------------------------------------

REFUSING_QUEUES = {"default": {**DATABASE_TASKS["default"], "QUEUES": ["webhooks"]}}


def test_a_refund_stays_recorded_when_its_email_cannot_be_queued(invoice, caplog):
    """The provider's refund is made inside the transaction; a backend that refuses the
    e-mail's task (its queue) must not undo its record. The e-mail goes on commit."""
    payment = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(payment))
    mail.outbox.clear()
    with carepay(), override_settings(TASKS=REFUSING_QUEUES):
        services.refund_payment(payment)

    assert Transaction.objects.filter(kind=Transaction.Kind.REFUND).count() == 1
    assert kinds() == ["refund_issued"]  # sent on commit instead
    assert task_rows() == []
    assert "Could not queue the e-mails" in caplog.text


def test_a_payment_stays_recorded_when_the_task_table_is_missing(invoice, staff, caplog):
    from django_tasks_db.models import DBTaskResult

    with connection.schema_editor() as editor:
        editor.delete_model(DBTaskResult)
    try:
        with carepay(), override_settings(TASKS=DATABASE_TASKS):
            payment = record_cash(invoice, staff)
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(DBTaskResult)

    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
    assert Transaction.objects.charges().count() == 1
    assert kinds() == ["payment_receipt", "staff_payment_received"]
    assert "Could not queue the e-mails" in caplog.text


def test_the_check_warns_when_the_backend_refuses_the_queue():
    with override_settings(TASKS=REFUSING_QUEUES):
        assert "carepay.W051" in _ids(EMAIL_SENDING="task")


# -- a real mail server that refuses, then takes the message ---------------------------

class RefuseThePayer:
    """Refuses the payer's address while ``down``; accepts everything else."""

    def __init__(self, payer: str) -> None:
        self.payer, self.down = payer, True
        self.code = "451 4.3.0 Mailbox temporarily unavailable"
        self.delivered: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if self.down and address == self.payer:
            return self.code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.extend(envelope.rcpt_tos)
        return "250 Message accepted"


@pytest.fixture
def smtp(email_tasks, settings: Any) -> Iterator[RefuseThePayer]:
    with smtp_server(RefuseThePayer("ada@example.com"), settings) as handler:
        yield handler


def test_a_receipt_refused_for_good_is_not_tried_again(smtp, invoice, staff, caplog):
    smtp.code = "550 5.1.1 No such mailbox"
    record_cash(invoice, staff)

    run_worker()

    assert smtp.delivered == [STAFF]
    [row] = task_rows()  # no retry queued; the task records the loss
    assert row.status == "FAILED" and "EmailsNotSent" in str(row.exception_class_path)
    assert "failed for good and is not tried again" in caplog.text


def test_a_refused_receipt_is_tried_again_after_a_back_off_alone(smtp, invoice, staff,
                                                                   caplog):
    caplog.set_level(logging.WARNING, logger="django_carepay")
    record_cash(invoice, staff)
    before = timezone.now()

    run_worker()

    assert smtp.delivered == [STAFF]  # the staff's notice went; the receipt was refused
    assert f"Could not send the payment_receipt e-mail for invoice {invoice.number}" \
        in caplog.text and "451" in caplog.text
    first, retry = task_rows()
    assert first.status == "FAILED" and "EmailsNotSent" in str(first.exception_class_path)
    assert retry.status == "READY" and retry.run_after >= before + timedelta(seconds=59)
    charge = Transaction.objects.charges().get()
    assert retry.args_kwargs["args"] == [[["send_payment_receipt", [charge.pk]]],
                                         first.args_kwargs["args"][1], 2]

    smtp.down = False
    type(retry).objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()

    assert smtp.delivered == [STAFF, "ada@example.com"]  # each once
    assert [r.status for r in task_rows()] == ["FAILED", "SUCCESSFUL"]


# -- the immediate backend: sent once the transaction commits ---------------------------

def test_the_immediate_backend_sends_on_commit_not_before(invoice, staff):
    with carepay():
        with transaction.atomic():
            record_cash(invoice, staff)
            assert mail.outbox == []
        assert kinds() == ["payment_receipt", "staff_payment_received"]


def test_with_the_immediate_backend_a_rollback_sends_nothing(invoice, staff):
    with carepay(), pytest.raises(RuntimeError), transaction.atomic():
        record_cash(invoice, staff)
        raise RuntimeError("the caller gives up")

    assert mail.outbox == []
    assert not Transaction.objects.exists()


# -- configuration ----------------------------------------------------------------------

def _ids(**changes: Any) -> set[str]:
    with override_settings(CAREPAY={**settings.CAREPAY, **changes}):
        return {str(m.id) for m in run_checks() if str(m.id).startswith("carepay.")}


def test_a_mode_that_is_not_one_is_an_error():
    assert "carepay.E051" in _ids(EMAIL_SENDING="later")


def test_task_mode_without_a_task_backend_warns():
    with override_settings(TASKS={"default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        assert "carepay.W051" in _ids(EMAIL_SENDING="task")
    assert "carepay.W051" not in _ids(EMAIL_SENDING="task")
    assert not {"carepay.E051", "carepay.W051"} & _ids()
