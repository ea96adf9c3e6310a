"""Shared helpers for the staff console tests: URLs and what a page's forms send."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from django_carepay.models import Invoice, InvoiceLine, Payment
from django_carepay.services import invoice_version
from tests import factories


def invoice_url(invoice: Invoice, action: str = "") -> str:
    name = f"carepay:staff_invoice_{action}" if action else "carepay:staff_invoice"
    return reverse(name, args=[invoice.public_id])


def payment_url(payment: Payment, action: str) -> str:
    return reverse(f"carepay:staff_payment_{action}",
                   args=[payment.invoice.public_id, payment.public_id])


def line_url(line: InvoiceLine, action: str = "edit_line") -> str:
    return reverse(f"carepay:staff_invoice_{action}", args=[line.invoice.public_id, line.pk])


def prefix(payment: Payment, action: str) -> str:
    return f"{action}-{payment.public_id.hex[:12]}"


def version(invoice: Invoice) -> str:
    """The version the invoice's page shows now (read afresh)."""
    return invoice_version(factories.reload(invoice))


def form(form_prefix: str, invoice: Invoice, **fields: Any) -> dict[str, Any]:
    """A form of the invoice page as the browser sends it (with the page's version)."""
    data = {f"{form_prefix}-{name}": value for name, value in fields.items()}
    data[f"{form_prefix}-version"] = version(invoice)
    return data


def post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data)
