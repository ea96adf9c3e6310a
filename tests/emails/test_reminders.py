"""``carepay_send_reminders``: along ``CAREPAY["REMINDER_SCHEDULE"]`` (default
``[-3, 0, 7, 14]`` days from the due date), at most one e-mail per step per invoice,
only to invoices that still expect money and have an address. ``--today`` stands in for
the date cron runs it on."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models.signals import post_save

from django_carepay import services
from django_carepay.adapter import DefaultCarepayAdapter
from django_carepay.models import InvoiceReminder
from tests import factories
from tests.emails.support import html_of, kinds
from tests.threads import HoldUntilBlocked, errors, run_in_threads

DUE = date(2030, 3, 31)


def remind(on: date, *args: str) -> str:
    out = io.StringIO()
    call_command("carepay_send_reminders", f"--today={on.isoformat()}", *args, stdout=out)
    return out.getvalue()


def due_invoice(customer, due_date=DUE, **kwargs):
    return factories.make_invoice(customer=customer, due_date=due_date, **kwargs)


def steps(invoice) -> list[int]:
    return sorted(invoice.reminders.values_list("step", flat=True))


@pytest.mark.django_db(transaction=True)
class TestSchedule:
    def test_each_step_once(self, patient):
        invoice = due_invoice(patient)

        assert remind(DUE - timedelta(days=4)).endswith("0 reminder(s) sent.\n")
        first = remind(DUE - timedelta(days=3))
        again = remind(DUE - timedelta(days=2))  # still step -3: already sent
        remind(DUE)
        remind(DUE + timedelta(days=7))
        remind(DUE + timedelta(days=14))
        remind(DUE + timedelta(days=40))

        assert f"reminded {invoice.number} (ada@example.com): 3 day(s) before" in first
        assert again.endswith("0 reminder(s) sent.\n")
        assert steps(invoice) == [-3, 0, 7, 14]
        assert len(mail.outbox) == 4
        assert all(m.to == ["ada@example.com"] for m in mail.outbox)
        assert all(r.sent_at for r in invoice.reminders.all())
        soon, today, late, later = mail.outbox
        assert soon.subject == f"Reminder: invoice {invoice.number} is due on 31 March"
        assert "is due in 3 days, on 31 March 2030" in soon.body
        assert today.subject == f"Due today: invoice {invoice.number}, £80.00"
        assert late.subject == f"Overdue: invoice {invoice.number}, £80.00"
        assert "is 7 days overdue" in late.body
        assert "/billing/link/" in late.body
        assert "is 7 days overdue" in html_of(late)
        assert "14 days overdue" in later.body

    def test_a_run_after_an_outage_sends_the_latest_step_only(self, patient):
        invoice = due_invoice(patient)

        remind(DUE + timedelta(days=20))

        assert steps(invoice) == [14]
        assert kinds() == ["invoice_reminder"]

    def test_a_step_on_or_before_the_issue_day_is_skipped(self, patient):
        # Issued today, due tomorrow: "due in 3 days" would be wrong and the invoice
        # e-mail is a day old.
        from django.utils import timezone

        today = timezone.localdate()
        invoice = due_invoice(patient, due_date=today + timedelta(days=1))

        remind(today)
        remind(today + timedelta(days=1))

        assert steps(invoice) == [0]

    def test_an_invoice_issued_already_overdue_is_reminded(self, patient):
        from django.utils import timezone

        today = timezone.localdate()
        invoice = due_invoice(patient, due_date=today - timedelta(days=10))

        remind(today)

        assert steps(invoice) == [7]

    def test_a_custom_schedule(self, settings, patient):
        settings.CAREPAY = {**settings.CAREPAY, "REMINDER_SCHEDULE": [30, 1]}
        invoice = due_invoice(patient)

        remind(DUE)
        remind(DUE + timedelta(days=1))
        remind(DUE + timedelta(days=30))

        assert steps(invoice) == [1, 30]


@pytest.mark.django_db(transaction=True)
class TestWhoIsReminded:
    def test_not_paid_void_written_off_drafts_or_without_address(self, patient,
                                                                  django_user_model):
        paid = due_invoice(patient)
        factories.pay_cash(paid)
        void = due_invoice(patient)
        services.void_invoice(void, reason="Booked twice")
        written_off = due_invoice(patient)
        services.write_off_invoice(written_off, reason="Moved abroad")
        due_invoice(patient, issue=False)  # a draft
        nobody = django_user_model.objects.create_user("noaddress", password="pw")
        due_invoice(nobody)
        mail.outbox.clear()

        output = remind(DUE + timedelta(days=7))

        assert output == "0 reminder(s) sent.\n"
        assert not InvoiceReminder.objects.exists()
        assert mail.outbox == []

    def test_a_partly_paid_invoice_is_reminded_of_what_is_left(self, patient):
        invoice = due_invoice(patient)
        factories.pay_cash(invoice, "30.00")
        mail.outbox.clear()

        remind(DUE + timedelta(days=7))

        [message] = mail.outbox
        assert message.subject == f"Overdue: invoice {invoice.number}, £50.00"

    def test_dry_run_lists_and_changes_nothing(self, patient):
        invoice = due_invoice(patient)

        output = remind(DUE + timedelta(days=7), "--dry-run")

        assert output == (f"would remind {invoice.number} (ada@example.com): 7 day(s) after "
                          "the due date 2030-03-31\n1 reminder(s) would be sent (dry run).\n")
        assert not InvoiceReminder.objects.exists()
        assert mail.outbox == []

    def test_switched_off_sends_and_claims_nothing(self, settings, patient):
        settings.CAREPAY = {**settings.CAREPAY, "EMAILS": {"invoice_reminder": False}}
        due_invoice(patient)

        assert "Reminders are off" in remind(DUE)
        assert not InvoiceReminder.objects.exists()


class RefusingAdapter(DefaultCarepayAdapter):
    def send_message(self, message, *, kind, invoice):
        raise ConnectionRefusedError("the mail server is down")


@pytest.mark.django_db(transaction=True)
def test_a_reminder_the_server_refused_is_recorded_unsent_and_not_retried(
        settings, patient, caplog):
    settings.CAREPAY = {**settings.CAREPAY,
                        "ADAPTER": f"{__name__}.RefusingAdapter"}
    invoice = due_invoice(patient)

    remind(DUE)
    remind(DUE)

    [reminder] = InvoiceReminder.objects.all()
    assert (reminder.step, reminder.sent_at) == (0, None)
    assert f"Could not send the invoice_reminder e-mail for invoice {invoice.number}" \
        in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_each_invoice_once_per_step(patient):
    invoices = [due_invoice(patient) for _ in range(3)]
    # The first claim keeps its transaction open until the other run is blocked on
    # the same (invoice, step): the race really overlaps.
    hold = HoldUntilBlocked(1)
    post_save.connect(hold, sender=InvoiceReminder, weak=False)
    try:
        outcomes = run_in_threads(2, lambda i: remind(DUE + timedelta(days=7)))
    finally:
        post_save.disconnect(hold, sender=InvoiceReminder)

    assert errors(outcomes) == []
    assert hold.overlapped
    assert sorted(InvoiceReminder.objects.values_list("invoice_id", "step")) == sorted(
        (invoice.pk, 7) for invoice in invoices)
    assert len(mail.outbox) == 3
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f"Overdue: invoice {invoice.number}, £80.00" for invoice in invoices)
