"""A payer who submits the same transfer twice (a double click, a reload of the
form's POST) reports one payment: the second submission returns the first, stores no
second proof and announces nothing again, also when both arrive at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from django_carepay import signals
from django_carepay.models import Payment
from tests import factories
from tests.backends.bank_transfer.support import (
    confirmation,
    media_files,
    pay_url,
    pdf_proof,
    reference_for,
    submit,
)
from tests.testapp.models import Appointment
from tests.threads import HoldUntilBlocked, errors, run_in_threads, successes


@pytest.mark.django_db
class TestSubmittingTwice:
    def test_the_second_submission_returns_the_first(self, invoice, patient, media, receive,
                                                     django_capture_on_commit_callbacks):
        submitted = receive(signals.payment_submitted, sender=Appointment)
        with django_capture_on_commit_callbacks(execute=True):
            first = submit(invoice, by=patient, proof=pdf_proof())
            second = submit(invoice, by=patient, proof=pdf_proof())

        assert second.pk == first.pk
        assert second.status == Payment.Status.AWAITING_APPROVAL
        [stored] = Payment.objects.all()
        assert (stored.amount, stored.reference) == (Decimal("80.00"), reference_for(invoice))
        assert list(media_files(media)) == [stored.proof.name]
        assert submitted.count == 1
        assert len(mail.outbox) == 1  # staff are told once

    def test_the_amount_due_by_default_is_the_same_amount(self, invoice, patient):
        first = submit(invoice, by=patient, amount="80.00")

        assert submit(invoice, by=patient).pk == first.pk
        assert Payment.objects.count() == 1

    def test_a_reference_differing_only_in_spaces_is_the_same(self, invoice, patient):
        first = submit(invoice, by=patient)

        assert submit(invoice, by=patient, reference=f" {reference_for(invoice)} ").pk \
            == first.pk

    @pytest.mark.parametrize("change", [{"amount": "30.00"}, {"reference": "BT-OTHER"}])
    def test_another_amount_or_reference_is_another_payment(self, invoice, patient, change):
        submit(invoice, by=patient)

        submit(invoice, by=patient, **change)

        assert Payment.objects.filter(status=Payment.Status.AWAITING_APPROVAL).count() == 2

    def test_a_rejected_submission_may_be_submitted_again(self, invoice, patient, approver):
        from django_carepay import services

        first = submit(invoice, by=patient)
        services.reject_payment(first, by=approver, notes="Not on our statement yet.")

        second = submit(invoice, by=patient)

        assert second.pk != first.pk
        assert factories.reload(second).status == Payment.Status.AWAITING_APPROVAL

    def test_posting_the_pay_page_twice(self, patient_client, invoice, media):
        for _ in range(2):
            response = patient_client.post(
                pay_url(invoice), {**confirmation(invoice), "proof": pdf_proof()})
            assert response.status_code == 302

        [stored] = Payment.objects.all()
        assert list(media_files(media)) == [stored.proof.name]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [2, 3])
def test_simultaneous_submissions_make_one_payment(receive, invoice, patient, media, count):
    hold = HoldUntilBlocked(count - 1)
    submitted = receive(signals.payment_submitted, sender=Appointment, action=hold)

    outcomes = run_in_threads(count, lambda i: submit(invoice, by=patient,
                                                      proof=pdf_proof()))

    assert hold.overlapped
    assert errors(outcomes) == []
    [stored] = Payment.objects.all()
    assert {p.pk for p in successes(outcomes)} == {stored.pk}
    assert stored.status == Payment.Status.AWAITING_APPROVAL
    assert list(media_files(media)) == [stored.proof.name]
    assert submitted.count == 1
