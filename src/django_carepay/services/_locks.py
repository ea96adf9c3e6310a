"""Every row-locking query of the services, in the one order they all take.

Locking rule: the invoice's row lock guards the invoice, its payments and its ledger
rows. Every service that changes any of them takes that one lock first, so two
services never wait on each other in opposite orders: the invoice first, then the
payment (``FOR UPDATE OF invoice, payment``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import OperationalError, connection, models

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
    qs = Invoice.objects.select_for_update()
    if awaiting_total:
        qs = qs.annotate(awaiting_total=models.Subquery(
            Payment.objects.filter(invoice=models.OuterRef("pk"),
                                   status=Payment.Status.AWAITING_APPROVAL)
            .order_by().values("invoice").annotate(total=models.Sum("amount"))
            .values("total")[:1]))
    return qs.get(pk=pk)


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
                "Another request is working on this invoice (it is waiting for the "
                "payment provider); try again in a minute."
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
