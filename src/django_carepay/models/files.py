"""Where carepay stores the PDFs it renders: names no one can guess.

A leaf below the models that name these functions in their ``upload_to`` (migrations
reference them by path, so they stay here). Invoices and receipts are personal data:
even on a storage with public URLs, a name is not a key to anyone else's document;
carepay serves them only through its access-checked views.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone


def invoice_document_upload_to(invoice: Any, filename: str) -> str:
    """``carepay/invoices/2026/11/<random>.pdf`` for an issued invoice's PDF."""
    return f"carepay/invoices/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


def receipt_upload_to(payment: Any, filename: str) -> str:
    """``carepay/receipts/2026/11/<random>.pdf`` for a payment's receipt."""
    return f"carepay/receipts/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"
