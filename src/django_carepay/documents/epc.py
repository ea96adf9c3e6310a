"""EPC QR codes ("GiroCode"): a SEPA credit transfer a banking app can scan, printed
on an open EUR invoice for each bank-transfer method that has an ``iban`` option.

The code carries the beneficiary, IBAN, BIC, the amount payable and the method's
payment reference as unstructured remittance text (the structured field is for ISO
11649 creditor references only).
"""

from __future__ import annotations

from typing import Any

from ..backends import available_backends
from ..backends.bank_transfer import BankTransferBackend
from ..models import Invoice
from . import engine

#: The only currency an EPC QR code can carry.
EPC_CURRENCY = "EUR"


def epc_svg(*, name: str, iban: str, amount: Any, text: str, bic: str = "") -> str:
    """An EPC QR code as an inline ``<svg>``; ``ValueError`` when the data do not fit
    the standard (a name over 70 characters, an amount out of range, …)."""
    helpers = engine.load("segno.helpers")
    code = helpers.make_epc_qr(name=name, iban=iban, amount=amount, text=text,
                               bic=bic or None)
    svg: str = code.svg_inline(scale=2, border=2)
    return svg


def giro_codes(invoice: Invoice, *, beneficiary: str = "") -> list[dict[str, Any]]:
    """One entry per bank-transfer method a payer may use for ``invoice`` that has an
    IBAN — label, beneficiary, IBAN, BIC, amount, reference and ``qr`` (an SVG) — or
    ``[]`` when the invoice is not open, not in EUR, or has nothing to pay.

    ``beneficiary`` (the issuer's name) stands in for a method without one.
    """
    if not invoice.is_payable or invoice.currency.upper() != EPC_CURRENCY:
        return []
    amount = invoice.amount_payable
    codes = []
    for backend in available_backends(invoice):
        if not isinstance(backend, BankTransferBackend) or not backend.iban:
            continue
        name = backend.beneficiary or beneficiary
        reference = backend.payment_reference(invoice)
        if not name:
            continue
        try:
            qr = epc_svg(name=name, iban=backend.iban, amount=amount, text=reference,
                         bic=backend.bic)
        except ValueError:  # does not fit the EPC standard: the account text remains
            continue
        codes.append({"label": backend.label, "beneficiary": name, "iban": backend.iban,
                      "iban_display": " ".join(backend.iban[i:i + 4]
                                               for i in range(0, len(backend.iban), 4)),
                      "bic": backend.bic, "amount": amount, "reference": reference,
                      "qr": qr})
    return codes
