"""Staff decide on submitted transfers: the approvals queue, approving (with a
corrected amount), rejecting with a reason, deciding twice, four-eyes approval, and
host receivers that raise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from django_carepay import services, signals
from django_carepay.exceptions import (
    AlreadyDecided,
    CarepayError,
    InvalidAmount,
    PermissionRefused,
)
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import REASON, HostFailure, host_fails, pdf_proof, submit
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db

APPROVALS = "/billing/staff/approvals/"


def approve_url(payment):
    return reverse("carepay:approve_payment", args=[payment.public_id])


def reject_url(payment):
    return reverse("carepay:reject_payment", args=[payment.public_id])


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def decided_at(payment) -> str:
    """How a decision's time is quoted back to staff."""
    return f"{timezone.localtime(factories.reload(payment).decided_at):%Y-%m-%d %H:%M}"


@pytest.fixture
def record_order(receive):
    """``order = record_order(signal, ...)``: the names of the signals, as sent."""

    def connect(*named_signals: tuple[str, Any]) -> list[str]:
        order: list[str] = []
        for name, signal in named_signals:
            receive(signal, sender=Appointment,
                    action=lambda name=name, **kwargs: order.append(name))
        return order

    return connect


APPROVAL_SIGNALS = [("payment_approved", signals.payment_approved),
                    ("payment_succeeded", signals.payment_succeeded),
                    ("invoice_paid", signals.invoice_paid)]
REJECTION_SIGNALS = [("payment_rejected", signals.payment_rejected),
                     ("payment_failed", signals.payment_failed)]


class TestApprovalsQueue:
    def test_oldest_first_with_what_staff_need_to_decide(self, approver_client, patient):
        first_invoice = factories.make_invoice(customer=patient)
        second_invoice = factories.make_invoice(customer=patient)
        decided_invoice = factories.make_invoice(customer=patient)
        first = submit(first_invoice, reference="ADA-FIRST", proof=pdf_proof())
        second = submit(second_invoice, amount="30", reference="ADA-SECOND")
        decided = submit(decided_invoice, reference="ADA-DECIDED")
        services.reject_payment(decided, by=None, notes=REASON)

        response = approver_client.get(APPROVALS)

        assert response.status_code == 200
        assert [row["payment"] for row in response.context["rows"]] == [first, second]
        page = response.content.decode()
        assert page.index("ADA-FIRST") < page.index("ADA-SECOND")
        assert "ADA-DECIDED" not in page
        second_row = page[page.index(f'id="payment-{second.public_id}"'):]
        second_row = second_row[:second_row.index("</tr>")]
        assert '<td class="amount">£30.00</td>' in second_row
        assert "<td>£80.00 due</td>" in second_row  # the invoice's amount due
        assert reverse("carepay:payment_proof", args=[first.public_id]) in page
        assert reverse("carepay:payment_proof", args=[second.public_id]) not in page
        assert "Bank transfer" in page
        assert approve_url(first) in page and reject_url(first) in page

    def test_empty(self, approver_client):
        assert "No payments are waiting for approval." in \
            approver_client.get(APPROVALS).content.decode()

    def test_staff_without_the_permission_get_403(self, client, staff, submitted,
                                                  nothing_changes):
        client.force_login(staff)

        with nothing_changes(submitted):
            assert client.get(APPROVALS).status_code == 403
            assert client.post(approve_url(submitted)).status_code == 403
            assert client.post(reject_url(submitted), {"reason": REASON}).status_code == 403

    def test_the_payer_gets_403(self, patient_client, submitted):
        assert patient_client.get(APPROVALS).status_code == 403
        assert patient_client.post(approve_url(submitted)).status_code == 403

    def test_the_403_is_carepays_page_with_a_way_back(self, client, staff):
        client.force_login(staff)

        response = client.get(APPROVALS, HTTP_REFERER="http://testserver/billing/")

        assert response.status_code == 403
        assert "do that here" in response.content.decode()
        assert 'href="http://testserver/billing/"' in response.content.decode()
        assert "approve or reject submitted payments" in response.content.decode()

    def test_anonymous_is_sent_to_log_in_and_may_not_post(self, client, submitted,
                                                           nothing_changes):
        with nothing_changes(submitted):
            response = client.get(APPROVALS)
            assert response.status_code == 302
            assert response["Location"].startswith(settings.LOGIN_URL)
            assert client.post(approve_url(submitted)).status_code == 403
            assert client.post(reject_url(submitted), {"reason": REASON}).status_code == 403


