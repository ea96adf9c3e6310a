"""POST invoices/<uuid>/payments/ (online) and GET payments/<uuid>/."""

from __future__ import annotations

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.models import Payment
from tests import factories
from tests.api.conftest import api, counts

pytestmark = pytest.mark.django_db


def start(client, invoice, method="online"):
    return client.post(api("invoice_payments", invoice.public_id), {"method": method},
                       content_type="application/json")


class TestStartingAnOnlinePayment:
    def test_a_step_carepays_page_renders_is_a_redirect_to_it(self, payer, gb_invoice):
        response = start(payer, gb_invoice)

        assert response.status_code == 200
        body = response.json()
        payment = Payment.objects.get()
        assert body["payment"]["id"] == str(payment.public_id)
        assert body["payment"]["status"] == "pending"
        assert body["payment"]["amount"] == "80.00"
        assert body["next_action"] == "redirect"
        assert body["redirect_url"].endswith(
            f"/billing/invoices/{gb_invoice.public_id}/pay/online/")
        assert body["return_url"].endswith(f"/billing/payments/{payment.public_id}/return/")
        assert body["client_secret"] is None

    def test_starting_again_resumes_the_same_payment(self, payer, gb_invoice):
        first = start(payer, gb_invoice).json()["payment"]["id"]
        assert start(payer, gb_invoice).json()["payment"]["id"] == first
        assert Payment.objects.count() == 1

    @pytest.mark.parametrize(("method", "code"), [
        ("cash", "method_not_available"),
        ("bank_transfer_uk", "method_not_available"),  # pay outside, then transfers/
        ("nope", "unknown_method"),
    ])
    def test_a_method_that_is_not_online(self, payer, gb_invoice, method, code):
        before = counts()
        response = start(payer, gb_invoice, method)
        assert (response.status_code, response.json()["code"]) == (400, code)
        assert response.json()["field"] == "method"
        assert counts() == before

    def test_a_paid_invoice_is_409(self, payer, gb_invoice):
        factories.pay_cash(gb_invoice)
        before = counts()
        response = start(payer, gb_invoice)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
        assert counts() == before

    def test_while_a_payment_is_processing_it_is_409(self, payer, gb_invoice):
        debit = factories.start_online(gb_invoice)  # a bank debit, not yet cleared
        services.apply_provider_update(factories.provider_update(debit,
                                                                 UpdateKind.PROCESSING))
        before = counts()
        response = start(payer, gb_invoice)
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
        assert "still being processed" in response.json()["message"]
        assert counts() == before

    def test_another_payers_invoice_is_404(self, client, other_patient, gb_invoice):
        client.force_login(other_patient)
        assert start(client, gb_invoice).status_code == 404
        assert not Payment.objects.exists()


class TestPaymentDetail:
    def test_its_payer_sees_it(self, payer, submitted):
        body = payer.get(api("payment", submitted.public_id)).json()

        assert body["status"] == "awaiting_approval"
        assert body["reference"] == "BT-2026-001"
        assert body["method_label"] == "UK bank transfer"

    def test_another_payer_gets_404(self, client, other_patient, submitted):
        client.force_login(other_patient)
        response = client.get(api("payment", submitted.public_id))
        assert (response.status_code, response.json()["code"]) == (404, "not_found")

    def test_staff_who_decide_see_it(self, approver_client, submitted):
        assert approver_client.get(api("payment", submitted.public_id)).status_code == 200

    def test_anonymous_is_refused(self, client, submitted):
        assert client.get(api("payment", submitted.public_id)).status_code in (401, 403)


class TestWhatAPayerIsShownOfTheStaffsNotes:
    """A payment's notes and an approval's notes are the staff's own: the payer sees the
    notes they wrote themselves and the reason of a rejection (which they are sent),
    never what staff noted down; staff see everything."""

    def get(self, client, payment):
        return client.get(api("payment", payment.public_id)).json()

    def test_a_cash_payments_notes(self, payer, approver_client, gb_invoice, staff):
        from django_carepay import services

        cash = services.record_payment(gb_invoice, backend="cash", amount="30.00", by=staff,
                                       notes="Paid in coins; counted twice")

        assert self.get(payer, cash)["notes"] == ""
        assert self.get(approver_client, cash)["notes"] == "Paid in coins; counted twice"

    def test_an_approvals_notes_but_a_transfers_own(self, payer, approver_client, approver,
                                                    gb_invoice, patient):
        from django_carepay import services

        transfer = services.submit_transfer(gb_invoice, backend="bank_transfer_uk",
                                            reference="BT-7", notes="Sent from my wife's account",
                                            by=patient)
        services.approve_payment(transfer, by=approver, notes="Statement line 4, late again")

        seen = self.get(payer, transfer)
        assert seen["notes"] == "Sent from my wife's account"
        assert (seen["decision"]["outcome"], seen["decision"]["notes"]) == ("approved", "")
        staff_view = self.get(approver_client, transfer)
        assert staff_view["decision"]["notes"] == "Statement line 4, late again"

    def test_a_rejections_reason(self, payer, approver, submitted):
        from django_carepay import services

        services.reject_payment(submitted, by=approver, notes="Nothing arrived")

        assert self.get(payer, submitted)["decision"]["notes"] == "Nothing arrived"

    def test_in_the_invoice_too(self, payer, gb_invoice, staff):
        from django_carepay import services

        services.record_payment(gb_invoice, backend="cash", amount="30.00", by=staff,
                                notes="Paid in coins")

        body = payer.get(api("invoice", gb_invoice.public_id)).json()
        assert [p["notes"] for p in body["payments"]] == [""]


def test_staff_notes_stay_hidden_once_the_staff_account_is_deleted(payer, gb_invoice,
                                                                    staff):
    """recorded_by is optional and SET_NULL: the rule is the payment's kind (a payer's
    own submission), not who recorded it."""
    from django_carepay import services

    cash = services.record_payment(gb_invoice, backend="cash", amount="30.00", by=staff,
                                   notes="Paid in coins; counted twice")
    staff.delete()
    imported = services.record_payment(gb_invoice, backend="cash", amount="10.00", by=None,
                                       notes="Imported from the till; drawer 2 was short")

    for payment in (cash, imported):
        assert payer.get(api("payment", payment.public_id)).json()["notes"] == ""
