"""Management commands."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_carepay import services, signals
from django_carepay.models import Invoice, Payment
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


def mark_overdue(*args):
    out = StringIO()
    call_command("carepay_mark_overdue", *args, stdout=out)
    return out.getvalue()


class TestMarkOverdue:
    def test_moves_invoices_past_their_due_date_once(self, invoice, receive):
        overdue = receive(signals.invoice_overdue, sender=Appointment)
        day_after = (invoice.due_date + timedelta(days=1)).isoformat()

        assert mark_overdue("--today", day_after) == "1 invoice(s) marked overdue.\n"
        assert mark_overdue("--today", day_after) == "0 invoice(s) marked overdue.\n"

        assert factories.reload(invoice).status == Invoice.Status.OVERDUE
        assert overdue.count == 1

    def test_uses_today_by_default(self, invoice):
        yesterday = timezone.localdate() - timedelta(days=1)
        late = factories.make_invoice(due_date=yesterday)

        assert mark_overdue() == "1 invoice(s) marked overdue.\n"
        assert factories.reload(late).status == Invoice.Status.OVERDUE
        assert factories.reload(invoice).status == Invoice.Status.OPEN

    def test_refuses_a_bad_date(self, invoice):
        with pytest.raises(CommandError, match="'31/12/2030' is not a YYYY-MM-DD date"):
            mark_overdue("--today", "31/12/2030")

        assert factories.reload(invoice).status == Invoice.Status.OPEN


@pytest.mark.django_db
def test_a_payment_whose_page_was_just_reloaded_is_not_abandoned(invoice):
    payment = factories.start_online(invoice)
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(days=2),
        updated_at=timezone.now() - timedelta(days=2))
    factories.start_online(invoice)  # the payer opens the pay page again: same payment

    assert services.cancel_abandoned_payments(older_than=timedelta(hours=24)) == 0
    assert factories.reload(payment).status == Payment.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["carepay_mark_overdue", "carepay_send_reminders"])
def test_a_malformed_today_is_a_clear_error(command):
    with pytest.raises(CommandError, match="is not a YYYY-MM-DD date"):
        call_command(command, today="29/11/2026")
