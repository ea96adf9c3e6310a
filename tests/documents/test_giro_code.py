"""The EPC QR code ("GiroCode") on an open EUR invoice: one per bank-transfer method
with an IBAN; none for other currencies, methods without an IBAN, or paid invoices.

pypdf cannot read a QR code, so the PDF's text shows what the code pays and the
rendering context carries the code itself.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from django_carepay import documents
from django_carepay.documents import render
from tests import factories
from tests.backends.bank_transfer.support import TRANSFER

from .conftest import LINES, pdf_text

pytestmark = pytest.mark.django_db

SEPA_IBAN = "DE89370400440532013000"


def sepa(**options: Any) -> dict[str, Any]:
    return {"BACKEND": TRANSFER, "OPTIONS": {
        "label": "SEPA transfer", "currencies": ["EUR", "GBP"],
        "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX",
        "beneficiary": "Riverside Praxis GmbH", "reference_format": "RS-{number}",
        **options}}


@pytest.fixture
def transfer_backends(settings):
    def configure(**backends: dict[str, Any]) -> None:
        settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": backends}
    return configure


def eur_invoice(patient, currency: str = "EUR"):
    return factories.make_invoice(customer=patient, currency=currency, lines=LINES)


def test_an_open_eur_invoice_shows_the_giro_code_and_what_it_pays(patient,
                                                                 transfer_backends):
    transfer_backends(sepa=sepa())
    invoice = eur_invoice(patient)

    [giro] = render.invoice_context(invoice)["giro_codes"]
    assert giro["iban"] == SEPA_IBAN and giro["bic"] == "COBADEFFXXX"
    assert giro["beneficiary"] == "Riverside Praxis GmbH"
    assert giro["amount"] == invoice.amount_payable
    assert giro["reference"] == f"RS-{invoice.number}"
    assert giro["qr"].startswith("<svg") and "<path" in giro["qr"]

    text = pdf_text(documents.render_invoice_pdf(invoice))
    assert "PAY BY BANK TRANSFER" in text
    assert "Riverside Praxis GmbH" in text
    assert "DE89 3704 0044 0532 0130 00" in text and "COBADEFFXXX" in text
    assert f"RS-{invoice.number}" in text
    assert "Amount €147.00" in text


def test_the_code_carries_the_sepa_payload(patient, transfer_backends, monkeypatch):
    transfer_backends(sepa=sepa(reference_format="{number}"))
    invoice = eur_invoice(patient)
    import segno.helpers
    made = []
    real = segno.helpers.make_epc_qr
    monkeypatch.setattr(segno.helpers, "make_epc_qr",
                        lambda **kw: made.append(kw) or real(**kw))

    render.invoice_context(invoice)

    [kwargs] = made
    assert kwargs == {"name": "Riverside Praxis GmbH", "iban": SEPA_IBAN,
                      "amount": invoice.amount_payable, "text": invoice.number,
                      "bic": "COBADEFFXXX"}


def test_one_code_per_method_with_an_iban_and_the_issuer_as_beneficiary(
        patient, transfer_backends):
    transfer_backends(
        sepa=sepa(),
        other=sepa(label="Second bank", iban="FR1420041010050500013M02606", bic="",
                   beneficiary=""),
        no_iban={"BACKEND": TRANSFER, "OPTIONS": {"label": "Wire",
                                                  "account": {"Bank": "Barclays"}}},
    )
    codes = render.invoice_context(eur_invoice(patient))["giro_codes"]

    assert [code["label"] for code in codes] == ["SEPA transfer", "Second bank"]
    assert codes[1]["beneficiary"] == "Riverside Medical Practice"  # the issuer
    assert codes[1]["bic"] == ""


@pytest.mark.parametrize("backends", [
    {"sepa": sepa(currencies=["EUR"])},  # a GBP invoice: not available, and not EUR
    {"sepa": sepa()},  # available for GBP, but an EPC code is for euros only
])
def test_no_code_for_a_gbp_invoice(patient, transfer_backends, backends):
    transfer_backends(**backends)
    invoice = eur_invoice(patient, currency="GBP")

    assert render.invoice_context(invoice)["giro_codes"] == []
    assert "PAY BY BANK TRANSFER" not in pdf_text(documents.render_invoice_pdf(invoice))


def test_no_code_without_an_iban_nor_on_a_paid_invoice(patient, transfer_backends):
    cash = settings.CAREPAY["BACKENDS"]["cash"]
    transfer_backends(sepa=sepa(iban="", account={"IBAN": SEPA_IBAN}))
    invoice = eur_invoice(patient)
    assert render.invoice_context(invoice)["giro_codes"] == []
    assert "PAY BY BANK TRANSFER" not in pdf_text(documents.render_invoice_pdf(invoice))

    transfer_backends(sepa=sepa(), cash=cash)
    paid = eur_invoice(patient)
    factories.pay_cash(paid)
    assert render.invoice_context(factories.reload(paid))["giro_codes"] == []


def test_the_default_settings_have_no_giro_code(patient):
    assert "BACKENDS" in settings.CAREPAY
    assert render.invoice_context(eur_invoice(patient))["giro_codes"] == []
