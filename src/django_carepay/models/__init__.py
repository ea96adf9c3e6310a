"""carepay's models: invoices, payments, the ledger, webhook events, sequences, reminders,
the JSON API's idempotency records, the audit trail."""

from .audit import AuditEntry, AuditEntryQuerySet
from .idempotency import IdempotencyRecord
from .invoice import Invoice, InvoiceLine, InvoiceQuerySet
from .ledger import LedgerImmutable, Transaction, TransactionQuerySet
from .payment import Payment, PaymentQuerySet
from .reminder import InvoiceReminder
from .sequence import InvoiceSequence
from .webhook import WebhookEvent

__all__ = [
    "AuditEntry",
    "AuditEntryQuerySet",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceLine",
    "InvoiceQuerySet",
    "InvoiceReminder",
    "InvoiceSequence",
    "LedgerImmutable",
    "Payment",
    "PaymentQuerySet",
    "Transaction",
    "TransactionQuerySet",
    "WebhookEvent",
]
