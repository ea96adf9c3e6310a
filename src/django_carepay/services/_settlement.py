"""What follows money that settles an invoice: close its other attempts, announce it.

Shared by every way money comes in (recorded, approved, confirmed by a provider, a
failed refund coming back), so "settled → cancel the other attempts → invoice_paid"
is written once.
"""

from __future__ import annotations

from typing import Any

from .. import signals
from ..models import Invoice, Payment, Transaction
from ._notify import _cancel_at_provider_after_commit, _email_receipt_after_commit, _send


def _cancel_locked(payment: Payment) -> None:
    """Cancel an unfinished payment locally now and at the provider after commit."""
    payment._cancel()
    payment.save(update_fields=["status", "updated_at"])
    _cancel_at_provider_after_commit(payment)


def _cancel_other_attempts(invoice: Invoice, paid_with: Payment,
                           pending: list[int] | None = None) -> None:
    """The invoice is settled: cancel its other pending payments, here and (after
    commit) at their providers, so an open browser tab cannot pay it a second time.
    ``pending``: their pks, when already read under the lock (none: no query)."""
    if pending == []:
        return
    others = invoice.payments.filter(status=Payment.Status.PENDING).exclude(pk=paid_with.pk)
    if pending is not None:
        others = others.filter(pk__in=pending)
    for payment in others:
        _cancel_locked(payment)


def _announce_money(invoice: Invoice, payment: Payment, txn: Transaction, *, settled: bool,
                    by: Any, signal: Any, details: dict[str, Any],
                    pending: list[int] | None = None) -> None:
    """Send ``signal`` (with ``details``) for the money ``txn`` moved on ``payment``
    (saved already); if it ``settled`` the invoice, first close the invoice's other
    attempts (no receiver then sees one still payable) and then send ``invoice_paid``.
    ``pending``: see :func:`_cancel_other_attempts`."""
    if settled:
        _cancel_other_attempts(invoice, payment, pending)
    _send(signal, invoice, payment=payment, transaction=txn, **details)
    if settled:
        _send(signals.invoice_paid, invoice, payment=payment, transaction=txn, by=by)


def _announce_charge(invoice: Invoice, payment: Payment, txn: Transaction, *, by: Any,
                     settled: bool, pending: list[int] | None = None) -> None:
    """Money received (``payment_succeeded``), and ``invoice_paid`` if it settled;
    the receipt and the staff's notice leave on commit."""
    _announce_money(invoice, payment, txn, settled=settled, by=by,
                    signal=signals.payment_succeeded, details={"by": by}, pending=pending)
    _email_receipt_after_commit(txn)
