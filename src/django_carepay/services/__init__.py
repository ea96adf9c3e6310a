"""The only code that changes billing state, one module per capability.

Every service runs in one database transaction, locks the rows it changes (invoice
first, then payment: :mod:`._locks`), writes the ledger and the cached totals only
through :mod:`._ledger`, applies the state machines' transitions, and sends carepay's
signals inside that transaction after the new state is saved (:mod:`._notify`). A
refusal raises a :class:`~django_carepay.exceptions.CarepayError` subclass whose
message says what was wrong, and changes nothing.

The public names are re-exported here, so ``from django_carepay import services;
services.record_payment(...)`` works wherever the code lives:

- :mod:`.invoices`: create, issue, void, write off, mark overdue;
- :mod:`.lines`: a draft's lines;
- :mod:`.payments`: record, start, cancel, clean up abandoned attempts;
- :mod:`.approvals`: submitted transfers, approved or rejected by staff;
- :mod:`.refunds`: handing money back;
- :mod:`.guards`: acting only on an invoice as the person acting last saw it;
- :mod:`.line_refunds`: refunding one line of a cart (``refund_line``);
- :mod:`.provider`: what a provider reported;
- :mod:`.reminders`: reminders of unpaid invoices, each step once;
- :mod:`.webhooks`: a verified webhook delivery, stored and applied once;
- :mod:`.deliveries`: stored deliveries applied by task workers or replayed;
- :mod:`.reconcile`: the ledger compared with the provider (``carepay_reconcile``);
- :mod:`._audit`: :func:`audit`, the audit trail's one writer;
- :mod:`django_carepay.links`: payment links (re-exported here as before).
"""

from __future__ import annotations

# The ``X as X`` names are constants other code reads from here, as before; they are
# not in ``__all__``.
from ..links import PAYMENT_LINK_SALT as PAYMENT_LINK_SALT
from ..links import payment_link, resolve_payment_link
from ._audit import audit
from .approvals import approve_payment, reject_payment, submit_transfer
from .deliveries import (
    process_stored_webhook,
    replay_webhooks,
    replayable_webhooks,
    store_webhook,
)
from .guards import act_if_unchanged, invoice_version
from .invoices import BILLING_FIELDS as BILLING_FIELDS
from .invoices import (
    create_invoice,
    email_invoice,
    issue_invoice,
    mark_overdue,
    void_invoice,
    write_off_invoice,
)
from .line_refunds import refund_line
from .lines import MAX_QUANTITY as MAX_QUANTITY
from .lines import add_line, remove_line, update_line, validate_line
from .payments import CLOSED_AT_PROVIDER as CLOSED_AT_PROVIDER
from .payments import (
    begin_payment,
    cancel_abandoned_payments,
    cancel_payment,
    record_payment,
    start_payment,
)
from .provider import apply_provider_update
from .reconcile import reconcile_ledger
from .refunds import REFUND_REFUSALS as REFUND_REFUSALS
from .refunds import refund_payment
from .reminders import due_reminders, send_due_reminders
from .webhooks import handle_webhook

__all__ = [
    "act_if_unchanged",
    "add_line",
    "apply_provider_update",
    "approve_payment",
    "audit",
    "begin_payment",
    "cancel_abandoned_payments",
    "cancel_payment",
    "create_invoice",
    "due_reminders",
    "email_invoice",
    "handle_webhook",
    "invoice_version",
    "issue_invoice",
    "mark_overdue",
    "payment_link",
    "process_stored_webhook",
    "reconcile_ledger",
    "record_payment",
    "refund_line",
    "refund_payment",
    "reject_payment",
    "remove_line",
    "replay_webhooks",
    "replayable_webhooks",
    "resolve_payment_link",
    "send_due_reminders",
    "start_payment",
    "store_webhook",
    "submit_transfer",
    "update_line",
    "validate_line",
    "void_invoice",
    "write_off_invoice",
]
