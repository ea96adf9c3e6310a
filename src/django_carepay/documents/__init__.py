"""PDFs of invoices and receipts (design §11), with the ``[pdf]`` extra.

``render_invoice_pdf`` / ``render_receipt_pdf`` render afresh; ``invoice_pdf`` /
``receipt_pdf`` serve an issued invoice's or a payment's stored copy, rendering and
storing it on first use (what the download views and the e-mails call).
``render_statement_pdf`` renders a payer's statement of account, an as-of document
that is never stored.
"""

from .engine import INSTALL_HINT
from .render import render_invoice_pdf, render_receipt_pdf
from .statement import render_statement_pdf
from .stored import invoice_pdf, receipt_pdf

__all__ = [
    "INSTALL_HINT",
    "invoice_pdf",
    "receipt_pdf",
    "render_invoice_pdf",
    "render_receipt_pdf",
    "render_statement_pdf",
]
