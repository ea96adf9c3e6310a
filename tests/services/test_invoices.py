"""Invoice services: drafts, totals, issuing and numbering, e-mail, void, write-off,
overdue."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from django_carepay import services, signals
from django_carepay.backends import UpdateKind
from django_carepay.exceptions import CarepayError, InvalidAmount, InvalidState
from django_carepay.models import Invoice, InvoiceLine, Payment
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


def this_year() -> int:
    return timezone.localdate().year


class TestCreateInvoice:
    def test_creates_a_draft_with_lines(self, patient, appointment):
        invoice = services.create_invoice(
            customer=patient, subject=appointment, due_date=date(2030, 1, 31),
            lines=[
                {"description": "GP consultation", "unit_price": "80.00",
                 "service_date": date(2030, 1, 2), "provider_name": "Dr Jones"},
                {"description": "Blood test", "unit_price": Decimal("25"), "quantity": 2},
            ],
            billing={"name": "Ada L.", "country": "gb"}, metadata={"practice": "north"},
            notes="Thank you",
        )

        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.DRAFT
        assert stored.number is None
        assert stored.currency == "GBP"
        assert stored.customer == patient
        assert stored.subject == appointment
        assert stored.due_date == date(2030, 1, 31)
        assert (stored.billing_name, stored.billing_country) == ("Ada L.", "GB")
        assert stored.metadata == {"practice": "north"}
        assert stored.notes == "Thank you"
        assert stored.total == Decimal("130.00")
        lines = list(stored.lines.all())
        assert [(line.position, line.description, line.quantity, line.line_total)
                for line in lines] == [
            (0, "GP consultation", Decimal("1"), Decimal("80.00")),
            (1, "Blood test", Decimal("2"), Decimal("50.00")),
        ]
        assert (lines[0].service_date, lines[0].provider_name) == (date(2030, 1, 2), "Dr Jones")

    def test_currency_defaults_to_the_setting_and_is_upper_cased(self, settings):
        assert services.create_invoice().currency == "GBP"
        assert services.create_invoice(currency="eur").currency == "EUR"

    def test_add_line_updates_the_totals(self, draft):
        line = services.add_line(draft, description="Dressing", unit_price="12.50",
                                 tax_rate=20)

        assert line.position == 1
        assert (draft.subtotal, draft.tax, draft.total) == (
            Decimal("92.50"), Decimal("2.50"), Decimal("95.00"))
        stored = factories.reload(draft)
        assert stored.total == Decimal("95.00")
        assert stored.lines.count() == 2

    def test_lines_are_frozen_once_issued(self, invoice, nothing_changes):
        with nothing_changes(invoice), pytest.raises(InvalidState, match="frozen"):
            services.add_line(invoice, description="Extra", unit_price="1.00")

    @pytest.mark.parametrize(("line", "error", "message"), [
        ({"description": "", "unit_price": "1"}, CarepayError, "needs a description"),
        ({"description": "x", "unit_price": "1", "quantity": 0}, InvalidAmount, "Quantity"),
        ({"description": "x", "unit_price": "1", "quantity": "0.0001"}, InvalidAmount,
         "Quantity"),
        ({"description": "x", "unit_price": "-1"}, InvalidAmount, "positive"),
        ({"description": "x", "unit_price": "1.001"}, InvalidAmount, "decimal places"),
        ({"description": "x", "unit_price": 1.5}, InvalidAmount, "float"),
        ({"description": "x", "unit_price": "1", "tax_rate": 101}, InvalidAmount, "Tax rate"),
        ({"description": "x", "unit_price": "1", "tax_rate": -1}, InvalidAmount, "Tax rate"),
    ])
    def test_bad_lines_are_refused(self, line, error, message, nothing_changes):
        with nothing_changes(), pytest.raises(error, match=message):
            services.create_invoice(lines=[factories.CONSULTATION, line])

    def test_bad_line_on_add_line_changes_nothing(self, draft, nothing_changes):
        with nothing_changes(draft), pytest.raises(InvalidAmount):
            services.add_line(draft, description="x", unit_price="0.001")

    def test_unknown_billing_field_is_refused(self, nothing_changes):
        with nothing_changes(), pytest.raises(CarepayError, match=r"Unknown billing field.*phone"):
            services.create_invoice(billing={"phone": "123"})

    def test_unsaved_subject_is_refused(self, nothing_changes):
        with nothing_changes(), pytest.raises(CarepayError, match="must be saved"):
            services.create_invoice(subject=Appointment(id=None))


class TestTotals:
    def test_quantities_and_tax_rates(self):
        invoice = factories.make_invoice(issue=False, lines=[
            {"description": "Consultation", "unit_price": "80.00"},
            {"description": "Vaccine", "unit_price": "12.50", "quantity": 3, "tax_rate": 20},
            {"description": "Travel pack", "unit_price": "9.99", "quantity": "1.5",
             "tax_rate": "5"},
        ])

        # 80.00 + 37.50 + 14.985→14.99; tax 7.50 + 0.7495→0.75
        assert invoice.subtotal == Decimal("132.49")
        assert invoice.tax == Decimal("8.25")
        assert invoice.total == Decimal("140.74")

    @pytest.mark.parametrize(("line", "line_total", "tax"), [
        # 0.5 x 0.05 = 0.025: half-up gives 0.03 (banker's rounding would give 0.02)
        ({"unit_price": "0.05", "quantity": "0.5"}, "0.03", "0"),
        # 2.50 x 5% = 0.125: half-up gives 0.13
        ({"unit_price": "2.50", "tax_rate": 5}, "2.50", "0.13"),
        # 10.05 x 17.5% = 1.75875
        ({"unit_price": "10.05", "tax_rate": "17.5"}, "10.05", "1.76"),
    ])
    def test_rounding_is_half_up_per_line(self, line, line_total, tax):
        invoice = factories.make_invoice(issue=False,
                                         lines=[{"description": "Item", **line}])

        stored = InvoiceLine.objects.get(invoice=invoice)
        assert stored.line_total == Decimal(line_total)
        assert stored.tax_amount == Decimal(tax)
        assert invoice.total == Decimal(line_total) + Decimal(tax)

    def test_zero_decimal_currency(self):
        invoice = factories.make_invoice(currency="JPY", issue=False, lines=[
            {"description": "Consultation", "unit_price": "333", "quantity": 3,
             "tax_rate": 10},
        ])

        assert (invoice.subtotal, invoice.tax, invoice.total) == (
            Decimal("999"), Decimal("100"), Decimal("1099"))


class TestIssueInvoice:
    def test_numbers_are_gapless_per_year(self):
        first = factories.make_invoice()
        factories.make_invoice(issue=False)  # drafts take no number
        second = factories.make_invoice()

        year = this_year()
        assert first.number == f"INV-{year}-00001"
        assert second.number == f"INV-{year}-00002"

    def test_a_new_year_starts_a_new_series(self, monkeypatch):
        year = this_year()
        factories.make_invoice()
        new_year = datetime(year + 1, 1, 1, 9, 0, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda: new_year)

        first_of_next_year = factories.make_invoice()
        second_of_next_year = factories.make_invoice()

        assert first_of_next_year.number == f"INV-{year + 1}-00001"
        assert second_of_next_year.number == f"INV-{year + 1}-00002"
        assert first_of_next_year.issued_at == new_year
        monkeypatch.undo()
        assert factories.make_invoice().number == f"INV-{year}-00002"

    def test_number_format_setting(self, settings):
        settings.CAREPAY = {**settings.CAREPAY, "INVOICE_NUMBER_FORMAT": "{prefix}/{year}/{seq}"}

        assert factories.make_invoice().number == f"INV/{this_year()}/1"

    def test_opens_the_invoice_and_sets_its_dates(self, draft, receive):
        issued = receive(signals.invoice_issued, sender=Appointment)

        result = services.issue_invoice(draft)

        today = timezone.localdate()
        assert result.status == draft.status == Invoice.Status.OPEN
        assert timezone.localdate(draft.issued_at) == today
        assert draft.due_date == today + timedelta(days=30)
        assert factories.reload(draft).number == draft.number
        assert issued.count == 1
        assert issued.last["invoice"].pk == draft.pk

    def test_keeps_a_due_date_given_on_the_draft(self):
        invoice = factories.make_invoice(due_date=date(2031, 5, 1))

        assert invoice.due_date == date(2031, 5, 1)

    def test_payment_terms_setting(self, settings):
        settings.CAREPAY = {**settings.CAREPAY, "PAYMENT_TERMS_DAYS": 14}

        invoice = factories.make_invoice()

        assert invoice.due_date == timezone.localdate() + timedelta(days=14)

    def test_freezes_the_billing_snapshot_from_the_customer(self, draft, patient):
        services.issue_invoice(draft)
        patient.email = "new@example.com"
        patient.save()

        stored = factories.reload(draft)
        assert stored.billing_name == "Ada Lovelace"
        assert stored.billing_email == "ada@example.com"

    def test_billing_details_given_on_the_draft_win(self, patient):
        invoice = factories.make_invoice(customer=patient, billing={"name": "Mrs A. King"})

        assert invoice.billing_name == "Mrs A. King"
        assert invoice.billing_email == "ada@example.com"

    def test_issuing_twice_is_refused(self, invoice, nothing_changes):
        with nothing_changes(invoice), pytest.raises(InvalidState, match="only drafts"):
            services.issue_invoice(invoice)

    def test_an_invoice_without_lines_is_refused(self, nothing_changes):
        draft = services.create_invoice()

        with nothing_changes(draft), pytest.raises(InvalidState, match="no lines"):
            services.issue_invoice(draft)

    def test_a_zero_total_is_refused(self, nothing_changes):
        draft = factories.make_invoice(issue=False,
                                       lines=[{"description": "Free", "unit_price": "0"}])

        with nothing_changes(draft), pytest.raises(InvalidAmount, match="more than 0"):
            services.issue_invoice(draft)


class TestInvoiceEmail:
    def test_send_email_mails_the_pay_link_on_commit(self, draft,
                                                     django_capture_on_commit_callbacks):
        # The clock stands still: a signed link embeds the second it was signed in, so
        # the link in the mail and the one made below are the same only at one instant.
        with time_machine.travel(timezone.now(), tick=False), \
                django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.issue_invoice(draft, send_email=True)
            assert mail.outbox == []  # nothing leaves before the commit
            link = services.payment_link(draft)

        assert len(callbacks) == 1
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["ada@example.com"]
        assert message.subject == f"Invoice {draft.number}: £80.00 due"
        assert link in message.body
        assert "£80.00" in message.body
        assert message.from_email == "billing@example.com"

    def test_the_emailed_pay_link_is_absolute(self, draft, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            services.issue_invoice(draft, send_email=True)

        assert re.search(r"https?://[^/\s]+/billing/link/\S+", mail.outbox[0].body)

    def test_no_email_when_the_transaction_rolls_back(self, draft,
                                                      django_capture_on_commit_callbacks):
        with (django_capture_on_commit_callbacks(execute=True) as callbacks,
              pytest.raises(RuntimeError), transaction.atomic()):
            services.issue_invoice(draft, send_email=True)
            raise RuntimeError("the host's view failed after issuing")

        assert callbacks == []
        assert mail.outbox == []
        assert factories.reload(draft).status == Invoice.Status.DRAFT

    def test_no_email_without_send_email(self, draft, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            services.issue_invoice(draft)

        assert mail.outbox == []

    def test_no_email_without_a_billing_address(self, django_capture_on_commit_callbacks):
        draft = factories.make_invoice(issue=False)

        with django_capture_on_commit_callbacks(execute=True):
            services.issue_invoice(draft, send_email=True)

        assert mail.outbox == []


class TestVoidInvoice:
    @pytest.mark.parametrize("issued", [False, True])
    def test_voids_an_invoice_with_nothing_paid(self, draft, issued, receive, staff):
        voided = receive(signals.invoice_voided, sender=Appointment)
        if issued:
            services.issue_invoice(draft)

        services.void_invoice(draft, by=staff, reason="Booked in error")

        stored = factories.reload(draft)
        assert stored.status == draft.status == Invoice.Status.VOID
        assert stored.close_reason == "Booked in error"
        assert stored.closed_at is not None
        assert stored.amount_due == 0
        assert voided.count == 1
        assert (voided.last["by"], voided.last["reason"]) == (staff, "Booked in error")

    def test_cancels_a_pending_online_payment(self, invoice,
                                              django_capture_on_commit_callbacks):
        payment = factories.start_online(invoice)

        with django_capture_on_commit_callbacks(execute=True):
            services.void_invoice(invoice)

        assert factories.reload(payment).status == Payment.Status.CANCELLED

    def test_refused_once_money_was_received(self, invoice, nothing_changes):
        factories.pay_cash(invoice, "10.00")

        with nothing_changes(invoice), pytest.raises(InvalidState, match=r"received £10\.00"):
            services.void_invoice(invoice)

    def test_allowed_once_everything_received_was_refunded(self, invoice):
        payment = factories.pay_cash(invoice, "30.00")
        services.refund_payment(payment)

        services.void_invoice(invoice, reason="Booked in error")

        assert factories.reload(invoice).status == Invoice.Status.VOID
        assert invoice.amount_due == 0

    def test_refused_while_a_payment_is_processing(self, invoice, nothing_changes):
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment, UpdateKind.PROCESSING))

        with nothing_changes(invoice), pytest.raises(InvalidState, match="processing"):
            services.void_invoice(invoice)

    def test_refused_on_a_paid_invoice(self, invoice, nothing_changes):
        factories.pay_cash(invoice)

        with nothing_changes(invoice), pytest.raises(InvalidState):
            services.void_invoice(invoice)


class TestWriteOffInvoice:
    def test_writes_off_an_open_invoice_keeping_money_received(self, invoice, staff):
        factories.pay_cash(invoice, "30.00")

        services.write_off_invoice(invoice, by=staff, reason="Patient moved abroad")

        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.UNCOLLECTIBLE
        assert stored.amount_paid == Decimal("30.00")
        assert stored.close_reason == "Patient moved abroad"
        assert stored.amount_due == 0

    def test_writes_off_an_overdue_invoice(self, invoice):
        services.mark_overdue(today=invoice.due_date + timedelta(days=1))

        services.write_off_invoice(invoice)

        assert invoice.status == Invoice.Status.UNCOLLECTIBLE

    @pytest.mark.parametrize("state", ["draft", "paid", "void"])
    def test_refused_unless_open_or_overdue(self, draft, state, nothing_changes):
        if state != "draft":
            services.issue_invoice(draft)
        if state == "paid":
            factories.pay_cash(draft)
        if state == "void":
            services.void_invoice(draft)

        with nothing_changes(draft), pytest.raises(InvalidState, match="written off"):
            services.write_off_invoice(draft)

    def test_a_written_off_invoice_takes_no_payment(self, invoice, nothing_changes):
        services.write_off_invoice(invoice)

        with nothing_changes(invoice), pytest.raises(InvalidState, match="uncollectible"):
            factories.pay_cash(invoice)


class TestMarkOverdue:
    def test_moves_open_invoices_past_their_due_date(self, invoice, receive):
        overdue = receive(signals.invoice_overdue, sender=Appointment)
        not_yet_due = factories.make_invoice(due_date=invoice.due_date + timedelta(days=5))
        paid = factories.make_invoice(due_date=invoice.due_date)
        factories.pay_cash(paid)
        factories.make_invoice(issue=False, due_date=invoice.due_date)

        moved = services.mark_overdue(today=invoice.due_date + timedelta(days=1))

        assert moved == 1
        assert factories.reload(invoice).status == Invoice.Status.OVERDUE
        assert factories.reload(not_yet_due).status == Invoice.Status.OPEN
        assert factories.reload(paid).status == Invoice.Status.PAID
        assert overdue.count == 1
        assert overdue.last["invoice"].pk == invoice.pk

    def test_not_on_the_due_date_itself(self, invoice):
        assert services.mark_overdue(today=invoice.due_date) == 0
        assert factories.reload(invoice).status == Invoice.Status.OPEN

    def test_is_idempotent(self, invoice, receive):
        overdue = receive(signals.invoice_overdue, sender=Appointment)
        later = invoice.due_date + timedelta(days=1)

        assert services.mark_overdue(today=later) == 1
        assert services.mark_overdue(today=later) == 0
        assert overdue.count == 1

    def test_defaults_to_today(self):
        invoice = factories.make_invoice(due_date=timezone.localdate() - timedelta(days=1))

        assert services.mark_overdue() == 1
        assert factories.reload(invoice).status == Invoice.Status.OVERDUE

    def test_an_overdue_invoice_can_still_be_paid(self, invoice):
        services.mark_overdue(today=invoice.due_date + timedelta(days=1))

        factories.pay_cash(invoice)

        assert factories.reload(invoice).status == Invoice.Status.PAID
