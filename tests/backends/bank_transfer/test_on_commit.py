"""carepay's e-mails about transfers leave only once the transaction commits, and not at
all when it rolls back. These tests use real transactions (no test-case wrapper)."""

from __future__ import annotations

import contextlib
from smtplib import SMTPException
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.backends.bank_transfer.support import (
    PDF,
    REASON,
    STAFF_INBOX,
    HostFailure,
    media_files,
    pdf_proof,
    submit,
)

pytestmark = pytest.mark.django_db(transaction=True)


class UnreachableMailServer(BaseEmailBackend):
    """An e-mail backend whose server is down."""

    def send_messages(self, email_messages: Any) -> int:
        raise SMTPException("Connection refused")


class TestSubmission:
    def test_staff_are_emailed_when_it_commits(self, invoice):
        with transaction.atomic():
            submit(invoice)
            assert mail.outbox == []

        [email] = mail.outbox
        assert email.to == [STAFF_INBOX]

    def test_nobody_is_emailed_when_it_rolls_back(self, invoice):
        with contextlib.suppress(HostFailure), transaction.atomic():
            submit(invoice)
            raise HostFailure("the host's own bookkeeping failed")

        assert mail.outbox == []
        assert not Payment.objects.exists()

    def test_a_mail_server_outage_keeps_the_committed_proof(self, settings, invoice, media):
        settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"

        with contextlib.suppress(SMTPException):
            submit(invoice, proof=pdf_proof())

        payment = Payment.objects.get()
        assert payment.status == Payment.Status.AWAITING_APPROVAL
        assert media_files(media) == {payment.proof.name: PDF}


class TestDecisions:
    @pytest.fixture
    def payment(self, invoice, patient):
        payment = submit(invoice, by=patient)
        mail.outbox.clear()  # the staff notification
        return payment

    def test_the_payer_is_emailed_when_an_approval_commits(self, payment, approver):
        with transaction.atomic():
            services.approve_payment(payment, by=approver)
            assert mail.outbox == []

        assert sorted((m.extra_headers["X-Carepay-Kind"], m.to) for m in mail.outbox) == [
            ("payment_receipt", ["ada@example.com"]),
            ("staff_payment_received", [STAFF_INBOX]),
            ("transfer_approved", ["ada@example.com"]),
        ]

    def test_nobody_is_emailed_when_an_approval_rolls_back(self, payment, approver, invoice):
        with contextlib.suppress(HostFailure), transaction.atomic():
            services.approve_payment(payment, by=approver)
            raise HostFailure("the host could not activate the account")

        assert mail.outbox == []
        assert factories.reload(payment).status == Payment.Status.AWAITING_APPROVAL
        assert factories.reload(invoice).status == Invoice.Status.OPEN
        assert not Transaction.objects.exists()

    def test_the_payer_is_emailed_when_a_rejection_commits(self, payment, approver):
        services.reject_payment(payment, by=approver, notes=REASON)

        [email] = mail.outbox
        assert f"Reason: {REASON}" in email.body

    def test_nobody_is_emailed_when_a_rejection_rolls_back(self, payment, approver):
        with contextlib.suppress(HostFailure), transaction.atomic():
            services.reject_payment(payment, by=approver, notes=REASON)
            raise HostFailure("the host's audit log is down")

        assert mail.outbox == []
        assert factories.reload(payment).status == Payment.Status.AWAITING_APPROVAL
