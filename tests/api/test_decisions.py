"""Staff decisions through the API: approve, reject, refund and the approvals queue.
Each needs its permission (403 otherwise); deciding twice or on the wrong state is 409."""

from __future__ import annotations

from decimal import Decimal

import pytest
from saas.billing import sign_up
from saas.demo import ensure_plans
from saas.models import Account

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.api.conftest import api, counts, grant

pytestmark = pytest.mark.django_db


def post(client, name, payment, body=None):
    return client.post(api(name, payment.public_id), body or {},
                       content_type="application/json")


class TestApprove:
    def test_the_money_goes_into_the_ledger(self, approver_client, approver, submitted):
        response = post(approver_client, "payment_approve", submitted, {"notes": "Arrived"})

        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "succeeded"
        assert body["amount_received"] == "80.00"
        assert body["decision"]["outcome"] == "approved"
        assert body["decision"]["notes"] == "Arrived"
        invoice = Invoice.objects.get()
        assert invoice.status == Invoice.Status.PAID
        assert Transaction.objects.get().created_by == approver

    def test_a_corrected_amount(self, approver_client, submitted):
        body = post(approver_client, "payment_approve", submitted, {"amount": "79.50"}).json()
        assert body["amount_received"] == "79.50"
        assert Invoice.objects.get().amount_due == Decimal("0.50")

    def test_the_saas_account_becomes_active_with_its_credits(self, approver_client, patient):
        plans = ensure_plans()
        subscription = sign_up(owner=patient, name="Indus Looms", plan=plans["growth"],
                               country="PK")
        payment = services.submit_transfer(subscription.invoice, backend="bank_transfer_pk",
                                           reference="BT-2026-002", by=patient)

        assert post(approver_client, "payment_approve", payment).status_code == 200

        account = Account.objects.get()
        assert (account.status, account.credits) == (Account.Status.ACTIVE, 50_000)

    def test_deciding_twice_is_409(self, approver_client, submitted, nothing_changes):
        post(approver_client, "payment_approve", submitted)
        submitted.refresh_from_db()
        before = counts()
        with nothing_changes(submitted):
            response = post(approver_client, "payment_approve", submitted)
            again = post(approver_client, "payment_reject", submitted, {"notes": "No"})
        assert (response.status_code, response.json()["code"]) == (409, "already_decided")
        assert (again.status_code, again.json()["code"]) == (409, "already_decided")
        assert "already approved" in response.json()["message"]
        assert counts() == before

    def test_a_payment_not_awaiting_approval_is_409(self, approver_client, gb_invoice):
        cash = factories.pay_cash(gb_invoice, "10.00")
        response = post(approver_client, "payment_approve", cash)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state")

    def test_an_overpayment_is_409_unless_allowed(self, approver_client, submitted):
        response = post(approver_client, "payment_approve", submitted, {"amount": "90.00"})
        assert (response.status_code, response.json()["code"]) == (409, "would_overpay")
        assert not Transaction.objects.exists()

        response = post(approver_client, "payment_approve", submitted,
                        {"amount": "90.00", "allow_overpayment": True})
        assert response.status_code == 200
        assert Invoice.objects.get().amount_overpaid == 10

    def test_four_eyes(self, client, patient, submitted, settings):
        settings.CAREPAY = {**settings.CAREPAY, "REQUIRE_DISTINCT_APPROVER": True}
        grant(patient, "approve_payment")
        client.force_login(patient)  # who submitted it
        response = post(client, "payment_approve", submitted)
        assert (response.status_code, response.json()["code"]) == (403, "permission_refused")
        assert not Transaction.objects.exists()

    def test_without_the_permission_is_403(self, payer, submitted):
        before = counts()
        response = post(payer, "payment_approve", submitted)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
        assert counts() == before

    def test_anonymous_is_refused(self, client, submitted):
        response = post(client, "payment_approve", submitted)
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"

    def test_an_unknown_payment_is_404(self, approver_client):
        response = approver_client.post(
            "/api/billing/payments/00000000-0000-4000-8000-000000000000/approve/", {},
            content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


class TestReject:
    def test_with_a_reason(self, approver_client, submitted):
        response = post(approver_client, "payment_reject", submitted,
                        {"notes": "Nothing arrived"})

        assert response.status_code == 200
        assert response.json()["status"] == "failed"
        assert response.json()["decision"] == {
            "outcome": "rejected", "notes": "Nothing arrived",
            "decided_at": response.json()["decision"]["decided_at"]}
        assert Invoice.objects.get().status == Invoice.Status.OPEN

    @pytest.mark.parametrize("body", [{}, {"notes": ""}, {"notes": "  "}])
    def test_without_a_reason_is_400(self, approver_client, submitted, body):
        response = post(approver_client, "payment_reject", submitted, body)
        assert response.status_code == 400
        assert response.json()["field"] == "notes"
        assert Payment.objects.get().status == Payment.Status.AWAITING_APPROVAL

    def test_without_the_permission_is_403(self, payer, submitted):
        assert post(payer, "payment_reject", submitted, {"notes": "x"}).status_code == 403


class TestRefund:
    @pytest.fixture
    def paid(self, gb_invoice):
        return factories.pay_cash(gb_invoice)

    def test_part_then_the_rest(self, approver_client, paid):
        first = post(approver_client, "payment_refund", paid,
                     {"amount": "30.00", "reason": "Goodwill"})
        rest = post(approver_client, "payment_refund", paid)

        assert first.status_code == 201
        assert first.json()["refund"] == {"amount": "30.00", "currency": "GBP",
                                          "reason": "Goodwill",
                                          "created_at": first.json()["refund"]["created_at"]}
        assert first.json()["payment"]["status"] == "partially_refunded"
        assert rest.json()["refund"]["amount"] == "50.00"
        assert rest.json()["payment"]["status"] == "refunded"
        assert Invoice.objects.get().status == Invoice.Status.REFUNDED

    def test_more_than_refundable_is_400(self, approver_client, paid, nothing_changes):
        with nothing_changes(paid):
            response = post(approver_client, "payment_refund", paid, {"amount": "80.01"})
        assert (response.status_code, response.json()["field"]) == (400, "amount")

    def test_nothing_to_refund_is_409(self, approver_client, submitted):
        response = post(approver_client, "payment_refund", submitted)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state")

    def test_without_the_permission_is_403(self, client, django_user_model, paid):
        clerk = django_user_model.objects.create_user("clerk", is_staff=True)
        grant(clerk, "approve_payment")
        client.force_login(clerk)
        before = counts()
        response = post(client, "payment_refund", paid)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
        assert counts() == before


class TestApprovalQueue:
    def test_oldest_first_with_what_staff_need(self, approver_client, submitted, patient):
        later = factories.make_invoice(customer=patient, billing={"country": "GB"})
        services.submit_transfer(later, backend="bank_transfer_uk", reference="BT-2", by=patient)

        body = approver_client.get(api("approvals")).json()

        assert [row["reference"] for row in body["results"]] == ["BT-2026-001", "BT-2"]
        row = body["results"][0]
        assert row["invoice_summary"]["number"] == submitted.invoice.number
        assert row["submitted_by"] == "ada"
        assert row["overpays_by"] == "0.00"

    def test_without_the_permission_is_403(self, payer):
        assert payer.get(api("approvals")).status_code == 403
