"""carepay's e-mails (design §12): one function per kind, each run on commit.

Every message has a subject, a text and an HTML body rendered from overridable
templates ``carepay/email/<kind>_subject.txt``, ``<kind>_body.txt`` and
``<kind>_body.html``, goes through ``adapter.send_message(message, kind=…,
invoice=…)``, and is sent only when ``CAREPAY["EMAILS"]`` leaves its kind on. The
services queue these functions with ``transaction.on_commit`` (``services._notify``):
nothing leaves before the money is committed, and a mail server that refuses is
logged with the invoice number, never raised (:func:`.compose.deliver`).

- :mod:`.compose` — render a kind's templates into a message, and deliver it;
- :mod:`.attachments` — the invoice and receipt PDFs, when :mod:`django_carepay.documents`
  and WeasyPrint are there;
- :mod:`.payer` — what the payer receives; :mod:`.staff` — what staff receive.
"""

from __future__ import annotations

from .compose import backend_label, deliver, email_enabled, payer_email, render_message
from .payer import (
    send_invoice_email,
    send_payment_decided,
    send_payment_failed,
    send_payment_receipt,
    send_refund_issued,
    send_reminder,
)
from .staff import send_staff_payment_received, send_transfer_submitted

__all__ = [
    "backend_label",
    "deliver",
    "email_enabled",
    "payer_email",
    "render_message",
    "send_invoice_email",
    "send_payment_decided",
    "send_payment_failed",
    "send_payment_receipt",
    "send_refund_issued",
    "send_reminder",
    "send_staff_payment_received",
    "send_transfer_submitted",
]
