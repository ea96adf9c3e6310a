"""Every row-locking query of the services, in the one order they all take.

Locking rule: the invoice's row lock guards the invoice, its payments and its ledger
rows. Every service that changes any of them takes that one lock first, so two
services never wait on each other in opposite orders: the invoice first, then the
payment (``FOR UPDATE OF invoice, payment``).
"""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, Any

from django.db import OperationalError, connection, models
from django.utils.translation import gettext

from ..exceptions import InvalidState, InvoiceBusy
from ..models import Invoice, Payment

if TYPE_CHECKING:
    from ..backends import BasePaymentBackend


def _lock_invoice(invoice: Invoice | int, *, awaiting_total: bool = False) -> Invoice:
    """Lock and read ``invoice``; with ``awaiting_total`` the same query sets
    ``awaiting_total`` on it: the amounts of its payments awaiting approval (or None)."""
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    if pk is None:
        raise InvalidState("The invoice has not been saved; create it with create_invoice().")
    locked = Invoice.objects.select_for_update().get(pk=pk)
    if awaiting_total:
        # A query of its own, after the lock: in the locking statement the sum would
        # be read in that statement's snapshot, taken before the lock wait, and miss a
        # transfer submitted (committed) while this request waited (PostgreSQL).
        locked.awaiting_total = (
            Payment.objects.filter(invoice_id=pk, status=Payment.Status.AWAITING_APPROVAL)
            .aggregate(total=models.Sum("amount"))["total"])
    return locked


def _locking(qs: models.QuerySet[Payment]) -> models.QuerySet[Payment]:
    """Lock a payment query's rows: its invoice's first, then the payment's.

    ``FOR UPDATE OF invoice, payment`` locks in that order (the order of the OF
    list), the same invoice-first order every other service takes, so no two services
    deadlock; and because both rows are locked, PostgreSQL re-reads both after a wait,
    so the caller never acts on a payment as it was before a concurrent change
    committed (``OF invoice`` alone returns the payment row from before the wait).
    """
    if connection.features.has_select_for_update_of:
        return qs.select_for_update(of=("invoice", "self"))
    return qs.select_for_update()


def _lock_payment(payment: Payment) -> tuple[Payment, Invoice]:
    """Lock ``payment`` and its invoice and read both fresh (one query)."""
    locked = _locking(Payment.objects.select_related("invoice")).get(pk=payment.pk)
    return locked, locked.invoice


def _with_lock_timeout(backend: BasePaymentBackend | None, lock: Any, *args: Any) -> Any:
    """``lock(*args)``, waiting at most ``backend.lock_timeout`` seconds for the rows
    on PostgreSQL (the holder may be waiting for the provider); then InvoiceBusy.

    The limit is ``SET LOCAL``: it holds until the transaction ends, so the rest of
    the service's lock waits are bounded too.
    """
    limit = getattr(backend, "lock_timeout", None)
    if not limit or connection.vendor != "postgresql":
        return lock(*args)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)",
                       [f"{max(1, round(limit * 1000))}ms"])
    try:
        return lock(*args)
    except OperationalError as exc:
        cause = exc.__cause__
        if getattr(cause, "sqlstate", None) == "55P03" \
                or getattr(cause, "pgcode", None) == "55P03":  # lock_not_available
            raise InvoiceBusy(
                gettext(
                    "Another request is working on this invoice (it is waiting for the "
                    "payment provider); try again in a minute."
                )
            ) from None
        raise


def _copy_state(target: models.Model | None, source: models.Model) -> None:
    """Bring the caller's instance up to date without another query."""
    if target is None or target is source:
        return
    for f in source._meta.concrete_fields:
        target.__dict__[f.attname] = source.__dict__[f.attname]
    if hasattr(target, "_update_initial_state"):
        target._update_initial_state()


