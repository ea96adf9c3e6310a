"""Approving a transfer on an invoice that is already paid (#14).

Money staff approve on a paid invoice is an overpayment the payer must be repaid: it
is refused unless staff say they are recording an overpayment, the approvals queue
and the admin say why, recording cash while a transfer awaits approval warns the same
way, and the payer never sees a negative amount "due".
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from django_carepay import services, signals
from django_carepay.exceptions import InvalidState
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.admin.support import form_as_shown
from tests.backends.bank_transfer.support import reference_for, submit
from tests.threads import errors, successes

APPROVALS = reverse("carepay:approvals")


def approve_url(payment):
    return reverse("carepay:approve_payment", args=[payment.public_id])


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def charges() -> list[Decimal]:
    return list(Transaction.objects.charges().order_by("pk").values_list("amount", flat=True))


@pytest.fixture
def paid_meanwhile(submitted, invoice, staff):
    """The transfer awaits approval; the patient paid cash at the desk meanwhile."""
    services.record_payment(invoice, backend="cash", by=staff, allow_pending_transfers=True)
    assert factories.reload(invoice).status == Invoice.Status.PAID
    return submitted


@pytest.mark.django_db
class TestApprovingOnAPaidInvoice:
    def test_is_refused_with_the_reason(self, paid_meanwhile, approver, invoice,
                                        nothing_changes):
        with nothing_changes(paid_meanwhile), pytest.raises(InvalidState) as refusal:
            services.approve_payment(paid_meanwhile, by=approver)

        assert str(refusal.value) == (
            f"Invoice {invoice.number} is already paid; approving this transfer of £80.00 "
            "would overpay it by £80.00. Reject it if the money did not arrive, or "
            "approve it with allow_overpayment=True to record the overpayment (the invoice "
            "is then listed as needing a refund).")

    def test_is_recorded_when_staff_record_an_overpayment(self, paid_meanwhile, approver,
                                                          invoice):
        services.approve_payment(paid_meanwhile, by=approver, allow_overpayment=True)

        assert charges() == [Decimal("80.00"), Decimal("80.00")]
        stored = factories.reload(invoice)
        assert (stored.status, stored.amount_due) == (Invoice.Status.PAID, Decimal("-80.00"))
        assert list(Invoice.objects.needing_refund()) == [stored]

    def test_a_corrected_amount_above_what_is_left_is_an_overpayment_too(
            self, submitted, approver, invoice):
        with pytest.raises(InvalidState, match=r"has £80\.00 left to pay; approving "
                                               r"£100\.00 would overpay it by £20\.00"):
            services.approve_payment(submitted, by=approver, amount="100.00")

        assert factories.reload(submitted).status == Payment.Status.AWAITING_APPROVAL

    def test_what_is_left_to_pay_is_approved_as_before(self, submitted, approver, invoice,
                                                       staff):
        services.record_payment(invoice, backend="cash", amount="30.00", by=staff,
                                allow_pending_transfers=True)  # £50 left; £80 waits

        with pytest.raises(InvalidState):
            services.approve_payment(submitted, by=approver)
        services.approve_payment(submitted, by=approver, amount="50.00")

        assert factories.reload(invoice).status == Invoice.Status.PAID
        assert factories.reload(invoice).amount_due == Decimal("0.00")


@pytest.mark.django_db
class TestTheApprovalsQueue:
    def test_says_the_invoice_is_already_paid(self, approver_client, paid_meanwhile):
        page = approver_client.get(APPROVALS).content.decode()

        assert "Already paid" in page
        assert "Approving records an overpayment of £80.00" in page
        assert 'name="allow_overpayment"' in page
        assert "-£" not in page

    def test_approving_without_the_choice_is_refused(self, approver_client, paid_meanwhile):
        response = approver_client.post(approve_url(paid_meanwhile), {"amount": ""})

        assert response.status_code == 302
        [message] = flash(response)
        assert message.startswith("Not approved: Invoice ") and "already paid" in message
        # Staff are told what to do on this page, not which keyword argument to pass.
        assert "Tick “Record an overpayment”" in message
        assert "allow_overpayment" not in message
        assert factories.reload(paid_meanwhile).status == Payment.Status.AWAITING_APPROVAL

    def test_the_refusal_says_how_much_and_how_a_caller_overrides_it(self, paid_meanwhile,
                                                                     approver):
        from django_carepay.exceptions import WouldOverpay

        with pytest.raises(WouldOverpay) as refused:
            services.approve_payment(paid_meanwhile, by=approver)

        assert isinstance(refused.value, InvalidState)
        assert refused.value.excess == Decimal("80.00")
        assert refused.value.override == "allow_overpayment"
        assert "allow_overpayment" not in refused.value.situation

    def test_the_explicit_choice_records_the_overpayment(self, approver_client,
                                                         paid_meanwhile, invoice):
        response = approver_client.post(approve_url(paid_meanwhile),
                                        {"amount": "", "allow_overpayment": "on"})

        assert response.status_code == 302
        assert factories.reload(paid_meanwhile).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).amount_paid == Decimal("160.00")


@pytest.mark.django_db
class TestTheAdmin:
    @pytest.fixture
    def admin_client(self, client, approver):
        approver.user_permissions.add(
            Permission.objects.get(codename="view_payment"),
            Permission.objects.get(codename="view_invoice"),
            Permission.objects.get(codename="record_payment"))
        client.force_login(approver)
        return client

    def run_action(self, client, action, payment):
        return client.post(reverse("admin:carepay_payment_changelist"), {
            "action": action, "_selected_action": [payment.pk]}, follow=True)

    def test_the_approve_action_says_why_it_refused(self, admin_client, paid_meanwhile):
        response = self.run_action(admin_client, "approve_payments", paid_meanwhile)

        [refusal] = [m for m in flash(response) if "already paid" in m]
        assert "recording any overpayment" in refusal and "allow_overpayment" not in refusal
        assert factories.reload(paid_meanwhile).status == Payment.Status.AWAITING_APPROVAL

    def test_an_action_records_the_overpayment_explicitly(self, admin_client,
                                                          paid_meanwhile):
        self.run_action(admin_client, "approve_payments_recording_overpayment",
                        paid_meanwhile)

        assert factories.reload(paid_meanwhile).status == Payment.Status.SUCCEEDED

    def test_the_payment_page_warns(self, admin_client, paid_meanwhile):
        response = admin_client.get(
            reverse("admin:carepay_payment_change", args=[paid_meanwhile.pk]))

        assert any("already paid" in m for m in flash(response))

    def test_recording_cash_warns_of_the_waiting_transfer(self, admin_client, submitted,
                                                          invoice):
        url = reverse("admin:carepay_invoice_record_payment", args=[invoice.pk])

        page = admin_client.get(url).content.decode()
        assert f"A transfer of £80.00 (reference {reference_for(invoice)})" in page
        form = form_as_shown(admin_client, url, backend="cash", amount="80.00")
        refused = admin_client.post(url, form)
        assert refused.status_code == 200
        assert "awaiting approval" in refused.content.decode()
        assert "Tick “Record it even though a transfer awaits approval”" in \
            refused.content.decode()
        assert "allow_pending_transfers=True" not in refused.content.decode()
        assert not Payment.objects.filter(backend="cash").exists()

        admin_client.post(url, {**form, "allow_pending_transfers": "on"})
        assert Payment.objects.filter(backend="cash").count() == 1


@pytest.mark.django_db
class TestRecordingCashWhileATransferWaits:
    def test_is_refused_with_the_reason(self, submitted, staff, invoice, nothing_changes):
        with nothing_changes(invoice), pytest.raises(InvalidState) as refusal:
            services.record_payment(invoice, backend="cash", by=staff)

        assert str(refusal.value) == (
            f"Invoice {invoice.number} has a transfer of £80.00 (reference "
            f"{reference_for(invoice)}) awaiting approval; recording £80.00 as well "
            "would overpay it by £80.00 once the transfer is approved. Approve or reject "
            "the transfer first, or record the payment with allow_pending_transfers=True.")

    def test_is_recorded_when_staff_say_so(self, submitted, staff, invoice):
        services.record_payment(invoice, backend="cash", by=staff,
                                allow_pending_transfers=True)

        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_what_the_transfer_leaves_to_pay_is_recorded_as_before(self, invoice, staff,
                                                                  patient):
        submit(invoice, by=patient, amount="50.00")

        services.record_payment(invoice, backend="cash", amount="30.00", by=staff)

        assert charges() == [Decimal("30.00")]


@pytest.mark.django_db
class TestThePayerPage:
    def test_never_shows_a_negative_amount_due(self, paid_meanwhile, approver,
                                               patient_client, invoice):
        services.approve_payment(paid_meanwhile, by=approver, allow_overpayment=True)

        detail = patient_client.get(
            reverse("carepay:invoice_detail", args=[invoice.public_id])).content.decode()
        # Paid (overpaid): under Paid and All, not under Outstanding.
        listing = patient_client.get(reverse("carepay:invoice_list"),
                                     {"status": "all"}).content.decode()

        for page in (detail, listing):
            assert "-£" not in page
            assert "Overpaid" in page
        assert "Overpaid (to be refunded to you)</th><td>£80.00" in detail
        assert 'Amount due</th><td>£0.00' in detail
        assert "Overpaid: £80.00 to be refunded to you" in listing


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestCashAndApprovalRacing:
    """Cash recorded at the desk and the transfer approved at the same moment: one of
    them pays the invoice, the other is refused, in either order."""

    @pytest.mark.parametrize("first", ["approve", "cash"])
    def test_the_invoice_is_paid_once(self, receive, submitted, invoice, approver, staff,
                                      first):
        from tests.backends.bank_transfer.test_races import first_then_second

        def approve():
            return services.approve_payment(submitted, by=approver)

        def cash():
            return services.record_payment(invoice, backend="cash", by=staff,
                                           allow_pending_transfers=True)

        if first == "approve":
            outcomes = first_then_second(receive, signals.payment_approved, approve, cash)
        else:
            outcomes = first_then_second(receive, signals.payment_succeeded, cash, approve)

        assert len(successes(outcomes)) == 1
        [loser] = errors(outcomes)
        assert isinstance(loser, InvalidState)
        assert outcomes[0][0] == "ok"
        assert charges() == [Decimal("80.00")]
        stored = factories.reload(invoice)
        assert (stored.status, stored.amount_paid) == (Invoice.Status.PAID, Decimal("80.00"))
        expected = Payment.Status.SUCCEEDED if first == "approve" \
            else Payment.Status.AWAITING_APPROVAL
        assert factories.reload(submitted).status == expected
        assert not Invoice.objects.needing_refund().exists()

    def test_two_transfers_approved_at_once_pay_the_invoice_once(
            self, receive, invoice, patient, approver, second_approver):
        from tests.backends.bank_transfer.test_races import first_then_second

        first = submit(invoice, by=patient)
        second = submit(invoice, by=patient, reference="BT-SECOND")

        outcomes = first_then_second(
            receive, signals.payment_approved,
            lambda: services.approve_payment(first, by=approver),
            lambda: services.approve_payment(second, by=second_approver))

        assert outcomes[0][0] == "ok"
        [loser] = errors(outcomes)
        assert isinstance(loser, InvalidState) and "already paid" in str(loser)
        assert charges() == [Decimal("80.00")]
        assert factories.reload(second).status == Payment.Status.AWAITING_APPROVAL
        assert not Invoice.objects.needing_refund().exists()
