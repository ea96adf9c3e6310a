"""``Idempotency-Key``: the first response replayed, another body refused (422), keys per
client for 24 hours, and two requests racing with one key make one effect."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from django_carepay import services
from django_carepay.exceptions import InvoiceBusy
from django_carepay.models import IdempotencyRecord, Payment, Transaction
from django_carepay.signals import payment_approved
from tests.api.conftest import api
from tests.threads import HoldUntilBlocked, run_in_threads, successes

pytestmark = pytest.mark.django_db


def transfer(client, invoice, key="key-1", **body):
    body = {"method": "bank_transfer_uk", "reference": "BT-2026-001", **body}
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(api("invoice_transfers", invoice.public_id), body,
                       content_type="application/json", headers=headers)


def approve(client, payment, key="approve-1", **body):
    return client.post(api("payment_approve", payment.public_id), body,
                       content_type="application/json", headers={"Idempotency-Key": key})


class TestReplay:
    def test_the_same_key_and_body_replay_the_first_response(self, payer, gb_invoice):
        first = transfer(payer, gb_invoice, amount="30.00")
        again = transfer(payer, gb_invoice, amount="30.00")

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert not first.has_header("Idempotent-Replayed")
        assert Payment.objects.count() == 1
        assert IdempotencyRecord.objects.count() == 1

    def test_a_replay_changes_nothing_even_after_a_change(self, approver_client, submitted):
        first = approve(approver_client, submitted, notes="Arrived")
        services.refund_payment(Payment.objects.get(), amount="10.00")

        again = approve(approver_client, submitted, notes="Arrived")

        assert again.json() == first.json()  # the first answer, not today's state
        assert again.json()["status"] == "succeeded"
        assert Transaction.objects.count() == 2  # the charge and the refund, no second charge

    def test_a_refusal_is_replayed_too(self, payer, gb_invoice):
        first = transfer(payer, gb_invoice, amount="99.00")
        again = transfer(payer, gb_invoice, amount="99.00")

        assert first.status_code == again.status_code == 400
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"

    def test_the_same_key_with_another_body_is_422(self, payer, gb_invoice):
        transfer(payer, gb_invoice, amount="30.00")
        before = list(Payment.objects.values())

        response = transfer(payer, gb_invoice, amount="40.00")

        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert response.json()["field"] == "Idempotency-Key"
        assert list(Payment.objects.values()) == before

    def test_the_same_key_on_another_endpoint_is_422(self, payer, gb_invoice):
        transfer(payer, gb_invoice, key="k")
        response = payer.post(api("invoice_payments", gb_invoice.public_id),
                              {"method": "online"}, content_type="application/json",
                              headers={"Idempotency-Key": "k"})
        assert response.status_code == 422

    def test_multipart_bodies_compare_by_content_not_boundary(self, payer, gb_invoice):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tests.api.conftest import PNG

        def post():
            return payer.post(api("invoice_transfers", gb_invoice.public_id), {
                "method": "bank_transfer_uk", "reference": "BT-1",
                "proof": SimpleUploadedFile("r.png", PNG)},
                headers={"Idempotency-Key": "upload"})

        first, again = post(), post()
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()

    def test_without_a_key_nothing_is_stored(self, payer, gb_invoice):
        transfer(payer, gb_invoice, key=None)
        assert not IdempotencyRecord.objects.exists()


class TestScope:
    def test_keys_belong_to_their_user(self, payer, client, other_patient, gb_invoice,
                                       patient):
        from tests import factories

        theirs = factories.make_invoice(customer=other_patient, billing={"country": "GB"})
        transfer(payer, gb_invoice, key="same")
        other = Client()
        other.force_login(other_patient)

        response = transfer(other, theirs, key="same")

        assert response.status_code == 201
        assert not response.has_header("Idempotent-Replayed")
        assert Payment.objects.count() == 2

    def test_a_payment_link_session_has_its_own_keys(self, gb_invoice):
        link = services.payment_link(gb_invoice).removeprefix("https://clinic.example.com")
        first, second = Client(), Client()
        first.get(link)
        second.get(link)

        a = transfer(first, gb_invoice, key="anon", amount="10.00")
        b = transfer(first, gb_invoice, key="anon", amount="10.00")
        c = transfer(second, gb_invoice, key="anon", amount="20.00")

        assert (a.status_code, b.status_code, c.status_code) == (201, 201, 201)
        assert b["Idempotent-Replayed"] == "true"
        assert not c.has_header("Idempotent-Replayed")
        assert {r.scope.split(":")[0] for r in IdempotencyRecord.objects.all()} == {"session"}

    def test_a_key_expires_after_24_hours(self, payer, gb_invoice):
        transfer(payer, gb_invoice, amount="10.00")
        with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
            response = transfer(payer, gb_invoice, amount="20.00")  # would be 422 before

            assert response.status_code == 201
            assert IdempotencyRecord.objects.get().response_body["amount"] == "20.00"
            out = StringIO()
            call_command("carepay_prune_idempotency_keys", stdout=out)
            assert "0 expired" in out.getvalue()
        with time_machine.travel(timezone.now() + timedelta(days=3)):
            call_command("carepay_prune_idempotency_keys", stdout=out)
        assert not IdempotencyRecord.objects.exists()

    @pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "clé"])
    def test_a_malformed_key_is_400(self, payer, gb_invoice, key):
        response = transfer(payer, gb_invoice, key=key)
        assert response.status_code == 400
        assert response.json()["field"] == "Idempotency-Key"
        assert not Payment.objects.exists()


def test_a_try_again_refusal_is_not_stored(approver_client, submitted, monkeypatch):
    real = services.approve_payment
    calls = []

    def busy_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise InvoiceBusy("Another request is working on this invoice; try again.")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "approve_payment", busy_once)

    first = approve(approver_client, submitted)
    again = approve(approver_client, submitted)

    assert (first.status_code, first.json()["code"]) == (409, "invoice_busy")
    assert again.status_code == 200
    assert not again.has_header("Idempotent-Replayed")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRacing:
    """Two requests with one key at the same moment, on PostgreSQL with real threads:
    one effect, and both get the first response."""

    def clients(self, user, n=2):
        made = []
        for _ in range(n):
            client = Client()
            client.force_login(user)
            made.append(client)
        return made

    def test_two_approvals_with_one_key(self, approver, submitted, receive):
        hold = HoldUntilBlocked(waiters=1)
        receive(payment_approved, action=hold)
        clients = self.clients(approver)

        outcomes = run_in_threads(2, lambda i: approve(clients[i], submitted, key="race"))

        responses = successes(outcomes)
        assert hold.overlapped, "the second request did not wait for the first"
        assert [r.status_code for r in responses] == [200, 200]
        assert responses[0].json() == responses[1].json()
        assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True]
        assert Transaction.objects.count() == 1
        assert IdempotencyRecord.objects.count() == 1

    def test_two_refunds_with_one_key(self, approver, gb_invoice, receive):
        from django_carepay.signals import payment_refunded
        from tests import factories

        paid = factories.pay_cash(gb_invoice)
        hold = HoldUntilBlocked(waiters=1)
        receive(payment_refunded, action=hold)
        clients = self.clients(approver)

        def refund(i):
            return clients[i].post(api("payment_refund", paid.public_id), {"amount": "20.00"},
                                   content_type="application/json",
                                   headers={"Idempotency-Key": "refund-race"})

        responses = successes(run_in_threads(2, refund))

        assert hold.overlapped
        assert [r.status_code for r in responses] == [201, 201]
        assert responses[0].json() == responses[1].json()
        assert Transaction.objects.filter(kind="refund").count() == 1

    def test_without_a_key_the_second_is_told_it_was_decided(self, approver, submitted):
        clients = self.clients(approver)

        def approve_without_key(i):
            return clients[i].post(api("payment_approve", submitted.public_id), {},
                                   content_type="application/json")

        statuses = sorted(r.status_code for r in successes(run_in_threads(2,
                                                                          approve_without_key)))
        assert statuses == [200, 409]
        assert Transaction.objects.count() == 1
