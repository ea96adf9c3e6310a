"""Refunding one line of a paid invoice: a workshop seat out of a cart, say.

The line's amount (its total with its tax) is refunded from the payment that paid it,
as a partial refund through :func:`~django_carepay.services.refund_payment`'s own
path (provider first, idempotency key, ledger), and the line remembers the refund
(``InvoiceLine.refund``), so asking again refunds nothing more and returns it.
``payment_refunded`` then reaches only that line's subject's class, with
``subjects=[the line's subject]`` and ``line`` in the payload.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from ..exceptions import InvalidState, ProviderError
from ..models import Invoice, InvoiceLine, Payment, Transaction
from ._checks import _backend_or_none, _describe, _money
from ._locks import _copy_state, _lock_invoice, _with_lock_timeout
from .refunds import _count_refusal, _refund_payment


def refund_line(line: InvoiceLine, *, payment: Payment | None = None, by: Any = None,
                reason: str = "") -> Transaction:
    """Refund ``line``'s amount (``line.amount``: its total with tax) to the payer.

    ``payment`` is the payment to refund it from; by default the invoice's most recent
    payment that still holds that much (a cart paid through Checkout has one). The
    refund is recorded on the line: a second call (a double-click, a retry after a
    lost answer, two staff at once) returns the same ledger refund, marked
    ``replayed``, and refunds nothing more. Refused with :class:`InvalidState` when
    the invoice's line was never paid for, or no single payment holds the line's
    amount.
    """
    chosen: Payment | None = None
    try:
        with transaction.atomic():
            # The invoice lock guards its lines: two refunds of one line serialize here
            # and the second finds the first's refund on the line.
            invoice = _with_lock_timeout(
                _backend_or_none(payment.backend) if payment is not None else None,
                _lock_invoice, line.invoice_id)
            locked = InvoiceLine.objects.select_related("refund").get(pk=line.pk)
            if locked.refund is not None:
                _copy_state(line, locked)
                # Nothing moves now: callers must not say "Refunded" (Transaction.replayed).
                locked.refund.replayed = True
                return locked.refund
            amount = locked.amount
            chosen = _payment_holding(invoice, amount, payment)
            reason = reason or f"Refund of {locked.description}"
            txn = _refund_payment(chosen, amount=amount, by=by, reason=reason, line=locked)
            locked.refund = txn
            locked.save(update_fields=["refund"])
    except ProviderError as exc:
        if exc.refused and chosen is not None:
            _count_refusal(chosen)
        raise
    _copy_state(line, locked)
    return txn


def _payment_holding(invoice: Invoice, amount: Any, payment: Payment | None) -> Payment:
    """The payment a line's ``amount`` is refunded from (``payment`` if given)."""
    candidates = invoice.payments.filter(status__in=Payment.RECEIVED).order_by(
        "-created_at", "-pk")
    if payment is not None:
        candidates = candidates.filter(pk=payment.pk)
    for candidate in candidates:
        if candidate.refundable_amount >= amount:
            return candidate
    shown = _money(amount, invoice.currency)
    if payment is not None:
        raise InvalidState(
            gettext(
                "Payment %(payment)s of %(invoice)s does not hold %(amount)s that can still "
                "be refunded; choose another payment."
            ) % {"payment": payment.public_id, "invoice": _describe(invoice), "amount": shown})
    raise InvalidState(
        gettext(
            "No payment of %(invoice)s holds %(amount)s that can still be refunded; refund "
            "its payments one by one instead."
        ) % {"invoice": _describe(invoice), "amount": shown})