class TestApproving:
    def test_the_money_goes_into_the_ledger_and_the_invoice_is_paid(
            self, submitted, approver, invoice, record_order, receive):
        order = record_order(*APPROVAL_SIGNALS)
        approved = receive(signals.payment_approved, sender=Appointment)

        payment = services.approve_payment(submitted, by=approver, notes="On the statement")

        charge = Transaction.objects.charges().get()
        assert (charge.payment, charge.amount, charge.currency, charge.backend) == (
            payment, Decimal("80.00"), "GBP", "transfer")
        assert charge.created_by == approver
        stored = factories.reload(payment)
        assert stored.status == Payment.Status.SUCCEEDED
        assert stored.amount_received == Decimal("80.00")
        assert (stored.decided_by, stored.decision_notes) == (approver, "On the statement")
        assert stored.decided_at is not None and stored.succeeded_at is not None
        assert submitted.status == Payment.Status.SUCCEEDED  # the caller's copy too
        paid = factories.reload(invoice)
        assert paid.status == Invoice.Status.PAID and paid.paid_at is not None
        assert (paid.amount_paid, paid.amount_due) == (Decimal("80.00"), Decimal(0))
        assert order == ["payment_approved", "payment_succeeded", "invoice_paid"]
        assert approved.last["payment"] == payment
        assert approved.last["transaction"] == charge
        assert approved.last["by"] == approver
        assert approved.last["invoice"] == invoice

    def test_a_part_payment_leaves_the_invoice_open(self, invoice, approver, record_order):
        order = record_order(*APPROVAL_SIGNALS)
        payment = submit(invoice, amount="30")

        services.approve_payment(payment, by=approver)

        stored = factories.reload(invoice)
        assert (stored.status, stored.amount_due) == (Invoice.Status.OPEN, Decimal("50.00"))
        assert order == ["payment_approved", "payment_succeeded"]

    def test_a_corrected_amount_is_what_is_recorded(self, submitted, approver, invoice):
        services.approve_payment(submitted, by=approver, amount="75",
                                 notes="Only £75 arrived")

        assert Transaction.objects.charges().get().amount == Decimal("75.00")
        stored = factories.reload(submitted)
        assert (stored.amount, stored.amount_received) == (Decimal("80.00"), Decimal("75.00"))
        assert factories.reload(invoice).amount_due == Decimal("5.00")
        assert factories.reload(invoice).status == Invoice.Status.OPEN

    def test_more_than_was_due_is_recorded_and_flagged_for_a_refund(self, submitted,
                                                                     approver, invoice):
        # Staff say so (allow_overpayment): refused otherwise (test_overpayment_guard).
        services.approve_payment(submitted, by=approver, amount="100.00",
                                 allow_overpayment=True)

        assert Transaction.objects.charges().get().amount == Decimal("100.00")
        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.PAID
        assert (stored.amount_paid, stored.amount_due) == (Decimal("100.00"),
                                                           Decimal("-20.00"))
        assert list(Invoice.objects.needing_refund()) == [stored]

    def test_a_corrected_amount_of_nothing_is_refused(self, submitted, approver,
                                                      nothing_changes):
        with nothing_changes(submitted), pytest.raises(InvalidAmount):
            services.approve_payment(submitted, by=approver, amount="0")

    def test_through_the_queue(self, approver_client, submitted, invoice):
        response = approver_client.post(approve_url(submitted), {"amount": "", "notes": ""})

        assert response.status_code == 302 and response.url == APPROVALS
        assert flash(response) == [f"Approved RS-{invoice.number} for {invoice.number}."]
        assert factories.reload(submitted).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_through_the_queue_with_a_corrected_amount(self, approver_client, submitted,
                                                       invoice):
        approver_client.post(approve_url(submitted), {"amount": "100.00", "notes": "Extra",
                                                      "allow_overpayment": "on"})

        assert Transaction.objects.charges().get().amount == Decimal("100.00")
        assert list(Invoice.objects.needing_refund()) == [factories.reload(invoice)]

    def test_the_payer_is_emailed_on_commit(self, submitted, approver, invoice,
                                            django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.approve_payment(submitted, by=approver)
            assert mail.outbox == []

        # The decision, the receipt every payment received gets, and staff's notice.
        assert len(callbacks) == 3
        assert sorted(m.extra_headers["X-Carepay-Kind"] for m in mail.outbox) == [
            "payment_receipt", "staff_payment_received", "transfer_approved"]
        [email] = [m for m in mail.outbox
                   if m.extra_headers["X-Carepay-Kind"] == "transfer_approved"]
        assert email.to == ["ada@example.com"]
        assert email.subject == f"Payment received for {invoice.number}"
        assert (f"We have received your payment of £80.00 (reference RS-{invoice.number}) "
                f"for invoice {invoice.number}. Thank you.") in email.body
        assert "The invoice is paid in full." in email.body

    def test_the_email_tells_what_is_still_due(self, invoice, approver,
                                               django_capture_on_commit_callbacks):
        payment = submit(invoice, amount="30")

        with django_capture_on_commit_callbacks(execute=True):
            services.approve_payment(payment, by=approver)

        assert "Amount still due: £50.00." in mail.outbox[0].body


class TestRejecting:
    def test_the_payment_fails_and_the_invoice_stays_payable(
            self, submitted, approver, invoice, record_order, receive):
        order = record_order(*REJECTION_SIGNALS)
        rejected = receive(signals.payment_rejected, sender=Appointment)

        services.reject_payment(submitted, by=approver, notes=f"  {REASON}  ")

        stored = factories.reload(submitted)
        assert stored.status == Payment.Status.FAILED
        assert (stored.failure_code, stored.failure_message) == ("rejected", REASON)
        assert (stored.decided_by, stored.decision_notes) == (approver, REASON)
        assert stored.decided_at is not None
        assert not Transaction.objects.exists()
        reopened = factories.reload(invoice)
        assert (reopened.status, reopened.amount_due) == (Invoice.Status.OPEN,
                                                          Decimal("80.00"))
        assert order == ["payment_rejected", "payment_failed"]
        assert rejected.last["reason"] == REASON
        assert rejected.last["by"] == approver
        assert rejected.last["payment"] == stored

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_a_reason_is_required(self, submitted, approver, nothing_changes, reason):
        with nothing_changes(submitted), pytest.raises(
                CarepayError, match=r"^Give a reason for the rejection; the payer is told it\.$"):
            services.reject_payment(submitted, by=approver, notes=reason)

    def test_the_queue_refuses_without_a_reason(self, approver_client, submitted,
                                                nothing_changes):
        with nothing_changes(submitted):
            response = approver_client.post(reject_url(submitted), {"reason": "  "})

        assert response.status_code == 302
        assert flash(response) == ["Not rejected: give a reason; the payer is told it."]

    def test_through_the_queue(self, approver_client, submitted, invoice):
        response = approver_client.post(reject_url(submitted), {"reason": REASON})

        assert flash(response) == [
            f"Rejected RS-{invoice.number} for {invoice.number}; the payer was told why."]
        assert factories.reload(submitted).status == Payment.Status.FAILED

    def test_the_payer_is_emailed_the_reason_on_commit(
            self, submitted, approver, invoice, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            services.reject_payment(submitted, by=approver, notes=REASON)
            assert mail.outbox == []

        [email] = mail.outbox
        assert email.to == ["ada@example.com"]
        assert email.subject == f"Your payment for {invoice.number} could not be confirmed"
        assert f"Reason: {REASON}" in email.body
        assert "you can submit your payment details again" in email.body

    def test_the_payer_can_submit_again(self, submitted, approver, invoice, patient_client):
        services.reject_payment(submitted, by=approver, notes=REASON)
        pay = reverse("carepay:pay", args=[invoice.public_id, "transfer"])

        assert patient_client.get(pay).status_code == 200
        patient_client.post(pay, {"reference": "ADA-RETRY", "amount": "80",
                                  "paid_on": timezone.localdate().isoformat()})

        retry = Payment.objects.get(reference="ADA-RETRY")
        assert retry.status == Payment.Status.AWAITING_APPROVAL
        patient_client.force_login(approver)
        rows = patient_client.get(APPROVALS).context["rows"]
        assert [row["payment"] for row in rows] == [retry]


class TestDecidingTwice:
    """Two members of staff with the queue open: the second is told who was first."""

    def test_approving_an_approved_payment(self, submitted, approver, second_approver,
                                           nothing_changes):
        stale = factories.reload(submitted)
        services.approve_payment(submitted, by=approver)

        with nothing_changes(submitted), pytest.raises(AlreadyDecided) as refused:
            services.approve_payment(stale, by=second_approver)

        assert str(refused.value) == (
            f"This payment was already approved by partner at {decided_at(submitted)}.")
        assert Transaction.objects.charges().count() == 1

    def test_rejecting_an_approved_payment(self, submitted, approver, second_approver,
                                           nothing_changes):
        stale = factories.reload(submitted)
        services.approve_payment(submitted, by=approver)

        with nothing_changes(submitted), pytest.raises(AlreadyDecided) as refused:
            services.reject_payment(stale, by=second_approver, notes=REASON)

        assert str(refused.value) == (
            f"This payment was already approved by partner at {decided_at(submitted)}.")

    @pytest.mark.parametrize("second_decision", ["approve", "reject"])
    def test_deciding_on_a_rejected_payment(self, submitted, approver, second_approver,
                                            nothing_changes, second_decision):
        stale = factories.reload(submitted)
        services.reject_payment(submitted, by=approver, notes=REASON)

        with nothing_changes(submitted), pytest.raises(AlreadyDecided) as refused:
            if second_decision == "approve":
                services.approve_payment(stale, by=second_approver)
            else:
                services.reject_payment(stale, by=second_approver, notes="Duplicate")

        assert str(refused.value) == (
            f"This payment was already rejected by partner at {decided_at(submitted)}.")
        assert not Transaction.objects.exists()

    def test_the_queue_says_so(self, client, submitted, approver, second_approver):
        services.approve_payment(factories.reload(submitted), by=approver)
        client.force_login(second_approver)

        response = client.post(approve_url(submitted), {"amount": "", "notes": ""})

        assert flash(response) == [
            "Not approved: This payment was already approved by partner at "
            f"{decided_at(submitted)}."]
        assert Transaction.objects.charges().count() == 1


class TestFourEyes:
    @pytest.fixture
    def four_eyes(self, settings):
        settings.CAREPAY = {**settings.CAREPAY, "REQUIRE_DISTINCT_APPROVER": True}

    @pytest.fixture
    def entered_by_staff(self, invoice, approver):
        """A transfer the partner entered for a patient who phoned in."""
        return submit(invoice, by=approver)

    def test_whoever_submitted_cannot_approve(self, four_eyes, entered_by_staff, approver,
                                              nothing_changes):
        with nothing_changes(entered_by_staff), pytest.raises(
                PermissionRefused,
                match=r"^You submitted or recorded this payment; another member of staff "
                      r"must approve it \(CAREPAY\['REQUIRE_DISTINCT_APPROVER'\] is on\)\.$"):
            services.approve_payment(entered_by_staff, by=approver)

    def test_another_member_of_staff_can(self, four_eyes, entered_by_staff, second_approver):
        services.approve_payment(entered_by_staff, by=second_approver)

        assert factories.reload(entered_by_staff).status == Payment.Status.SUCCEEDED

    def test_the_queue_refuses_the_submitter(self, four_eyes, entered_by_staff,
                                             approver_client, nothing_changes):
        with nothing_changes(entered_by_staff):
            response = approver_client.post(approve_url(entered_by_staff), {"amount": ""})

        [message] = flash(response)
        assert message.startswith("Not approved: You submitted or recorded this payment;")

    def test_a_payers_submission_is_approved_by_any_approver(self, four_eyes, submitted,
                                                             approver):
        services.approve_payment(submitted, by=approver)

        assert factories.reload(submitted).status == Payment.Status.SUCCEEDED

    def test_off_by_default(self, entered_by_staff, approver):
        services.approve_payment(entered_by_staff, by=approver)

        assert factories.reload(entered_by_staff).status == Payment.Status.SUCCEEDED


class TestAHostReceiverThatRaises:
    """The whole decision rolls back: still awaiting approval, no ledger row, no e-mail."""

    @pytest.mark.parametrize("signal", [s for _name, s in APPROVAL_SIGNALS],
                             ids=[name for name, _s in APPROVAL_SIGNALS])
    def test_during_approval(self, submitted, approver, invoice, receive, signal,
                             nothing_changes, django_capture_on_commit_callbacks):
        receive(signal, sender=Appointment, action=host_fails)

        with django_capture_on_commit_callbacks(execute=True) as callbacks, \
                nothing_changes(submitted, invoice), pytest.raises(HostFailure):
            services.approve_payment(submitted, by=approver)

        assert submitted.status == Payment.Status.AWAITING_APPROVAL
        assert factories.reload(submitted).status == Payment.Status.AWAITING_APPROVAL
        assert not Transaction.objects.exists()
        assert callbacks == [] and mail.outbox == []

    @pytest.mark.parametrize("signal", [s for _name, s in REJECTION_SIGNALS],
                             ids=[name for name, _s in REJECTION_SIGNALS])
    def test_during_rejection(self, submitted, approver, invoice, receive, signal,
                              nothing_changes, django_capture_on_commit_callbacks):
        receive(signal, sender=Appointment, action=host_fails)

        with django_capture_on_commit_callbacks(execute=True) as callbacks, \
                nothing_changes(submitted, invoice), pytest.raises(HostFailure):
            services.reject_payment(submitted, by=approver, notes=REASON)

        assert factories.reload(submitted).status == Payment.Status.AWAITING_APPROVAL
        assert callbacks == [] and mail.outbox == []

    def test_the_decision_can_be_made_again_once_the_host_recovers(self, submitted,
                                                                   approver, receive):
        attempts: list[int] = []

        def fails_the_first_time(**kwargs):
            attempts.append(1)
            if len(attempts) == 1:
                host_fails()

        receive(signals.invoice_paid, sender=Appointment, action=fails_the_first_time)
        with pytest.raises(HostFailure):
            services.approve_payment(submitted, by=approver)

        services.approve_payment(submitted, by=approver)

        assert Transaction.objects.charges().count() == 1
        assert factories.reload(submitted).status == Payment.Status.SUCCEEDED
