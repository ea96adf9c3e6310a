"""carepay in the Django admin: invoices, payments, the ledger and webhook events.

Importing this package (Django's admin autodiscovery imports ``django_carepay.admin``)
registers the model admins; each lives in its own module:

- :mod:`.invoices` — drafts edited and issued; voiding, writing off, recording a payment;
- :mod:`.payments` — approving, rejecting and refunding payments;
- :mod:`.ledger` — the ledger and the webhook log, read-only;
- :mod:`.reminders` — the reminders e-mailed, read-only;
- :mod:`.audit` — the audit trail, read-only;
- :mod:`.forms` — the forms of those pages; :mod:`.actions` — running a service on
  the selected objects; :mod:`.display` — money columns and one-line descriptions.

Thin, like the other views: every change to billing state goes through
:mod:`django_carepay.services`, and a refusal (a
:class:`~django_carepay.exceptions.CarepayError`) is shown to the user and changes
nothing. Statuses, numbers and amounts are never form fields; the ledger and the
webhook log are read-only.

Staff actions need carepay's permissions (:mod:`django_carepay.permissions`):
``carepay.record_payment``, ``carepay.refund_payment``, ``carepay.approve_payment``
and ``carepay.void_invoice``.
"""

from __future__ import annotations

from .actions import apply_to_each, confirm_with_reason, render_form_page

# Importing the modules registers their admins; the names stay importable from here.
from .audit import AuditEntryAdmin
from .display import ReadOnlyAdminMixin, money_display
from .forms import (
    LINE_FIELDS,
    CloseReasonForm,
    InvoiceForm,
    InvoiceLineForm,
    InvoiceLineFormSet,
    RecordPaymentForm,
    RefundForm,
)
from .invoices import DRAFT_FIELDS, InvoiceAdmin, InvoiceLineInline, PaymentInline
from .ledger import TransactionAdmin, TransactionInline, WebhookEventAdmin
from .payments import PaymentAdmin
from .reminders import InvoiceReminderAdmin

__all__ = [
    "DRAFT_FIELDS",
    "LINE_FIELDS",
    "AuditEntryAdmin",
    "CloseReasonForm",
    "InvoiceAdmin",
    "InvoiceForm",
    "InvoiceLineForm",
    "InvoiceLineFormSet",
    "InvoiceLineInline",
    "InvoiceReminderAdmin",
    "PaymentAdmin",
    "PaymentInline",
    "ReadOnlyAdminMixin",
    "RecordPaymentForm",
    "RefundForm",
    "TransactionAdmin",
    "TransactionInline",
    "WebhookEventAdmin",
    "apply_to_each",
    "confirm_with_reason",
    "money_display",
    "render_form_page",
]
