"""A payer pays by bank transfer: the pay page's instructions, the confirmation form,
what it stores and announces, and who may see the proof afterwards."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from django_carepay import services, signals
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import (
    JPEG,
    PDF,
    PNG,
    STAFF_INBOX,
    confirmation,
    media_files,
    pay_url,
    pdf_proof,
    submit,
    today,
    upload,
)
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db

PROOF_NAME = re.compile(r"carepay/proofs/\d{4}/\d{2}/[0-9a-f]{32}(\.\w+)$")


def proof_url(payment):
    return reverse("carepay:payment_proof", args=[payment.public_id])


class TestPayPage:
    def test_shows_instructions_account_details_and_reference(self, patient_client, invoice):
        response = patient_client.get(pay_url(invoice))

        assert response.status_code == 200
        page = response.content.decode()
        assert f"Pay invoice {invoice.number} by Bank transfer" in page
        assert (f"Transfer £80.00 for invoice {invoice.number} and quote "
                f"RS-{invoice.number}.") in page
        for label, value in [("Account name", "Riverside Surgery"),
                             ("Sort code", "20-00-00"), ("Account number", "12345678")]:
            assert f"<dt>{label}</dt><dd>{value}</dd>" in page
        assert f"<strong>RS-{invoice.number}</strong>" in page

    def test_the_form_is_filled_with_the_amount_due_and_reference(self, patient_client,
                                                                 invoice):
        factories.pay_cash(invoice, "30.00")

        form = patient_client.get(pay_url(invoice)).context["form"]

        assert form["amount"].value() == Decimal("50.00")
        assert form["reference"].value() == f"RS-{invoice.number}"

    def test_the_invoice_page_offers_the_transfer(self, patient_client, invoice):
        page = patient_client.get(
            reverse("carepay:invoice_detail", args=[invoice.public_id])).content.decode()

        assert pay_url(invoice) in page

    def test_opening_the_page_stores_nothing(self, patient_client, invoice, nothing_changes):
        with nothing_changes(invoice):
            patient_client.get(pay_url(invoice))

    def test_another_users_invoice_is_404(self, client, other_patient, invoice):
        client.force_login(other_patient)

        assert client.get(pay_url(invoice)).status_code == 404
        assert client.post(pay_url(invoice), confirmation(invoice)).status_code == 404
        assert not Payment.objects.exists()


class TestSubmitting:
    def test_the_payment_awaits_approval_and_the_invoice_stays_open(
            self, patient_client, patient, invoice, media):
        response = patient_client.post(pay_url(invoice), confirmation(
            invoice, proof=pdf_proof()))

        assert response.status_code == 302
        assert response.url == reverse("carepay:invoice_detail", args=[invoice.public_id])
        payment = Payment.objects.get()
        assert payment.status == Payment.Status.AWAITING_APPROVAL
        assert (payment.backend, payment.amount, payment.currency) == (
            "transfer", Decimal("80.00"), "GBP")
        assert payment.reference == f"RS-{invoice.number}"
        assert payment.paid_on == today()
        assert payment.notes == "Paid from my Monzo account"
        assert payment.recorded_by == patient
        assert payment.amount_received == 0
        assert media_files(media) == {payment.proof.name: PDF}
        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.OPEN
        assert (stored.amount_paid, stored.amount_due) == (Decimal(0), Decimal("80.00"))
        assert not Transaction.objects.exists()

    def test_the_payer_is_thanked_and_sees_the_payment_waiting(self, patient_client, invoice):
        response = patient_client.post(pay_url(invoice), confirmation(invoice), follow=True)

        page = response.content.decode()
        assert "we received your payment details and will confirm once the money has " \
               "arrived" in page
        assert ("We received your transfer confirmation of £80.00 on "
                f"{date_format(timezone.localdate())}; it is being checked.") in page
        assert f'<td data-label="Reference" class="cp-reference">RS-{invoice.number}</td>' \
            in page
        assert '<span class="status status-awaiting_approval">Awaiting approval</span>' in page

    def test_a_part_payment(self, patient_client, invoice):
        patient_client.post(pay_url(invoice), confirmation(invoice, amount="30"))

        assert Payment.objects.get().amount == Decimal("30.00")
        assert factories.reload(invoice).amount_due == Decimal("80.00")

    def test_a_different_reference_is_kept_as_the_payer_typed_it(self, patient_client,
                                                                invoice):
        patient_client.post(pay_url(invoice), confirmation(invoice, reference="  ADA 80  "))

        assert Payment.objects.get().reference == "ADA 80"

    @pytest.mark.parametrize(("name", "content", "extension"), [
        ("statement.pdf", PDF, ".pdf"),
        ("screenshot.png", PNG, ".png"),
        ("photo.jpeg", JPEG, ".jpg"),
        # The content decides, not the name the browser sent.
        ("scan.png", PDF, ".pdf"),
    ])
    def test_proof_kinds_are_stored_under_an_unguessable_name(
            self, patient_client, invoice, media, name, content, extension):
        patient_client.post(pay_url(invoice), confirmation(
            invoice, proof=upload(name, content)))

        payment = Payment.objects.get()
        match = PROOF_NAME.fullmatch(payment.proof.name)
        assert match is not None and match.group(1) == extension
        assert media_files(media) == {payment.proof.name: content}

    def test_without_a_proof(self, patient_client, invoice, media):
        patient_client.post(pay_url(invoice), confirmation(invoice))

        assert not Payment.objects.get().proof
        assert media_files(media) == {}

    def test_payment_submitted_is_sent_by_the_subjects_model(self, patient_client, patient,
                                                             invoice, receive):
        submitted = receive(signals.payment_submitted, sender=Appointment)
        succeeded = receive(signals.payment_succeeded)

        patient_client.post(pay_url(invoice), confirmation(invoice))

        assert submitted.count == 1
        call = submitted.last
        assert call["sender"] is Appointment
        assert call["invoice"] == invoice
        assert call["payment"] == Payment.objects.get()
        assert call["by"] == patient
        assert succeeded.count == 0

    def test_from_a_payment_link_without_an_account(self, client, invoice, media):
        client.get(services.payment_link(invoice))

        client.post(pay_url(invoice), confirmation(invoice, proof=pdf_proof()))

        payment = Payment.objects.get()
        assert payment.status == Payment.Status.AWAITING_APPROVAL
        assert payment.recorded_by is None
        assert client.get(proof_url(payment)).status_code == 200


class TestStaffAreEmailed:
    def test_on_commit_only(self, patient_client, invoice, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            patient_client.post(pay_url(invoice), confirmation(invoice, proof=pdf_proof()))
            assert mail.outbox == []

        assert mail.outbox == []  # still not committed
        for callback in callbacks:
            callback()

        [email] = mail.outbox
        assert email.to == [STAFF_INBOX]
        assert email.from_email == "billing@example.com"
        assert email.subject == (
            f"Payment to approve: £80.00 for {invoice.number} (ref RS-{invoice.number})")
        assert "Amount:      £80.00" in email.body
        assert f"Reference:   RS-{invoice.number}" in email.body
        assert f"Paid on:     {today():%-d %B %Y}" in email.body
        assert "Proof:       attached to the payment" in email.body
        assert "Notes: Paid from my Monzo account" in email.body

    def test_nobody_to_tell(self, settings, invoice, django_capture_on_commit_callbacks):
        settings.CAREPAY = {**settings.CAREPAY, "STAFF_NOTIFICATION_EMAILS": []}

        with django_capture_on_commit_callbacks(execute=True):
            submit(invoice)

        assert mail.outbox == []


class TestProofAccess:
    @pytest.fixture
    def payment(self, invoice, patient):
        return submit(invoice, by=patient, proof=pdf_proof())

    def test_staff_who_decide_see_it(self, approver_client, payment, invoice):
        response = approver_client.get(proof_url(payment))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"] == (
            f'attachment; filename="proof-{invoice.number}.pdf"')
        response.close()

    def test_the_payer_sees_it(self, patient_client, payment):
        response = patient_client.get(proof_url(payment))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        response.close()

    def test_another_user_gets_404(self, client, other_patient, payment):
        client.force_login(other_patient)

        assert client.get(proof_url(payment)).status_code == 404

    def test_staff_without_the_permission_get_404(self, client, staff, payment):
        client.force_login(staff)

        assert client.get(proof_url(payment)).status_code == 404

    def test_anonymous_gets_404(self, client, payment):
        assert client.get(proof_url(payment)).status_code == 404

    def test_a_payment_without_proof_is_404(self, approver_client, invoice):
        payment = submit(invoice)

        assert approver_client.get(proof_url(payment)).status_code == 404
