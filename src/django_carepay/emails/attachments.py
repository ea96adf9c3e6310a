"""The PDFs e-mails carry, made by :mod:`django_carepay.documents` when it is there.

The seam between e-mails and documents: an e-mail asks for its PDF here and gets
``(filename, content, "application/pdf")``, or ``None`` when no PDF can be made
(documents not installed, WeasyPrint or its system libraries missing, a rendering
error). The e-mail then goes without it: a payer's receipt must not wait for a PDF.
The reason is logged; nothing is faked.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Invoice, Payment

logger = logging.getLogger("django_carepay")

PDF = "application/pdf"


def _render(function: str, obj: Any, number: str | None) -> bytes | None:
    """Call ``django_carepay.documents.<function>(obj)``; ``None`` (logged) if it cannot."""
    try:
        documents = importlib.import_module("django_carepay.documents")
        render: Callable[[Any], bytes] = getattr(documents, function)
    except (ImportError, AttributeError):
        logger.warning("No PDF attached to the e-mail for invoice %s: "
                       "django_carepay.documents.%s is not available.", number, function)
        return None
    try:
        return render(obj)
    except Exception:  # MissingDependency (no WeasyPrint) or a rendering error
        logger.exception("No PDF attached to the e-mail for invoice %s: %s failed.",
                         number, function)
        return None


def invoice_attachment(invoice: Invoice) -> tuple[str, bytes, str] | None:
    """The issued ``invoice`` as a PDF attachment, or ``None`` if it cannot be made."""
    content = _render("invoice_pdf", invoice, invoice.number)
    return (f"{invoice.number}.pdf", content, PDF) if content is not None else None


def receipt_attachment(payment: Payment) -> tuple[str, bytes, str] | None:
    """The receipt of ``payment`` as a PDF attachment, or ``None`` if it cannot be made."""
    number = payment.invoice.number
    content = _render("receipt_pdf", payment, number)
    return (f"receipt-{number}-{payment.public_id.hex[:8]}.pdf", content, PDF) \
        if content is not None else None