def _lock_matching_payment(match: models.Q, *, backend: str, ordering: tuple[Any, ...]
                           ) -> Payment | None:
    """Lock and read the first payment of ``backend`` matching ``match`` in
    ``ordering``, with its invoice (one query, invoice first); ``None`` if none does."""
    qs = Payment.objects.select_related("invoice").filter(match, backend=backend)
    return _locking(qs).order_by(*ordering).first()


def _lock_by_reference(backend: str, reference: str, public_id: uuid.UUID | None
                       ) -> Payment | None:
    """The webhook's hot lock: :func:`_lock_matching_payment` for a payment matched by
    its provider ``reference`` (or, failing that, by our ``public_id`` on a payment
    whose reference was never stored; the exact match first), as one statement whose
    SQL is built once per process: compiling the ORM query cost more than running it.
    PostgreSQL only (``FOR UPDATE OF`` invoice, then payment); the ORM elsewhere."""
    if not connection.features.has_select_for_update_of:
        match = models.Q(provider_reference=reference)
        ordering: tuple[Any, ...] = ("pk",)
        if public_id is not None:
            match |= models.Q(public_id=public_id, provider_reference="")
            ordering = (models.Case(models.When(provider_reference="", then=1), default=0,
                                    output_field=models.IntegerField()), "pk")
        return _lock_matching_payment(match, backend=backend, ordering=ordering)
    sql, payment_names, invoice_names = _lock_by_reference_sql(public_id is not None)
    params = [backend, reference] + ([public_id] if public_id is not None else [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, expression, converters in _lock_by_reference_converters():
        for convert in converters:  # as the ORM's compiler does (JSON, …)
            values[index] = convert(values[index], expression, connection)
    split = len(payment_names)
    payment = Payment.from_db(connection.alias, payment_names, values[:split])
    invoice = Invoice.from_db(connection.alias, invoice_names, values[split:])
    Payment.invoice.field.set_cached_value(payment, invoice)
    return payment


@functools.cache
def _lock_by_reference_converters() -> list[tuple[int, Any, list[Any]]]:
    """``(column index, expression, converters)`` for the row of
    :func:`_lock_by_reference`: the ORM's own from-database conversions."""
    found = []
    fields = [*Payment._meta.concrete_fields, *Invoice._meta.concrete_fields]
    for index, field in enumerate(fields):
        expression = field.get_col(field.model._meta.db_table)
        converters = [*connection.ops.get_db_converters(expression),
                      *expression.get_db_converters(connection)]
        if converters:
            found.append((index, expression, converters))
    return found


@functools.cache
def _lock_by_reference_sql(with_public_id: bool) -> tuple[str, list[str], list[str]]:
    """The statement of :func:`_lock_by_reference` and the attnames its row holds."""
    qn = connection.ops.quote_name
    payment_table, invoice_table = qn(Payment._meta.db_table), qn(Invoice._meta.db_table)
    payment_fields = Payment._meta.concrete_fields
    invoice_fields = Invoice._meta.concrete_fields

    def col(table: str, name: str) -> str:
        return f"{table}.{qn(name)}"

    def p(name: str) -> str:
        return col(payment_table, Payment._meta.get_field(name).column)

    columns = [col(payment_table, f.column) for f in payment_fields] + \
        [col(invoice_table, f.column) for f in invoice_fields]
    match = f"{p('provider_reference')} = %s"
    order = p("id")
    if with_public_id:
        match = f"({match} OR ({p('public_id')} = %s AND {p('provider_reference')} = ''))"
        order = f"({p('provider_reference')} = ''), {order}"
    sql = (f"SELECT {', '.join(columns)} FROM {payment_table} INNER JOIN {invoice_table} "
           f"ON ({p('invoice')} = {col(invoice_table, Invoice._meta.pk.column)}) "
           f"WHERE {p('backend')} = %s AND {match} ORDER BY {order} LIMIT 1 "
           f"FOR UPDATE OF {invoice_table}, {payment_table}")
    return (sql, [f.attname for f in payment_fields], [f.attname for f in invoice_fields])
