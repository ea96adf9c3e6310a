"""django-carepay: invoices, payments, an append-only ledger and signals for Django."""

__version__ = "0.1.0.dev0"
