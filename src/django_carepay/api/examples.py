"""Examples in the OpenAPI document: the SaaS sign-up paid by bank transfer in Pakistan."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

_INVOICE_ID = "0b7f5a52-61d1-4c33-9f0a-2f4c1e7d9a10"
_PAYMENT_ID = "5d1c3a9e-8e1b-4f7a-b1f5-9c2e6b7a4d21"

_PAYMENT = {
    "id": _PAYMENT_ID, "invoice": _INVOICE_ID, "invoice_number": "INV-2026-00042",
    "method": "bank_transfer_pk", "method_label": "Bank transfer in Pakistan (IBFT)",
    "status": "awaiting_approval", "currency": "PKR", "amount": "27500.00",
    "amount_received": "0.00", "amount_refunded": "0.00", "refundable_amount": "0.00",
    "reference": "INV-2026-00042", "notes": "Paid from Meezan Bank", "paid_on": "2026-11-28",
    "proof_url": "https://cloud.example.com/billing/payments/"
                 f"{_PAYMENT_ID}/proof/",
    "failure_code": "", "failure_message": "", "decision": None,
    "created_at": "2026-11-29T09:12:44Z", "succeeded_at": None,
}

INVOICE_PAGE = OpenApiExample("A page of invoices", response_only=True, value={
    "count": 1, "next": None, "previous": None, "results": [{
        "id": _INVOICE_ID, "number": "INV-2026-00042", "status": "open", "currency": "PKR",
        "subtotal": "27500.00", "tax": "0.00", "total": "27500.00", "amount_paid": "0.00",
        "amount_refunded": "0.00", "amount_due": "27500.00", "amount_payable": "27500.00",
        "is_payable": True, "issued_at": "2026-11-29T09:01:02Z", "due_date": "2026-12-29",
        "paid_at": None,
        "billing": {"name": "Indus Looms", "email": "bilal.qureshi@example.com",
                    "address": "", "country": "PK", "tax_id": "", "language": ""},
        "pdf_url": f"https://cloud.example.com/billing/invoices/{_INVOICE_ID}/pdf/",
    }],
})

METHODS = OpenApiExample("Methods for Pakistan", response_only=True, value=[{
    "method": "bank_transfer_pk", "label": "Bank transfer in Pakistan (IBFT)",
    "kind": "offline", "requires_approval": True,
    "instructions": "Transfer Rs 27,500.00 through IBFT or at any branch to the IBAN below. "
                    "Write <strong>INV-2026-00042</strong> in the remarks.",
    "reference": "INV-2026-00042",
    "account": [{"label": "Account title", "value": "Riverside Group Ltd"},
                {"label": "IBAN", "value": "PK36SCBL0000001123456702"}],
}, {
    "method": "card", "label": "Card", "kind": "online", "requires_approval": False,
    "instructions": "", "reference": "", "account": [],
}])

TRANSFER = OpenApiExample("Confirm a transfer", request_only=True, value={
    "method": "bank_transfer_pk", "amount": "27500.00", "reference": "INV-2026-00042",
    "notes": "Paid from Meezan Bank", "paid_on": "2026-11-28",
})

TRANSFER_SUBMITTED = OpenApiExample("Submitted, awaiting approval", response_only=True,
                                    status_codes=["201"], value=_PAYMENT)

APPROVE = OpenApiExample("Approve as received", request_only=True,
                         value={"notes": "Arrived 29 Nov", "amount": "27500.00"})

REFUND = OpenApiExample("Refund part", request_only=True,
                        value={"amount": "5000.00", "reason": "Downgraded to Starter"})
