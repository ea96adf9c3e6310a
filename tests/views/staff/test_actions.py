"""What staff do from an invoice's page: each action's happy path, and every refusal
shown on the page (next to its field) with nothing changed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, configure_backends, submit
from tests.views.staff.support import form, invoice_url, line_url, payment_url, prefix

pytestmark = pytest.mark.django_db


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def errors_of(response, form_name: str) -> dict[str, list[str]]:
    """The errors of the page's form ``form_name`` (its key in the page's context)."""
    bound = response.context[form_name]
    return {name: [str(e) for e in errs] for name, errs in bound.errors.items()}


@pytest.fixture
def transfer_backend(settings):
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})


# -- recording a payment ----------

class TestRecordPayment:
    def test_reception_records_80_in_cash_and_the_invoice_is_paid(self, clerk_client, clerk,
                                                                   invoice):
        today = timezone.localdate()
        response = clerk_client.post(invoice_url(invoice, "record_payment"), form(
            "record", invoice, backend="cash", amount="80.00", reference="Till 3",
            paid_on=today.isoformat(), notes=""))

        assert response.status_code == 302
        assert response["Location"] == invoice_url(invoice)
        assert flash(response) == [f"Recorded £80.00 (Cash) on {invoice.number}."]
        payment = Payment.objects.get(invoice=invoice)
        assert (payment.backend, payment.amount, payment.reference, payment.recorded_by,
                payment.paid_on, payment.status) == ("cash", Decimal("80.00"), "Till 3", clerk,
                                                      today, Payment.Status.SUCCEEDED)
        assert factories.reload(invoice).status == Invoice.Status.PAID
        page = clerk_client.get(invoice_url(invoice)).content.decode()
        assert '<span class="status status-paid">Paid</span>' in page
        assert "Record a payment" not in page  # nothing left to pay

    def test_the_amount_defaults_to_the_amount_due(self, clerk_client, invoice):
        factories.pay_cash(invoice, "30")
        record = clerk_client.get(invoice_url(invoice)).context["record_form"]
        assert record["amount"].value() == Decimal("50.00")
        assert record["paid_on"].value() == timezone.localdate()
        assert [c[0] for c in record.fields["backend"].choices] == ["cash", "terminal"]

    def test_more_than_is_due_is_refused_next_to_the_amount(self, clerk_client, invoice,
                                                            nothing_changes):
        with nothing_changes(invoice):
            response = clerk_client.post(invoice_url(invoice, "record_payment"), form(
                "record", invoice, backend="cash", amount="90",
                paid_on=timezone.localdate().isoformat()))

        assert response.status_code == 400
        assert errors_of(response, "record_form") == {"amount": [
            f"£90.00 is more than the £80.00 due on Invoice {invoice.number}; enter "
            "at most 80.00."]}
        page = response.content.decode()
        assert 'aria-invalid="true"' in page and "more than the £80.00 due" in page

    def test_a_date_in_the_future_is_refused(self, clerk_client, invoice, nothing_changes):
        tomorrow = timezone.localdate() + timedelta(days=1)
        with nothing_changes(invoice):
            response = clerk_client.post(invoice_url(invoice, "record_payment"), form(
                "record", invoice, backend="cash", amount="80", paid_on=tomorrow.isoformat()))
        assert response.status_code == 400
        assert list(errors_of(response, "record_form")) == ["paid_on"]

    def test_a_transfer_awaiting_approval_asks_for_the_tick(self, clerk_client, invoice,
                                                            transfer_backend, nothing_changes):
        submit(invoice)  # the payer says they sent the £80
        with nothing_changes(invoice):
            response = clerk_client.post(invoice_url(invoice, "record_payment"), form(
                "record", invoice, backend="cash", amount="80",
                paid_on=timezone.localdate().isoformat()))
        assert response.status_code == 409
        [error] = errors_of(response, "record_form")["allow_pending_transfers"]
        assert "awaiting approval" in error and "tick this box" in error

        response = clerk_client.post(invoice_url(invoice, "record_payment"), form(
            "record", invoice, backend="cash", amount="80", allow_pending_transfers="on",
            paid_on=timezone.localdate().isoformat()))
        assert response.status_code == 302
        assert factories.reload(invoice).status == Invoice.Status.PAID


# -- the one-time token ----------

class TestDoubleSubmit:
    def test_the_same_form_sent_twice_records_once(self, clerk_client, invoice):
        data = form("record", invoice, backend="cash", amount="30",
                    paid_on=timezone.localdate().isoformat())
        first = clerk_client.post(invoice_url(invoice, "record_payment"), data)
        state = factories.database_state()
        second = clerk_client.post(invoice_url(invoice, "record_payment"), data)

        assert first.status_code == 302
        assert second.status_code == 409
        assert factories.database_state() == state
        assert Payment.objects.filter(invoice=invoice).count() == 1
        assert "changed after this page was shown (or the form was sent twice)" in \
            second.content.decode()
        # The page shown is the invoice as it is now, ready for a deliberate second go.
        assert second.context["record_form"]["amount"].value() == Decimal("50.00")

    def test_a_page_shown_before_someone_else_acted_is_refused(self, manager_client, invoice):
        payment = factories.pay_cash(invoice, "80")
        stale = form(prefix(payment, "refund"), invoice, amount="25", reason="Goodwill")
        services.refund_payment(payment, amount="10", reason="Another member of staff")
        state = factories.database_state()

        response = manager_client.post(payment_url(payment, "refund"), stale)

        assert response.status_code == 409
        assert factories.database_state() == state

    def test_without_a_version_nothing_is_done(self, clerk_client, invoice, nothing_changes):
        with nothing_changes(invoice):
            response = clerk_client.post(invoice_url(invoice, "record_payment"), {
                "record-backend": "cash", "record-amount": "80",
                "record-paid_on": timezone.localdate().isoformat()})
        assert response.status_code == 409


# -- refunds ----------

class TestRefund:
    def test_finance_refunds_25_of_a_cash_payment(self, manager_client, manager, invoice):
        payment = factories.pay_cash(invoice, "80")
        page = manager_client.get(invoice_url(invoice)).content.decode()
        assert "Refund… <span class=\"cp-muted\">(refundable £80.00)</span>" in page

        response = manager_client.post(payment_url(payment, "refund"), form(
            prefix(payment, "refund"), invoice, amount="25", reason="Late start"))

        assert response.status_code == 302
        assert flash(response) == ["Refunded £25.00 of the Cash payment."]
        payment.refresh_from_db()
        assert (payment.status, payment.amount_refunded) == (
            Payment.Status.PARTIALLY_REFUNDED, Decimal("25.00"))
        refund = Transaction.objects.get(kind=Transaction.Kind.REFUND)
        assert (refund.amount, refund.note, refund.created_by) == (
            Decimal("25.00"), "Late start", manager)
        page = manager_client.get(invoice_url(invoice)).content.decode()
        assert "£25.00 of the £80.00 received has been refunded; £55.00 is kept." in page
        assert "Partially refunded" in page and "Late start" in page
        assert "(refundable £55.00)" in page

    def test_the_rest_refunded_makes_the_invoice_refunded(self, manager_client, invoice):
        payment = factories.pay_cash(invoice, "80")
        response = manager_client.post(payment_url(payment, "refund"), form(
            prefix(payment, "refund"), invoice, amount="80", reason="Cancelled by us"))
        assert response.status_code == 302
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED

    def test_more_than_refundable_is_refused_next_to_the_amount(self, manager_client, invoice,
                                                                 nothing_changes):
        payment = factories.pay_cash(invoice, "80")
        with nothing_changes(invoice, payment):
            response = manager_client.post(payment_url(payment, "refund"), form(
                prefix(payment, "refund"), invoice, amount="81", reason="Too much"))
        assert response.status_code == 400
        [row] = response.context["rows"]
        assert {k: [str(e) for e in v] for k, v in row.refund_form.errors.items()} == {
            "amount": ["£81.00 is more than the £80.00 that can still be refunded on "
                       "this payment."]}
        assert 'open>' in response.content.decode()  # the refund panel stays open

    def test_an_empty_reason_is_refused(self, manager_client, invoice, nothing_changes):
        payment = factories.pay_cash(invoice, "80")
        with nothing_changes(invoice, payment):
            response = manager_client.post(payment_url(payment, "refund"), form(
                prefix(payment, "refund"), invoice, amount="10", reason="   "))
        assert response.status_code == 400
        [row] = response.context["rows"]
        assert list(row.refund_form.errors) == ["reason"]

    def test_a_payment_of_another_invoice_is_404(self, manager_client, invoice, patient,
                                                 nothing_changes):
        other = factories.make_invoice(customer=patient)
        payment = factories.pay_cash(other, "80")
        url = payment_url(payment, "refund").replace(str(other.public_id),
                                                     str(invoice.public_id))
        with nothing_changes(invoice, payment):
            response = manager_client.post(url, form(prefix(payment, "refund"), invoice,
                                                     amount="10", reason="x"))
        assert response.status_code == 404


# -- closing ----------

class TestVoidAndWriteOff:
    def test_void(self, manager_client, invoice):
        response = manager_client.post(invoice_url(invoice, "void"), form(
            "void", invoice, reason="Booked in error"))
        assert response.status_code == 302
        invoice.refresh_from_db()
        assert (invoice.status, invoice.close_reason) == (Invoice.Status.VOID, "Booked in error")
        assert flash(response) == [f"Voided {invoice.number}."]

    def test_void_needs_a_reason(self, manager_client, invoice, nothing_changes):
        with nothing_changes(invoice):
            response = manager_client.post(invoice_url(invoice, "void"),
                                           form("void", invoice, reason=""))
        assert response.status_code == 400
        assert list(errors_of(response, "void_form")) == ["reason"]

    def test_void_of_an_invoice_with_money_is_refused(self, manager_client, invoice,
                                                      nothing_changes):
        factories.pay_cash(invoice, "30")
        with nothing_changes(invoice):
            response = manager_client.post(invoice_url(invoice, "void"),
                                           form("void", invoice, reason="Oops"))
        # The page offers no void any more; a form sent anyway is refused by the service.
        assert response.status_code == 409
        assert "refund the payments first, or write the invoice off" in \
            response.content.decode()

    def test_write_off(self, manager_client, invoice):
        factories.pay_cash(invoice, "30")
        response = manager_client.post(invoice_url(invoice, "write_off"), form(
            "writeoff", invoice, reason="Moved abroad"))
        assert response.status_code == 302
        invoice.refresh_from_db()
        assert (invoice.status, invoice.close_reason, invoice.amount_paid) == (
            Invoice.Status.UNCOLLECTIBLE, "Moved abroad", Decimal("30.00"))


# -- transfers ----------

@pytest.mark.usefixtures("transfer_backend")
class TestTransfers:
    def test_approve(self, manager_client, manager, invoice):
        transfer = submit(invoice)
        response = manager_client.post(payment_url(transfer, "approve"), form(
            prefix(transfer, "approve"), invoice, notes="On the statement"))
        assert response.status_code == 302
        transfer.refresh_from_db()
        assert (transfer.status, transfer.decided_by) == (Payment.Status.SUCCEEDED, manager)
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_reject_needs_a_reason_and_tells_the_payer(self, manager_client, invoice,
                                                       nothing_changes, mailoutbox):
        transfer = submit(invoice)
        with nothing_changes(invoice, transfer):
            refused = manager_client.post(payment_url(transfer, "reject"), form(
                prefix(transfer, "reject"), invoice, reason=""))
        assert refused.status_code == 400
        response = manager_client.post(payment_url(transfer, "reject"), form(
            prefix(transfer, "reject"), invoice, reason="Nothing arrived"))
        assert response.status_code == 302
        transfer.refresh_from_db()
        assert (transfer.status, transfer.decision_notes) == (Payment.Status.FAILED,
                                                              "Nothing arrived")

    def test_approving_on_a_paid_invoice_needs_the_overpayment_tick(self, manager_client,
                                                                    invoice, nothing_changes):
        transfer = submit(invoice)
        # Paid at the desk meanwhile.
        services.record_payment(invoice, backend="cash", by=None, allow_pending_transfers=True)
        page = manager_client.get(invoice_url(invoice)).content.decode()
        assert "This invoice is already paid." in page
        assert "approving then needs “Record an overpayment” ticked" in page

        with nothing_changes(invoice, transfer):
            refused = manager_client.post(payment_url(transfer, "approve"), form(
                prefix(transfer, "approve"), invoice))
        assert refused.status_code == 409
        [row] = [r for r in refused.context["rows"] if r.payment == transfer]
        [error] = row.approve_form.errors["allow_overpayment"]
        assert "already paid" in error and "Tick “Record an overpayment”" in error

        response = manager_client.post(payment_url(transfer, "approve"), form(
            prefix(transfer, "approve"), invoice, allow_overpayment="on"))
        assert response.status_code == 302
        invoice.refresh_from_db()
        assert invoice.amount_overpaid == Decimal("80.00")


# -- issuing and sending ----------

class TestIssueAndSend:
    def test_issue_and_send(self, clerk_client, draft, mailoutbox,
                            django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = clerk_client.post(invoice_url(draft, "issue"),
                                         form("issue", draft, send_email="on"))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.status == Invoice.Status.OPEN and draft.number
        assert flash(response) == [f"Issued {draft.number} and e-mailed it to ada@example.com."]
        [message] = mailoutbox
        assert draft.number in message.subject and message.to == ["ada@example.com"]

    def test_issue_without_e_mail(self, clerk_client, draft, mailoutbox):
        response = clerk_client.post(invoice_url(draft, "issue"), form("issue", draft))
        assert response.status_code == 302
        assert mailoutbox == []

    def test_resend(self, clerk_client, invoice, mailoutbox,
                    django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = clerk_client.post(invoice_url(invoice, "send"), form("send", invoice))
        assert response.status_code == 302
        assert flash(response) == [f"Sent {invoice.number} to ada@example.com."]
        assert len(mail.outbox) == 1

    def test_sending_a_void_invoice_is_refused(self, clerk_client, invoice, mailoutbox,
                                               nothing_changes):
        services.void_invoice(invoice, reason="x")
        with nothing_changes(invoice):
            response = clerk_client.post(invoice_url(invoice, "send"), form("send", invoice))
        assert response.status_code == 409
        assert mailoutbox == []


# -- a draft's lines ----------

class TestDraftLines:
    LINE = {"description": "Blood test", "quantity": "2", "unit_price": "12.50",
            "tax_rate": "0", "service_date": "", "provider_name": "Lab"}

    def test_add_edit_remove(self, clerk_client, draft):
        response = clerk_client.post(invoice_url(draft, "add_line"),
                                     form("newline", draft, **self.LINE))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.total == Decimal("105.00")
        line = draft.lines.get(description="Blood test")

        response = clerk_client.post(line_url(line), form(
            f"line{line.pk}", draft, **{**self.LINE, "quantity": "1"}))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.total == Decimal("92.50")

        response = clerk_client.post(line_url(line, "remove_line"), form("remove", draft))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.total == Decimal("80.00")

    def test_a_bad_price_is_shown_next_to_it(self, clerk_client, draft, nothing_changes):
        with nothing_changes(draft):
            response = clerk_client.post(invoice_url(draft, "add_line"), form(
                "newline", draft, **{**self.LINE, "unit_price": "12.505"}))
        assert response.status_code == 400
        assert list(errors_of(response, "add_line_form")) == ["unit_price"]

    def test_lines_of_an_issued_invoice_are_frozen(self, clerk_client, invoice,
                                                   nothing_changes):
        line = invoice.lines.get()
        page = clerk_client.get(invoice_url(invoice)).content.decode()
        assert line_url(line) not in page
        with nothing_changes(invoice):
            response = clerk_client.post(line_url(line, "remove_line"),
                                         form("remove", invoice))
        assert response.status_code == 409
        assert "its lines are frozen" in response.content.decode()
