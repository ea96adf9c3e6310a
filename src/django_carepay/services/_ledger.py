"""The only code that writes the cached money totals of payments and invoices.

The ledger (:class:`~django_carepay.models.Transaction`) is append-only; a payment's
``amount_received`` and ``amount_refunded`` and an invoice's ``amount_paid``,
``amount_refunded`` and settled status are caches of it, moved here, in step with the
ledger row that records why: a charge, a refund, or a refund's reversal. Everything
runs under the invoice's row lock, taken by the caller.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from ..models import Invoice, Payment, Transaction
from ._batch import Writes


def _entry(kind: str, invoice: Invoice, payment: Payment, amount: Decimal, *, by: Any,
           provider_reference: str | None, note: str) -> Transaction:
    """The ledger row recording ``amount`` of ``payment`` moving as ``kind``."""
    return Transaction(
        invoice=invoice, kind=kind, amount=amount,
        currency=payment.currency, backend=payment.backend,
        provider_reference=provider_reference or None, created_by=by, note=note,
    )


def _already_in_ledger(backend: str, provider_reference: str | None) -> bool:
    return bool(provider_reference) and Transaction.objects.filter(
        backend=backend, provider_reference=provider_reference
    ).exists()


def _apply_charge(invoice: Invoice, payment: Payment, amount: Decimal, *, by: Any,
                  provider_reference: str | None = None, note: str = "") -> Transaction:
    """Apply money received to ``payment`` and ``invoice`` (both under the invoice lock)
    and return the ledger charge to save once the payment has been saved."""
    if payment.status not in Payment.RECEIVED:
        payment._succeed()
        payment.succeeded_at = timezone.now()
    elif payment.status == Payment.Status.REFUNDED:
        # Everything it had received was handed back; this money was not, so it is
        # refundable again.
        payment._receive_after_refund()
    # Already received (and maybe partly refunded): more money confirmed for it is
    # recorded all the same, without a transition back to succeeded.
    payment.amount_received += amount
    invoice.amount_paid += amount
    return _entry(Transaction.Kind.CHARGE, invoice, payment, amount, by=by,
                  provider_reference=provider_reference, note=note)


# What applying money changes; saving only these keeps the hot path (webhooks) lean.
_CHARGE_PAYMENT_FIELDS = ["status", "succeeded_at", "amount_received", "decided_by",
                          "decided_at", "decision_notes", "updated_at"]


_REFUND_PAYMENT_FIELDS = ["status", "amount_refunded", "updated_at"]


_MONEY_INVOICE_FIELDS = ["status", "amount_paid", "amount_refunded", "paid_at", "updated_at"]


def _save_charge(invoice: Invoice, payment: Payment, txn: Transaction, *,
                 settled: bool = False, batch: Writes | None = None
                 ) -> Callable[[], list[int] | None]:
    """Save a charge and what it changed. On PostgreSQL the three writes are one
    statement (:mod:`._batch`), which, when the charge ``settled`` the invoice, also
    reads the invoice's other pending payments (to cancel). With a caller's ``batch``
    (the webhook's) the writes join it, to run with the caller's statement; else they
    run now.

    Returns what reads those payments' pks once the writes have run: ``None`` when
    they were not read (the caller looks them up)."""
    txn.payment = payment
    if payment._state.adding:
        payment.save(force_insert=True)
        txn.save(force_insert=True)
        invoice.save(update_fields=_MONEY_INVOICE_FIELDS)
        return lambda: None
    writes = batch if batch is not None else Writes()
    writes.update(payment, _CHARGE_PAYMENT_FIELDS)
    writes.insert(txn)
    writes.update(invoice, _MONEY_INVOICE_FIELDS)
    # Read in the statement's snapshot, taken after the invoice lock: a payment
    # started while this one waited for the lock is seen.
    read = writes.also(_other_pending_sql(), [invoice.pk, Payment.Status.PENDING,
                                              payment.pk]) if settled else None
    if batch is None:
        writes.run()

    def pending() -> list[int] | None:
        return list(writes.read[read]) if read is not None and writes.read else None

    return pending


@functools.cache
def _other_pending_sql() -> str:
    """The pks of an invoice's pending payments other than one, in pk order (params:
    the invoice's pk, ``pending``, the payment's pk); built once per process."""
    qn = connection.ops.quote_name
    table = qn(Payment._meta.db_table)

    def column(name: str) -> str:
        return f"{table}.{qn(str(Payment._meta.get_field(name).column))}"

    pk = f"{table}.{qn(Payment._meta.pk.column)}"
    return (f"SELECT {pk} FROM {table} WHERE {column('invoice')} = %s AND "
            f"{column('status')} = %s AND NOT ({pk} = %s) ORDER BY {pk} ASC")


def _save_refund(invoice: Invoice, payment: Payment, txn: Transaction, *,
                 also: tuple[str, ...] = ()) -> None:
    """Save a refund (or reversal) and what it changed; ``also`` names other payment
    fields the caller changed, saved in the same UPDATE."""
    payment.save(update_fields=[*_REFUND_PAYMENT_FIELDS, *also])
    txn.payment = payment
    txn.save(force_insert=True)
    invoice.save(update_fields=_MONEY_INVOICE_FIELDS)


def _settle_if_paid(invoice: Invoice) -> bool:
    # An uncollectible invoice still settles when money in flight at the write-off
    # arrives in full (its host must hear invoice_paid); so does a refunded one when
    # money arriving after the refund covers its total again (a slow payment clearing
    # after the money that paid it was handed back). Less than that leaves a refunded
    # invoice refunded, listed by needing_refund().
    if invoice.status in (*Invoice.COLLECTIBLE, Invoice.Status.UNCOLLECTIBLE,
                          Invoice.Status.REFUNDED) \
            and invoice.net_paid >= invoice.total:
        invoice._settle()
        invoice.paid_at = timezone.now()
        return True
    return False


def _apply_refund(invoice: Invoice, payment: Payment, amount: Decimal, *, by: Any,
                  provider_reference: str | None, note: str) -> Transaction:
    """Apply money handed back to ``payment`` and ``invoice`` and return the ledger
    refund to save with them."""
    payment.amount_refunded += amount
    if payment.amount_refunded >= payment.amount_received:
        payment._refund_fully()
    else:
        payment._refund_partially()
    invoice.amount_refunded += amount
    if invoice.status == Invoice.Status.PAID and invoice.amount_refunded >= invoice.amount_paid:
        invoice._mark_refunded()
    return _entry(Transaction.Kind.REFUND, invoice, payment, amount, by=by,
                  provider_reference=provider_reference, note=note)


def _reverse_refund(invoice: Invoice, payment: Payment, refund: Transaction, *,
                    provider_reference: str, note: str) -> Transaction:
    """Hand the cached totals back a ``refund`` that failed at the provider (the money
    is back with us) and return the ``refund_reversal`` to save with the payment."""
    payment.amount_refunded -= refund.amount
    if payment.amount_refunded > 0:
        payment._reverse_refund_partially()
    else:
        payment._reverse_refund_fully()
    invoice.amount_refunded -= refund.amount
    if invoice.status == Invoice.Status.REFUNDED:
        invoice._reverse_refund()
    return _entry(Transaction.Kind.REFUND_REVERSAL, invoice, payment, refund.amount, by=None,
                  provider_reference=provider_reference, note=note)
