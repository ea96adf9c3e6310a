"""Structured context for carepay's log records about money.

Every log line about an invoice, a payment or a webhook event passes
``extra=log_extra(invoice=…, payment=…, event=…)``, so each record carries the
attributes ``invoice`` (its number, or its public id while a draft), ``payment`` (its
public id) and ``event`` (the provider's event id), ``None`` where not known. A JSON
log formatter, or a filter in ``LOGGING``, can then index and search them.
"""

from __future__ import annotations

from typing import Any


def _invoice_id(invoice: Any) -> str | None:
    if invoice is None:
        return None
    if isinstance(invoice, str):
        return invoice
    return str(getattr(invoice, "number", "") or getattr(invoice, "public_id", "") or "") \
        or None


def _payment_id(payment: Any) -> str | None:
    if payment is None:
        return None
    if isinstance(payment, str):
        return payment
    public_id = getattr(payment, "public_id", None)
    return str(public_id) if public_id else None


def log_extra(*, invoice: Any = None, payment: Any = None, event: Any = None
              ) -> dict[str, str | None]:
    """``extra`` for a log record about money: ``invoice``, ``payment`` and ``event``.

    Each may be a model instance or an id already; the invoice is read from the
    payment when only the payment is given (without a query: only when it is loaded).
    """
    if invoice is None and payment is not None and not isinstance(payment, str):
        state = getattr(payment, "_state", None)
        cached = getattr(state, "fields_cache", {}) if state is not None else {}
        invoice = cached.get("invoice")
    if event is not None and not isinstance(event, str):
        event = getattr(event, "event_id", None) or None
    return {"invoice": _invoice_id(invoice), "payment": _payment_id(payment),
            "event": event or None}
