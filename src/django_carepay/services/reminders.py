"""Reminders of unpaid invoices along ``CAREPAY["REMINDER_SCHEDULE"]``, each step once."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..conf import carepay_settings
from ..emails import email_enabled, payer_email
from ..models import Invoice, InvoiceReminder
from ..types import DueReminder
from ._notify import _remind_after_commit


def due_reminders(*, today: date | None = None) -> list[DueReminder]:
    """The reminders due ``today``: one per open or overdue invoice with money due, an
    e-mail address and a due date, for the latest step of the schedule it has reached
    that it was not reminded at yet. Only the latest: an invoice that reached two steps
    since the last run (cron was down) gets one reminder, not a burst. A step up to
    the due date that fell on or before the day the invoice was issued is not sent
    (the invoice e-mail was); an invoice issued already overdue is reminded. Paid,
    void, written-off (uncollectible) and draft invoices are never due.
    """
    schedule = carepay_settings.REMINDER_SCHEDULE
    if not schedule:
        return []
    today = today or timezone.localdate()
    candidates = list(
        Invoice.objects.collectible()
        .filter(due_date__isnull=False, due_date__lte=today - timedelta(days=schedule[0]))
        .select_related("customer").order_by("due_date", "pk"))
    claimed = set(InvoiceReminder.objects.filter(invoice__in=[i.pk for i in candidates])
                  .values_list("invoice_id", "step"))
    due = []
    for invoice in candidates:
        assert invoice.due_date is not None  # filtered above
        days = (today - invoice.due_date).days
        step = max(s for s in schedule if s <= days)
        issued = timezone.localdate(invoice.issued_at) if invoice.issued_at else None
        recipient = payer_email(invoice)
        # A reminder before (or on) the due date that fell on or before the issue day
        # would repeat the invoice e-mail ("due in 3 days" for an invoice issued the
        # day before it is due); an invoice issued already late is reminded.
        too_early = step <= 0 and issued is not None \
            and invoice.due_date + timedelta(days=step) <= issued
        if (invoice.pk, step) in claimed or invoice.amount_due <= 0 or not recipient \
                or too_early:
            continue
        due.append(DueReminder(invoice=invoice, step=step, due_date=invoice.due_date,
                               recipient=recipient))
    return due


def send_due_reminders(*, today: date | None = None) -> list[DueReminder]:
    """Claim and send the reminders :func:`due_reminders` lists; return those claimed.

    Each is claimed first (an :class:`~django_carepay.models.InvoiceReminder` row,
    unique per invoice and step) in its own transaction and e-mailed when that
    commits, so two runs at once (cron overlapping itself) send each reminder once:
    the run that loses the insert skips it. Nothing is claimed while
    ``CAREPAY["EMAILS"]["invoice_reminder"]`` is off.
    """
    if not email_enabled("invoice_reminder"):
        return []
    claimed = []
    for due in due_reminders(today=today):
        try:
            with transaction.atomic():
                reminder = InvoiceReminder.objects.create(invoice=due.invoice, step=due.step)
                _remind_after_commit(reminder, today)
        except IntegrityError:
            continue  # another run claimed this step first; it sends it
        claimed.append(due)
    return claimed
