"""POST invoices/<uuid>/transfers/: a payer reports a bank transfer; every refusal of
the service is the right status and code, and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Payment
from tests import factories
from tests.api.conftest import PNG, api, counts

pytestmark = pytest.mark.django_db


def transfer(client, invoice, **body):
    body = {"method": "bank_transfer_uk", "reference": "BT-2026-001", **body}
    return client.post(api("invoice_transfers", invoice.public_id), body,
                       content_type="application/json")


def upload(client, invoice, proof, **fields):
    data = {"method": "bank_transfer_uk", "reference": "BT-2026-001", "proof": proof,
            **fields}
    return client.post(api("invoice_transfers", invoice.public_id), data)  # multipart


class TestSubmitting:
    def test_json_creates_a_payment_awaiting_approval(self, payer, gb_invoice, patient):
        response = transfer(payer, gb_invoice, amount="80.00", notes="From Barclays",
                            paid_on=str(timezone.localdate()))

        assert response.status_code == 201
        body = response.json()
        payment = Payment.objects.get()
        assert body["id"] == str(payment.public_id)
        assert body["status"] == "awaiting_approval"
        assert body["amount"] == "80.00"
        assert body["currency"] == "GBP"
        assert body["method"] == "bank_transfer_uk"
        assert body["invoice"] == str(gb_invoice.public_id)
        assert body["decision"] is None
        assert payment.recorded_by == patient
        assert payment.notes == "From Barclays"

    def test_the_amount_defaults_to_the_amount_due(self, payer, gb_invoice):
        response = transfer(payer, gb_invoice)

        assert response.status_code == 201
        assert response.json()["amount"] == "80.00"

    def test_a_part_payment(self, payer, gb_invoice):
        assert transfer(payer, gb_invoice, amount="30.5").json()["amount"] == "30.50"

    def test_multipart_with_a_proof(self, payer, gb_invoice):
        response = upload(payer, gb_invoice, SimpleUploadedFile("receipt.png", PNG),
                          amount="80.00")

        assert response.status_code == 201, response.json()
        payment = Payment.objects.get()
        assert payment.proof.name.endswith(".png")
        assert response.json()["proof_url"].endswith(f"/payments/{payment.public_id}/proof/")

    def test_a_method_for_the_payers_country(self, payer, pk_invoice):
        response = transfer(payer, pk_invoice, method="bank_transfer_pk", amount="8000")

        assert response.status_code == 201
        assert response.json()["amount"] == "8000.00"
        assert response.json()["currency"] == "PKR"

    def test_through_a_payment_link_without_an_account(self, client, gb_invoice):
        client.get(services.payment_link(gb_invoice).removeprefix("https://clinic.example.com"))

        response = transfer(client, gb_invoice)

        assert response.status_code == 201
        assert Payment.objects.get().recorded_by is None


def refused(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"code": code, "field": field,
                               "message": response.json()["message"]}
    assert response.json()["message"]


class TestRefusals:
    """Each refusal: status, code and field, and not a row written."""

    @pytest.mark.parametrize(("body", "status", "code", "field"), [
        ({"amount": "80.01"}, 400, "invalid", "amount"),  # above the amount due
        ({"amount": "80.001"}, 400, "invalid", "amount"),  # finer than pence
        ({"amount": "0"}, 400, "not_positive", "amount"),
        ({"amount": "-5"}, 400, "not_positive", "amount"),
        ({"amount": 80.0}, 400, "not_a_string", "amount"),  # a float is never money
        ({"amount": "8e1"}, 400, "invalid", "amount"),
        ({"amount": "1,000"}, 400, "invalid", "amount"),
        ({"amount": "NaN"}, 400, "invalid", "amount"),
        ({"amount": "1" * 40}, 400, "invalid", "amount"),
        ({"reference": ""}, 400, "blank", "reference"),
        ({"reference": "   "}, 400, "blank", "reference"),
        ({"reference": "x" * 256}, 400, "max_length", "reference"),
        ({"reference": None}, 400, "null", "reference"),
        ({"method": ""}, 400, "blank", "method"),
        ({"method": "nope"}, 400, "unknown_method", "method"),
        ({"method": "cash"}, 400, "method_not_available", "method"),  # staff only
        ({"method": "online"}, 400, "method_not_available", "method"),  # not a transfer
        ({"method": "bank_transfer_pk"}, 400, "method_not_available", "method"),  # GB, GBP
        ({"method": "bank_transfer_uk", "country": "PK"}, 400, "method_not_available",
         "method"),
        ({"country": "Britain"}, 400, "invalid", "country"),
        ({"country": "1x"}, 400, "invalid", "country"),
        ({"paid_on": "tomorrow"}, 400, "invalid", "paid_on"),
        ({"notes": "x" * 2001}, 400, "max_length", "notes"),
        ({"reference": "BT\x00001"}, 400, "null_characters_not_allowed", "reference"),
    ])
    def test_bad_input(self, payer, gb_invoice, nothing_changes, body, status, code, field):
        before = counts()
        with nothing_changes(gb_invoice):
            refused(transfer(payer, gb_invoice, **body), status, code, field)
        assert counts() == before

    def test_a_date_paid_in_the_future(self, payer, gb_invoice):
        tomorrow = timezone.localdate() + timedelta(days=1)
        refused(transfer(payer, gb_invoice, paid_on=str(tomorrow)), 400, "future", "paid_on")
        assert not Payment.objects.exists()

    def test_a_method_not_taking_the_invoices_currency(self, payer, patient):
        eur = factories.make_invoice(customer=patient, currency="EUR",
                                     billing={"country": "GB"})
        before = counts()
        refused(transfer(payer, eur), 400, "method_not_available", "method")
        refused(transfer(payer, eur, method="swift"), 400, "method_not_available", "method")
        assert counts() == before

    def test_an_oversized_proof(self, payer, gb_invoice, settings):
        settings.CAREPAY = {**settings.CAREPAY, "MAX_PROOF_SIZE": 1024}
        before = counts()
        big = SimpleUploadedFile("receipt.png", PNG + b"\0" * 2000)
        refused(upload(payer, gb_invoice, big), 400, "too_large", "proof")
        assert counts() == before

    @pytest.mark.parametrize("content", [b"<html>not a receipt</html>", b"GIF89a......"])
    def test_a_proof_of_the_wrong_type(self, payer, gb_invoice, content):
        before = counts()
        refused(upload(payer, gb_invoice, SimpleUploadedFile("receipt.pdf", content)),
                400, "unsupported_type", "proof")
        assert counts() == before

    def test_an_empty_proof(self, payer, gb_invoice):
        refused(upload(payer, gb_invoice, SimpleUploadedFile("receipt.pdf", b"")),
                400, "empty", "proof")
        assert not Payment.objects.exists()

    def test_a_paid_invoice(self, payer, gb_invoice, nothing_changes):
        factories.pay_cash(gb_invoice)
        gb_invoice.refresh_from_db()
        before = counts()
        with nothing_changes(gb_invoice):
            refused(transfer(payer, gb_invoice), 409, "invalid_state")
        assert counts() == before

    def test_a_void_invoice(self, payer, gb_invoice):
        services.void_invoice(gb_invoice)
        refused(transfer(payer, gb_invoice), 409, "invalid_state")
        assert not Payment.objects.exists()

    def test_a_second_transfer_above_what_is_left(self, payer, gb_invoice):
        factories.pay_cash(gb_invoice, "50.00")
        refused(transfer(payer, gb_invoice, amount="40.00"), 400, "invalid", "amount")
        assert Payment.objects.count() == 1

    def test_not_json(self, payer, gb_invoice):
        response = payer.post(api("invoice_transfers", gb_invoice.public_id), "{not json",
                              content_type="application/json")
        refused(response, 400, "parse_error")

    def test_a_body_that_is_not_an_object(self, payer, gb_invoice):
        response = payer.post(api("invoice_transfers", gb_invoice.public_id), "[1, 2]",
                              content_type="application/json")
        refused(response, 400, "invalid")

    def test_another_media_type(self, payer, gb_invoice):
        response = payer.post(api("invoice_transfers", gb_invoice.public_id), "method=x",
                              content_type="text/plain")
        refused(response, 415, "unsupported_media_type")


class TestWhoMaySubmit:
    def test_another_payers_invoice_is_404(self, client, other_patient, gb_invoice):
        client.force_login(other_patient)
        refused(transfer(client, gb_invoice), 404, "not_found")
        assert not Payment.objects.exists()

    def test_an_unknown_invoice_is_404(self, payer):
        response = payer.post("/api/billing/invoices/00000000-0000-4000-8000-000000000000/"
                              "transfers/", {}, content_type="application/json")
        refused(response, 404, "not_found")

    def test_anonymous_must_authenticate(self, client, gb_invoice):
        # DRF's default authentication: the session first, which sends no challenge,
        # so 403 rather than 401 (tests/api/test_errors.py has the 401).
        refused(transfer(client, gb_invoice), 403, "not_authenticated")
        assert not Payment.objects.exists()

    def test_a_draft_is_404_even_to_its_customer(self, payer, draft):
        refused(transfer(payer, draft), 404, "not_found")
