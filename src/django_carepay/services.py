"""The only code that changes billing state.

Every function here runs in one database transaction, locks the rows it changes,
writes the ledger, applies the state machines' transitions, and sends carepay's
signals inside that transaction after the new state is saved. A refusal raises a
:class:`~django_carepay.exceptions.CarepayError` subclass whose message says what was
wrong, and changes nothing.

Locking rule: the invoice's row lock guards the invoice, its payments and its ledger
rows. Every service that changes any of them takes that one lock first, so two
services never wait on each other in opposite orders.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.files import File
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_fsm import TransitionNotAllowed

from . import emails, signals
from .adapter import get_adapter
from .backends import BasePaymentBackend, ProviderUpdate, UpdateKind, get_backend
from .conf import carepay_settings
from .exceptions import (
    AlreadyDecided,
    BackendNotAvailable,
    CarepayError,
    InvalidAmount,
    InvalidCurrency,
    InvalidLink,
    InvalidProviderData,
    InvalidState,
    InvoiceBusy,
    PermissionRefused,
    ProviderError,
    ProviderMismatch,
    ProviderNotReady,
    RefundReversed,
)
from .models import Invoice, InvoiceLine, InvoiceSequence, Payment, Transaction, WebhookEvent
from .money import (
    check_range,
    normalize,
    quantize,
    round_to_currency,
    to_decimal,
    validate_currency,
)
from .proofs import proof_extension

logger = logging.getLogger("django_carepay")

__all__ = [
    "add_line",
    "apply_provider_update",
    "approve_payment",
    "cancel_abandoned_payments",
    "cancel_payment",
    "create_invoice",
    "handle_webhook",
    "issue_invoice",
    "mark_overdue",
    "payment_link",
    "record_payment",
    "refund_payment",
    "reject_payment",
    "remove_line",
    "resolve_payment_link",
    "start_payment",
    "submit_transfer",
    "update_line",
    "validate_line",
    "void_invoice",
    "write_off_invoice",
]

BILLING_FIELDS = ("name", "email", "address", "country", "tax_id")
PAYMENT_LINK_SALT = "django_carepay.payment_link"


# -- helpers ---------------------------------------------------------------------------

def _after_commit(func: Any, *args: Any) -> None:
    """Run ``func(*args)`` once the transaction commits (e-mails). Robust: a failure
    (a mail server outage) is logged, never raised, so it cannot turn a committed
    change into an error page, nor reach the caller's clean-up code."""
    def callback() -> None:
        func(*args)

    callback.__qualname__ = getattr(func, "__qualname__", "callback")
    transaction.on_commit(callback, robust=True)


def _send(signal: Any, invoice: Invoice, **kwargs: Any) -> None:
    signal.send(sender=invoice.subject_model, invoice=invoice, **kwargs)


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


def _backend_or_none(alias: str) -> BasePaymentBackend | None:
    return get_backend(alias) if alias in carepay_settings.BACKENDS else None


def _copy_state(target: models.Model | None, source: models.Model) -> None:
    """Bring the caller's instance up to date without another query."""
    if target is None or target is source:
        return
    for f in source._meta.concrete_fields:
        target.__dict__[f.attname] = source.__dict__[f.attname]
    if hasattr(target, "_update_initial_state"):
        target._update_initial_state()


def _describe(invoice: Invoice) -> str:
    return f"Invoice {invoice.number}" if invoice.number else f"Draft invoice #{invoice.pk}"


def _require_collectible(invoice: Invoice) -> None:
    if invoice.status not in Invoice.COLLECTIBLE:
        status = invoice.get_status_display().lower()
        raise InvalidState(
            f"{_describe(invoice)} is {status}; payments can only be taken on open or "
            "overdue invoices."
        )
    if invoice.amount_due <= 0:
        raise InvalidState(f"{_describe(invoice)} has nothing left to pay.")


def _staff_amount(invoice: Invoice, amount: object | None) -> Decimal:
    """An amount staff or a payer typed: positive, exact, at most the amount due."""
    due = invoice.amount_due
    if amount is None:
        return due
    value = quantize(amount, invoice.currency)
    if value > due:
        raise InvalidAmount(
            f"{value} {invoice.currency} is more than the {due} {invoice.currency} due on "
            f"{_describe(invoice)}; enter at most {due}."
        )
    return value


def _backend_that(alias: str, capability: str, refusal: str) -> BasePaymentBackend:
    """The backend ``alias`` if it has ``capability`` (e.g. ``"online"``), else refuse."""
    backend = get_backend(alias)
    if not getattr(backend, capability):
        raise BackendNotAvailable(f"Payment method {alias!r} ({backend.label}) {refusal}.")
    return backend


def _lock_for_new_payment(invoice: Invoice, backend: BasePaymentBackend, amount: object | None,
                          country: str | None = None, *, awaiting_total: bool = False
                          ) -> tuple[Invoice, Decimal]:
    """Lock ``invoice`` and check a new payment through ``backend`` may be taken on it;
    return the locked invoice and the amount (``None``: the amount due)."""
    locked = _with_lock_timeout(
        backend, lambda: _lock_invoice(invoice, awaiting_total=awaiting_total))
    _require_collectible(locked)
    _require_available(backend, locked, country)
    return locked, _staff_amount(locked, amount)


def _require_available(backend: BasePaymentBackend, invoice: Invoice,
                       country: str | None = None) -> None:
    if not backend.is_available(invoice, country=country):
        raise BackendNotAvailable(
            f"Payment method {backend.alias!r} ({backend.label}) is not available for "
            f"{_describe(invoice)} ({invoice.currency}"
            + (f", {country or invoice.billing_country}" if backend.countries else "")
            + ")."
        )


def _recompute_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    subtotal = Decimal(0)
    tax = Decimal(0)
    for line in lines:
        subtotal += line.line_total
        tax += line.tax_amount
    invoice.subtotal = subtotal
    invoice.tax = tax
    invoice.total = check_range(subtotal + tax)


def _transition(obj: Any, method_name: str, message: str) -> None:
    try:
        getattr(obj, method_name)()
    except TransitionNotAllowed:
        raise InvalidState(message) from None


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
    return Transaction(
        invoice=invoice, kind=Transaction.Kind.CHARGE, amount=amount,
        currency=payment.currency, backend=payment.backend,
        provider_reference=provider_reference or None, created_by=by, note=note,
    )


# What applying money changes; saving only these keeps the hot path (webhooks) lean.
_CHARGE_PAYMENT_FIELDS = ["status", "succeeded_at", "amount_received", "decided_by",
                          "decided_at", "decision_notes", "updated_at"]
_REFUND_PAYMENT_FIELDS = ["status", "amount_refunded", "updated_at"]
_MONEY_INVOICE_FIELDS = ["status", "amount_paid", "amount_refunded", "paid_at", "updated_at"]


def _save_charge(invoice: Invoice, payment: Payment, txn: Transaction) -> None:
    if payment._state.adding:
        payment.save(force_insert=True)
    else:
        payment.save(update_fields=_CHARGE_PAYMENT_FIELDS)
    txn.payment = payment
    txn.save(force_insert=True)
    invoice.save(update_fields=_MONEY_INVOICE_FIELDS)


def _save_refund(invoice: Invoice, payment: Payment, txn: Transaction) -> None:
    payment.save(update_fields=_REFUND_PAYMENT_FIELDS)
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


def _cancel_other_attempts(invoice: Invoice, paid_with: Payment) -> None:
    """The invoice is settled: cancel its other pending payments, here and (after
    commit) at their providers, so an open browser tab cannot pay it a second time."""
    for pending in invoice.payments.filter(status=Payment.Status.PENDING).exclude(
            pk=paid_with.pk):
        _cancel_locked(pending)


def _announce_charge(invoice: Invoice, payment: Payment, txn: Transaction, *, by: Any,
                     settled: bool) -> None:
    if settled:
        _cancel_other_attempts(invoice, payment)
    _send(signals.payment_succeeded, invoice, payment=payment, transaction=txn, by=by)
    if settled:
        _send(signals.invoice_paid, invoice, payment=payment, transaction=txn, by=by)


#: InvoiceLine.quantity holds 12 digits, 3 of them after the point.
MAX_QUANTITY = Decimal(10) ** 9


def _check_length(model: type[models.Model], field: str, value: str) -> None:
    """Refuse text longer than ``model.field`` stores (the database would, later)."""
    model_field = model._meta.get_field(field)
    limit = getattr(model_field, "max_length", None)
    if limit and len(value) > limit:
        name = str(getattr(model_field, "verbose_name", field))
        raise CarepayError(f"The {name} is {len(value)} characters long; at most {limit} "
                           "fit.")


def _check_billing(billing: Mapping[str, str]) -> None:
    country = (billing.get("country") or "").strip()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise CarepayError(
            f"Billing country {country!r} is not an ISO 3166 code; use two letters, "
            "e.g. 'GB'."
        )
    for name in ("name", "email", "tax_id"):
        _check_length(Invoice, f"billing_{name}", (billing.get(name) or "").strip())


def _line_values(invoice: Invoice, *, description: str, quantity: object = 1,
                 unit_price: object, tax_rate: object = 0, service_date: date | None = None,
                 provider_name: str = "", metadata: Mapping[str, Any] | None = None,
                 position: int = 0) -> InvoiceLine:
    description = (description or "").strip()
    if not description:
        raise CarepayError("A line needs a description, e.g. 'GP consultation'.")
    _check_length(InvoiceLine, "description", description)
    _check_length(InvoiceLine, "provider_name", provider_name or "")
    qty = to_decimal(quantity)
    if not Decimal(0) < qty < MAX_QUANTITY or qty != qty.quantize(Decimal("0.001")):
        raise InvalidAmount(f"Quantity {quantity} must be greater than 0 and below "
                            f"{MAX_QUANTITY:,}, with at most 3 decimals.")
    price = quantize(unit_price, invoice.currency, allow_zero=True)
    rate = to_decimal(tax_rate)
    if not Decimal(0) <= rate <= Decimal(100) or rate != rate.quantize(Decimal("0.001")):
        raise InvalidAmount(f"Tax rate {tax_rate} must be a percentage between 0 and 100.")
    line_total = check_range(round_to_currency(qty * price, invoice.currency))
    return InvoiceLine(
        invoice=invoice, position=position, description=description, quantity=qty,
        unit_price=price, tax_rate=rate, service_date=service_date,
        provider_name=provider_name, line_total=line_total,
        tax_amount=round_to_currency(line_total * rate / 100, invoice.currency),
        metadata=dict(metadata or {}),
    )


# -- invoices --------------------------------------------------------------------------

def create_invoice(*, customer: Any = None, subject: models.Model | None = None,
                   currency: str | None = None, lines: Iterable[Mapping[str, Any]] = (),
                   due_date: date | None = None, billing: Mapping[str, str] | None = None,
                   metadata: Mapping[str, Any] | None = None, notes: str = "") -> Invoice:
    """Create a draft invoice, optionally for a host object (``subject``) with lines.

    ``lines`` holds dicts of :func:`add_line`'s keyword arguments; ``billing`` may give
    ``name``, ``email``, ``address``, ``country`` and ``tax_id`` (blanks are filled from
    the adapter when the invoice is issued).
    """
    code = validate_currency(currency or carepay_settings.DEFAULT_CURRENCY)
    billing = dict(billing or {})
    unknown = sorted(set(billing) - set(BILLING_FIELDS))
    if unknown:
        raise CarepayError(
            f"Unknown billing field(s) {', '.join(unknown)}; use {', '.join(BILLING_FIELDS)}."
        )
    if subject is not None and subject.pk is None:
        raise CarepayError("The subject must be saved before it can be invoiced.")
    _check_billing(billing)
    with transaction.atomic():
        invoice = Invoice(
            currency=code, customer=customer, due_date=due_date,
            metadata=dict(metadata or {}), notes=notes,
            **{f"billing_{k}": (v or "").strip() for k, v in billing.items()},
        )
        if invoice.billing_country:
            invoice.billing_country = invoice.billing_country.upper()
        if subject is not None:
            invoice.subject_content_type = ContentType.objects.get_for_model(subject)
            invoice.subject_object_id = str(subject.pk)
        line_objs = [
            _line_values(invoice, position=i, **dict(spec)) for i, spec in enumerate(lines)
        ]
        _recompute_totals(invoice, line_objs)
        invoice.save(force_insert=True)
        if line_objs:
            InvoiceLine.objects.bulk_create(line_objs)
    return invoice


def add_line(invoice: Invoice, *, description: str, quantity: object = 1,
             unit_price: object, tax_rate: object = 0, service_date: date | None = None,
             provider_name: str = "", metadata: Mapping[str, Any] | None = None) -> InvoiceLine:
    """Add a line to a draft invoice and update its totals."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if not locked.is_editable:
            raise InvalidState(f"{_describe(locked)} is issued; its lines are frozen.")
        existing = list(locked.lines.all())
        line = _line_values(
            locked, description=description, quantity=quantity, unit_price=unit_price,
            tax_rate=tax_rate, service_date=service_date, provider_name=provider_name,
            metadata=metadata, position=len(existing),
        )
        line.save(force_insert=True)
        _recompute_totals(locked, [*existing, line])
        locked.save(update_fields=["subtotal", "tax", "total", "updated_at"])
    _copy_state(invoice, locked)
    return line


def update_line(line: InvoiceLine, **changes: Any) -> InvoiceLine:
    """Change a draft's line (any of :func:`add_line`'s keyword arguments) and
    recompute the invoice's totals. Lines of issued invoices are frozen."""
    allowed = {"description", "quantity", "unit_price", "tax_rate", "service_date",
               "provider_name", "metadata"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise CarepayError(f"Unknown line field(s) {', '.join(unknown)}; use "
                           f"{', '.join(sorted(allowed))}.")
    with transaction.atomic():
        locked = _lock_invoice(line.invoice_id)
        if not locked.is_editable:
            raise InvalidState(f"{_describe(locked)} is issued; its lines are frozen.")
        lines = list(locked.lines.all())
        current = next((x for x in lines if x.pk == line.pk), None)
        if current is None:
            raise InvalidState("That line no longer exists.")
        values = {f: getattr(current, f) for f in allowed}
        values.update(changes)
        fresh = _line_values(locked, position=current.position, **values)
        fresh.pk = current.pk
        fresh.save(force_update=True)
        _recompute_totals(locked, [fresh if x.pk == fresh.pk else x for x in lines])
        locked.save(update_fields=["subtotal", "tax", "total", "updated_at"])
    _copy_state(line, fresh)
    return fresh


def remove_line(line: InvoiceLine) -> None:
    """Remove a line from a draft and recompute the invoice's totals."""
    with transaction.atomic():
        locked = _lock_invoice(line.invoice_id)
        if not locked.is_editable:
            raise InvalidState(f"{_describe(locked)} is issued; its lines are frozen.")
        InvoiceLine.objects.filter(pk=line.pk, invoice=locked).delete()
        _recompute_totals(locked, locked.lines.all())
        locked.save(update_fields=["subtotal", "tax", "total", "updated_at"])


def validate_line(*, currency: str, **values: Any) -> None:
    """Raise the :class:`CarepayError` :func:`add_line` would, without saving anything
    (for forms that want to show line errors before they save)."""
    _line_values(Invoice(currency=validate_currency(currency)), **values)


def issue_invoice(invoice: Invoice, *, by: Any = None, send_email: bool = False) -> Invoice:
    """Issue a draft: give it the next number of its series, freeze its lines and
    billing snapshot, set its due date, and open it for payment."""
    adapter = get_adapter()
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status != Invoice.Status.DRAFT:
            raise InvalidState(
                f"{_describe(locked)} is {locked.get_status_display().lower()}; only drafts "
                "can be issued."
            )
        lines = list(locked.lines.all())
        if not lines:
            raise InvalidState(f"{_describe(locked)} has no lines; add one before issuing.")
        _recompute_totals(locked, lines)
        if locked.total <= 0:
            raise InvalidAmount(
                f"{_describe(locked)} totals {locked.total}; an invoice must be for more than 0."
            )
        for field, value in adapter.billing_details(locked).items():
            if not getattr(locked, field, None) and value:
                setattr(locked, field, value)
        try:
            _check_billing({name: getattr(locked, f"billing_{name}") for name in BILLING_FIELDS})
        except CarepayError as exc:
            raise CarepayError(f"{exc} (billing details from {type(adapter).__name__})") \
                from None
        now = timezone.now()
        today = timezone.localdate(now)
        if locked.due_date is None:
            locked.due_date = today + timedelta(days=carepay_settings.PAYMENT_TERMS_DAYS)
        prefix = adapter.invoice_number_prefix(locked)
        seq = InvoiceSequence.next_value(prefix, today.year)
        locked.number = adapter.format_invoice_number(
            locked, prefix=prefix, year=today.year, seq=seq
        )
        locked.issued_at = now
        locked._issue()
        locked.save()
        _send(signals.invoice_issued, locked, by=by)
        if send_email:
            _after_commit(emails.send_invoice_email, locked.pk)
    _copy_state(invoice, locked)
    return locked


def void_invoice(invoice: Invoice, *, by: Any = None, reason: str = "") -> Invoice:
    """Void an invoice that has received no money (its payments in flight are cancelled)."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.net_paid > 0:
            raise InvalidState(
                f"{_describe(locked)} has received "
                f"{normalize(locked.net_paid, locked.currency)} {locked.currency} "
                "that was not refunded; refund the payments first, or write the invoice off."
            )
        in_flight = list(locked.payments.filter(status__in=Payment.IN_FLIGHT))
        waiting = [p for p in in_flight if p.status != Payment.Status.PENDING]
        if waiting:
            raise InvalidState(
                f"{_describe(locked)} has {len(waiting)} payment(s) processing or awaiting "
                "approval; decide them before voiding."
            )
        _transition(locked, "_void", f"{_describe(locked)} is "
                    f"{locked.get_status_display().lower()} and cannot be voided.")
        locked.closed_at = timezone.now()
        locked.close_reason = reason
        locked.save()
        for payment in in_flight:
            _cancel_locked(payment)
        _send(signals.invoice_voided, locked, by=by, reason=reason)
    _copy_state(invoice, locked)
    return locked


def write_off_invoice(invoice: Invoice, *, by: Any = None, reason: str = "") -> Invoice:
    """Mark an open or overdue invoice as uncollectible (money received is kept)."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        _transition(locked, "_write_off", f"{_describe(locked)} is "
                    f"{locked.get_status_display().lower()}; only open or overdue invoices "
                    "can be written off.")
        locked.closed_at = timezone.now()
        locked.close_reason = reason
        locked.save()
    _copy_state(invoice, locked)
    return locked


def mark_overdue(*, today: date | None = None) -> int:
    """Move open invoices past their due date to overdue; return how many moved.

    Idempotent and safe to run from several cron jobs at once: each invoice is
    re-checked under its lock, so it moves (and ``invoice_overdue`` fires) once.
    """
    today = today or timezone.localdate()
    moved = 0
    for pk in Invoice.objects.overdue_candidates(today).values_list("pk", flat=True):
        with transaction.atomic():
            locked = _lock_invoice(pk)
            if locked.status != Invoice.Status.OPEN or not locked.due_date \
                    or locked.due_date >= today:
                continue
            locked._mark_overdue()
            locked.save(update_fields=["status", "updated_at"])
            _send(signals.invoice_overdue, locked)
            moved += 1
    return moved


# -- payments --------------------------------------------------------------------------

def _money(amount: Decimal, currency: str) -> str:
    return f"{normalize(amount, currency)} {currency}"


def record_payment(invoice: Invoice, *, backend: str, amount: object | None = None,
                   reference: str = "", by: Any, notes: str = "",
                   allow_pending_transfers: bool = False) -> Payment:
    """Record money staff received in person (cash, card terminal, cheque).

    ``amount=None`` records the amount due; an amount above it is refused.

    While payments (bank transfers) await approval on the invoice, money that would
    overpay it once they are approved is refused with :class:`InvalidState` naming
    them: staff approve or reject the transfer first, or pass
    ``allow_pending_transfers=True`` to record the money anyway (logged as a warning;
    approving the transfer afterwards then needs ``allow_overpayment=True``).
    """
    be = _backend_that(backend, "staff_entry", "is not one staff record by hand")
    with transaction.atomic():
        locked, value = _lock_for_new_payment(invoice, be, amount, awaiting_total=True)
        reference = (reference or "").strip()
        _check_length(Payment, "reference", reference)
        awaiting = locked.awaiting_total  # type: ignore[attr-defined]
        excess = locked.overpayment_if_received(value + (awaiting or 0))
        if awaiting and excess > 0:
            waiting = list(locked.payments.filter(status=Payment.Status.AWAITING_APPROVAL)
                           .order_by("created_at", "pk"))
            listed = "; ".join(
                f"a transfer of {_money(p.amount, p.currency)}"
                + (f" (reference {p.reference})" if p.reference else "") for p in waiting)
            text = (f"{_describe(locked)} has {listed} awaiting approval; recording "
                    f"{_money(value, locked.currency)} as well would overpay it by "
                    f"{_money(excess, locked.currency)} once "
                    + ("the transfer is" if len(waiting) == 1 else "they are")
                    + " approved.")
            if not allow_pending_transfers:
                raise InvalidState(
                    f"{text} Approve or reject the "
                    + ("transfer" if len(waiting) == 1 else "transfers")
                    + " first, or record the payment with allow_pending_transfers=True.")
            logger.warning("%s Recorded anyway (allow_pending_transfers).", text)
        payment = Payment(
            invoice=locked, backend=be.alias, amount=value, currency=locked.currency,
            reference=reference, notes=notes, recorded_by=by,
        )
        txn = _apply_charge(locked, payment, value, by=by, note=notes)
        settled = _settle_if_paid(locked)
        _save_charge(locked, payment, txn)
        _announce_charge(locked, payment, txn, by=by, settled=settled)
    _copy_state(invoice, locked)
    return payment


def start_payment(invoice: Invoice, *, backend: str, request: Any = None,
                  amount: object | None = None) -> Payment:
    """Start (or resume) an online payment of ``invoice`` through ``backend``.

    The amount is the invoice's amount due unless server code passes a smaller one;
    it never comes from the browser. A payer reloading the pay page gets the same
    pending payment back while its amount still matches; a stale one is cancelled.
    Before a pending payment is offered again the provider is asked about it: if the
    payer paid meanwhile, that payment is returned recorded and no longer pending
    (``payment.action`` is ``None``: show the result, not the form); if the attempt
    failed or was cancelled, a new payment starts. Otherwise the backend's next step
    for the browser is on ``payment.action``.
    """
    be = _backend_that(backend, "online", "is not an online payment method")
    with transaction.atomic():
        locked, value = _lock_for_new_payment(invoice, be, amount)
        attempts = list(locked.payments.filter(backend=be.alias))
        pending = [p for p in attempts if p.status == Payment.Status.PENDING]
        payment = next((p for p in pending
                        if p.amount == value and p.currency == locked.currency), None)
        # At most one payable attempt per invoice and backend: every other attempt is
        # closed at the provider now, before another is offered (a declined
        # PaymentIntent can still be paid from an open tab). One the provider took
        # meanwhile is recorded and shown instead of a new one.
        for other in attempts:
            other.invoice = locked
            if other is payment or not _may_be_open_at_provider(other):
                continue
            if not _close_at_provider(be, other):
                other.action = None
                _copy_state(invoice, locked)
                return other
            if other.status == Payment.Status.PENDING:  # stale: another amount
                other._cancel()
                other.save(update_fields=["status", "updated_at"])
        if payment is not None and payment.provider_reference:
            update = be.sync(payment)
            if update is not None:
                _apply_update(update, payment)
            if payment.status in (Payment.Status.FAILED, Payment.Status.CANCELLED):
                # Declined or cancelled at the provider: start afresh, once the old
                # attempt can no longer take money from an open tab.
                if not _close_at_provider(be, payment):
                    payment.action = None
                    _copy_state(invoice, locked)
                    return payment
                payment = None
            elif payment.status != Payment.Status.PENDING:
                payment.action = None  # paid (or processing) meanwhile: show the result
                _copy_state(invoice, locked)
                return payment
        if payment is None:
            payment = Payment(invoice=locked, backend=be.alias, amount=value,
                              currency=locked.currency,
                              **_attempt_ids(locked, be.alias, len(attempts), value))
            payment.save(force_insert=True)
        payment.invoice = locked
        action = be.start(payment, request)
        changed = []
        if action.provider_reference and action.provider_reference != payment.provider_reference:
            payment.provider_reference = action.provider_reference
            changed.append("provider_reference")
        if action.payment_metadata and any(
                payment.metadata.get(k) != v for k, v in action.payment_metadata.items()):
            payment.metadata = {**payment.metadata, **action.payment_metadata}
            changed.append("metadata")
        # Saved (updated_at at least) even when unchanged: the payer is on the page
        # now, so carepay_cancel_abandoned must not cancel it under them.
        payment.save(update_fields=[*changed, "updated_at"])
    payment.action = action
    _copy_state(invoice, locked)
    return payment


def _attempt_ids(invoice: Invoice, alias: str, attempt: int, amount: Decimal
                 ) -> dict[str, uuid.UUID]:
    """A new online payment's ``public_id`` and ``idempotency_key``, derived from what
    survives a rollback: the invoice, the backend, the amount and the number of
    attempts committed for them (``attempt``, counted under the invoice lock).

    If the provider made the payment (a PaymentIntent) but its answer was lost, or
    our transaction rolled back after it, the payment row is gone; the retry makes
    the same row again, so it sends the same idempotency key *and* the same
    parameters (the public id travels in the metadata) and gets the same intent
    back, never a second one. Keyed with the SECRET_KEY, so they stay unguessable.
    """
    name = f"{invoice.public_id}:{alias}:{attempt}:{amount}:{invoice.currency}"

    def derived(purpose: str) -> uuid.UUID:
        digest = salted_hmac(f"django_carepay.payment.{purpose}", name,
                             algorithm="sha256").digest()
        return uuid.UUID(bytes=digest[:16], version=4)

    return {"public_id": derived("public_id"), "idempotency_key": derived("idempotency_key")}


#: Payment.metadata key: the provider confirmed this attempt can take no more money.
CLOSED_AT_PROVIDER = "closed_at_provider"


def _may_be_open_at_provider(payment: Payment) -> bool:
    """Whether ``payment``'s attempt at the provider might still take money although
    we do not expect it to (pending, or failed or cancelled here but not confirmed
    closed there)."""
    return bool(payment.provider_reference) and payment.status in (
        Payment.Status.PENDING, Payment.Status.FAILED, Payment.Status.CANCELLED,
    ) and not (payment.metadata or {}).get(CLOSED_AT_PROVIDER)


def _close_at_provider(backend: BasePaymentBackend, payment: Payment) -> bool:
    """Cancel ``payment``'s attempt at the provider, synchronously (invoice locked).

    Returns True once it can take no more money (remembered on the payment, so the
    provider is asked once). If the provider took the money meanwhile, that money is
    recorded and False returned. Anything else (unreachable, still processing)
    raises: no other attempt may be offered while this one could still be paid.
    """
    try:
        backend.cancel(payment)
    except ProviderError:
        update = backend.sync(payment)
        if update is None or update.kind not in (UpdateKind.SUCCEEDED,
                                                 UpdateKind.PROCESSING):
            raise
        _apply_update(update, payment)
        if payment.status in Payment.RECEIVED:
            return False
        raise ProviderError(
            f"An earlier payment of this invoice is still being processed by "
            f"{backend.label}; wait for its result before paying again.",
            backend=backend.alias,
        ) from None
    payment.metadata = {**(payment.metadata or {}), CLOSED_AT_PROVIDER: True}
    payment.save(update_fields=["metadata", "updated_at"])
    return True


def _cancel_locked(payment: Payment) -> None:
    """Cancel an unfinished payment locally now and at the provider after commit."""
    payment._cancel()
    payment.save(update_fields=["status", "updated_at"])
    _cancel_at_provider_after_commit(payment)


def _cancel_at_provider_after_commit(payment: Payment) -> None:
    """Best effort: a provider that refuses (it already took the money) is logged;
    its webhook will record that money against this payment."""
    alias = payment.backend

    def cancel_at_provider() -> None:
        try:
            get_backend(alias).cancel(payment)
        except Exception:  # the provider's answer cannot undo a committed cancel
            logger.exception("Could not cancel payment %s at %s", payment.public_id, alias)

    transaction.on_commit(cancel_at_provider)


def cancel_payment(payment: Payment, *, by: Any = None) -> Payment:
    """Cancel a pending or processing payment, at the provider first, then here."""
    with transaction.atomic():
        locked, _invoice = _with_lock_timeout(_backend_or_none(payment.backend),
                                              _lock_payment, payment)
        if locked.status not in (Payment.Status.PENDING, Payment.Status.PROCESSING):
            raise InvalidState(
                f"This payment is {locked.get_status_display().lower()}; only pending or "
                "processing payments can be cancelled."
            )
        get_backend(locked.backend).cancel(locked)
        locked._cancel()
        locked.save(update_fields=["status", "updated_at"])
    _copy_state(payment, locked)
    return locked


def cancel_abandoned_payments(*, older_than: timedelta = timedelta(hours=24)) -> int:
    """Cancel online payments left pending for longer than ``older_than``, at the
    provider and here; return how many were cancelled.

    A payer who opened the pay page and never paid leaves a pending PaymentIntent
    behind; cancelling it means a stale browser tab can no longer take money for an
    invoice that may since have been paid another way. A payment the provider has
    meanwhile taken is left alone (and its webhook records it). Safe under cron.
    """
    cutoff = timezone.now() - older_than
    cancelled = 0
    # updated_at: a pending payment is touched each time its pay page is shown again.
    stale = Payment.objects.filter(status=Payment.Status.PENDING, updated_at__lt=cutoff)
    for payment in stale.only("pk").iterator():
        try:
            cancel_payment(payment)
        except InvalidState:
            continue  # decided meanwhile
        except ProviderError as exc:
            # Most likely the payer paid after all: record what the provider says.
            logger.info("Not cancelling abandoned payment %s: %s", payment.pk, exc)
            with contextlib.suppress(CarepayError):
                update = get_backend(payment.backend).sync(payment)
                if update is not None:
                    apply_provider_update(update)
        else:
            cancelled += 1
    # Failed (declined) or cancelled attempts whose provider side may still take money
    # (a declined PaymentIntent stays payable): close them there.
    leftover = (Payment.objects.filter(
        status__in=(Payment.Status.FAILED, Payment.Status.CANCELLED), updated_at__lt=cutoff)
        .exclude(provider_reference="").exclude(metadata__has_key=CLOSED_AT_PROVIDER))
    for payment in leftover.only("pk", "backend").iterator():
        be = _backend_or_none(payment.backend)
        if be is None or not be.online:
            continue
        try:
            with transaction.atomic():
                locked, invoice = _with_lock_timeout(be, _lock_payment, payment)
                if not _may_be_open_at_provider(locked):
                    continue
                locked.invoice = invoice
                if _close_at_provider(be, locked):
                    cancelled += 1
        except CarepayError as exc:
            logger.info("Could not close payment %s at %s: %s", payment.pk, be.alias, exc)
    return cancelled


def submit_transfer(invoice: Invoice, *, backend: str, amount: object | None = None,
                    reference: str, notes: str = "", by: Any = None,
                    paid_on: date | None = None, proof: File | None = None,
                    country: str | None = None) -> Payment:
    """A payer reports an offline payment (bank transfer); it waits for staff approval.

    ``proof`` (optional) is a PDF, PNG or JPEG no larger than
    ``CAREPAY["MAX_PROOF_SIZE"]``, checked by its content; it is stored only when the
    submission is, never left behind by a refusal. Staff are e-mailed on commit.

    Submitting the same transfer again (same invoice, method, amount and reference)
    while the first still awaits approval returns the first, unchanged: a double
    click or a re-posted form reports one payment, stores one proof and tells staff
    once. Under the invoice's lock, so simultaneous submissions make one payment too.
    """
    be = _backend_that(backend, "requires_approval", "does not take submitted payments")
    reference = (reference or "").strip()
    if not reference:
        raise CarepayError("Enter the reference you quoted with your payment.")
    _check_length(Payment, "reference", reference)
    if paid_on is not None and paid_on > timezone.localdate():
        raise CarepayError(f"The date paid ({paid_on:%d %b %Y}) is in the future.")
    extension = proof_extension(proof) if proof is not None else ""
    stored = ""
    payment = None
    try:
        with transaction.atomic():
            locked, value = _lock_for_new_payment(invoice, be, amount, country)
            already = locked.payments.filter(
                backend=be.alias, status=Payment.Status.AWAITING_APPROVAL, amount=value,
                currency=locked.currency, reference=reference,
            ).order_by("pk").first()
            if already is not None:
                _copy_state(invoice, locked)
                return already
            payment = Payment(
                invoice=locked, backend=be.alias, amount=value, currency=locked.currency,
                reference=reference, notes=notes, recorded_by=by, paid_on=paid_on,
            )
            payment._submit()
            if proof is not None:
                payment.proof.save(f"proof{extension}", proof, save=False)
                stored = payment.proof.name
            payment.save(force_insert=True)
            _send(signals.payment_submitted, locked, payment=payment, by=by)
            _after_commit(emails.send_transfer_submitted, payment.pk)
    except BaseException:
        if stored and payment is not None:  # the row rolled back: drop its upload too
            payment.proof.storage.delete(stored)
        raise
    _copy_state(invoice, locked)
    return payment


def _require_undecided(payment: Payment) -> None:
    if payment.status == Payment.Status.AWAITING_APPROVAL:
        return
    if payment.decided_at:
        verb = "approved" if payment.status in Payment.RECEIVED else "rejected"
        who = payment.decided_by or "a deleted user"
        raise AlreadyDecided(
            f"This payment was already {verb} by {who} at "
            f"{timezone.localtime(payment.decided_at):%Y-%m-%d %H:%M}."
        )
    raise InvalidState(
        f"This payment is {payment.get_status_display().lower()}, not awaiting approval."
    )


def approve_payment(payment: Payment, *, by: Any, notes: str = "",
                    amount: object | None = None,
                    allow_overpayment: bool = False) -> Payment:
    """Approve a submitted payment: the money is in, so it goes into the ledger.

    ``amount`` corrects the amount actually received (defaults to the amount
    submitted). Money that would take the invoice above its total (it was paid
    another way meanwhile, or the corrected amount is more than is left to pay) is
    refused with :class:`InvalidState` unless staff record the overpayment on purpose
    with ``allow_overpayment=True``; the invoice is then listed as needing a refund.
    """
    with transaction.atomic():
        locked, invoice = _lock_payment(payment)
        _require_undecided(locked)
        if carepay_settings.REQUIRE_DISTINCT_APPROVER:
            if by is None:
                raise PermissionRefused(
                    "CAREPAY['REQUIRE_DISTINCT_APPROVER'] is on: say who approves (by=…)."
                )
            if locked.recorded_by_id is not None and locked.recorded_by_id == by.pk:
                raise PermissionRefused(
                    "You submitted or recorded this payment; another member of staff must "
                    "approve it (CAREPAY['REQUIRE_DISTINCT_APPROVER'] is on)."
                )
        received = locked.amount if amount is None else quantize(amount, locked.currency)
        excess = invoice.overpayment_if_received(received)
        if excess > 0 and not allow_overpayment:
            left = invoice.total - invoice.net_paid
            if left <= 0:
                what = (f"{_describe(invoice)} is already "
                        f"{'paid' if invoice.status == Invoice.Status.PAID else 'settled'}"
                        f"; approving this transfer of {_money(received, locked.currency)}")
            else:
                what = (f"{_describe(invoice)} has {_money(left, locked.currency)} left "
                        f"to pay; approving {_money(received, locked.currency)}")
            raise InvalidState(
                f"{what} would overpay it by {_money(excess, locked.currency)}. Reject it "
                "if the money did not arrive, or approve it with allow_overpayment=True to "
                "record the overpayment (the invoice is then listed as needing a refund)."
            )
        now = timezone.now()
        locked.decided_by = by
        locked.decided_at = now
        locked.decision_notes = notes
        txn = _apply_charge(invoice, locked, received, by=by, note=notes)
        settled = _settle_if_paid(invoice)
        _save_charge(invoice, locked, txn)
        _send(signals.payment_approved, invoice, payment=locked, transaction=txn, by=by)
        _announce_charge(invoice, locked, txn, by=by, settled=settled)
        _after_commit(emails.send_payment_decided, locked.pk)
    _copy_state(payment, locked)
    return locked


def reject_payment(payment: Payment, *, by: Any, notes: str) -> Payment:
    """Reject a submitted payment; the invoice stays payable and the payer may retry."""
    reason = (notes or "").strip()
    if not reason:
        raise CarepayError("Give a reason for the rejection; the payer is told it.")
    with transaction.atomic():
        locked, invoice = _lock_payment(payment)
        _require_undecided(locked)
        locked._fail()
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_notes = reason
        locked.failure_code = "rejected"
        locked.failure_message = reason
        locked.save()
        _send(signals.payment_rejected, invoice, payment=locked, by=by, reason=reason)
        _send(signals.payment_failed, invoice, payment=locked, by=by)
        _after_commit(emails.send_payment_decided, locked.pk)
    _copy_state(payment, locked)
    return locked


def _apply_refund(invoice: Invoice, payment: Payment, amount: Decimal, *, by: Any,
                  provider_reference: str | None, note: str) -> Transaction:
    payment.amount_refunded += amount
    if payment.amount_refunded >= payment.amount_received:
        payment._refund_fully()
    else:
        payment._refund_partially()
    invoice.amount_refunded += amount
    if invoice.status == Invoice.Status.PAID and invoice.amount_refunded >= invoice.amount_paid:
        invoice._mark_refunded()
    return Transaction(
        invoice=invoice, kind=Transaction.Kind.REFUND, amount=amount,
        currency=payment.currency, backend=payment.backend,
        provider_reference=provider_reference or None, created_by=by, note=note,
    )


#: Payment.metadata key: how many refund requests the provider refused.
REFUND_REFUSALS = "refund_refusals"


def refund_payment(payment: Payment, *, amount: object | None = None, by: Any = None,
                   reason: str = "") -> Transaction:
    """Hand money back: the whole refundable amount by default, or part of it.

    The provider is asked first (with an idempotency key derived from the payment
    and what it has refunded so far, so a retried call never refunds twice); the
    ledger ``refund`` row is written only once the provider has accepted, for the
    amount the provider says it refunded (a difference from what was asked is logged
    and noted on the ledger row; another currency is refused and logged).

    A refusal by the provider is counted on the payment (``metadata["refund_refusals"]``,
    the only change a refusal makes), so the next attempt sends a new key: Stripe
    replays a refused request's answer for 24 hours. A lost answer is not counted,
    so its retry sends the same key and cannot refund twice.
    """
    try:
        return _refund_payment(payment, amount=amount, by=by, reason=reason)
    except ProviderError as exc:
        if exc.refused:
            with transaction.atomic():
                locked, _invoice = _lock_payment(payment)
                count = int((locked.metadata or {}).get(REFUND_REFUSALS, 0)) + 1
                locked.metadata = {**(locked.metadata or {}), REFUND_REFUSALS: count}
                locked.save(update_fields=["metadata", "updated_at"])
        raise


def _refund_payment(payment: Payment, *, amount: object | None, by: Any,
                    reason: str) -> Transaction:
    with transaction.atomic():
        locked, invoice = _with_lock_timeout(_backend_or_none(payment.backend),
                                             _lock_payment, payment)
        be = get_backend(locked.backend)
        refundable = locked.refundable_amount
        if refundable <= 0:
            raise InvalidState(
                f"This payment is {locked.get_status_display().lower()}; there is nothing "
                "to refund."
            )
        if not be.supports_refunds:
            raise BackendNotAvailable(f"Payment method {be.alias!r} cannot refund.")
        value = refundable if amount is None else quantize(amount, locked.currency)
        if value > refundable:
            raise InvalidAmount(
                f"{value} {locked.currency} is more than the {refundable} {locked.currency} "
                "that can still be refunded on this payment."
            )
        if value < refundable and not be.supports_partial_refunds:
            raise InvalidAmount(
                f"Payment method {be.alias!r} can only refund the full {refundable}."
            )
        # One key per refund attempt: the refund movements recorded for this payment so
        # far, and the amount. A retry after a lost answer (nothing recorded since) is
        # the same refund at the provider, never a second one; after a refund is
        # recorded or reversed the next one gets a new key (a reused key would replay
        # the old, failed refund and repay nobody).
        attempt = locked.transactions.filter(
            kind__in=(Transaction.Kind.REFUND, Transaction.Kind.REFUND_REVERSAL)).count()
        # The amount too: asking for another amount after a refusal is another request.
        key = f"carepay-refund-{locked.idempotency_key}-{attempt}-{value}"
        # And the refusals so far: a refused request's answer is replayed for its key.
        refusals = int((locked.metadata or {}).get(REFUND_REFUSALS, 0))
        if refusals:
            key = f"{key}-r{refusals}"
        result = be.refund(locked, value, idempotency_key=key)
        if result.status == "failed":
            raise ProviderError(
                f"The refund was refused: {result.failure_message or 'no reason given'}.",
                backend=be.alias, refused=True,
            )
        discrepancy = _check_refund_answer(be, locked, value, result, refundable)
        if discrepancy:
            reason = f"{reason} [{discrepancy}]".strip()
        if result.provider_reference and _already_in_ledger(be.alias, result.provider_reference):
            raise ProviderError(
                f"{be.alias} answered with refund {result.provider_reference}, which is "
                "already recorded; nothing was refunded again. Check the payment with the "
                "provider.", backend=be.alias,
            )
        txn = _apply_refund(invoice, locked, result.amount, by=by,
                            provider_reference=result.provider_reference, note=reason)
        _save_refund(invoice, locked, txn)
        if result.provider_reference:
            # The provider has moved the money: a fact the ledger keeps whatever the
            # host's receivers do. They run in one savepoint; if one raises, their writes
            # for this refund roll back and the error is logged, not raised (raising
            # would let an enclosing transaction undo the record of a real refund).
            try:
                with transaction.atomic():
                    _send(signals.payment_refunded, invoice, payment=locked, transaction=txn,
                          by=by)
            except Exception:
                logger.exception("A payment_refunded receiver failed after refund %s; the "
                                 "refund is recorded, the receiver's changes are not",
                                 result.provider_reference)
        else:
            _send(signals.payment_refunded, invoice, payment=locked, transaction=txn, by=by)
    _copy_state(payment, locked)
    return txn


def _check_refund_answer(be: BasePaymentBackend, payment: Payment, asked: Decimal,
                         result: Any, refundable: Decimal) -> str:
    """Compare the provider's refund answer with what was asked.

    The ledger records the money that moved, which is what the provider reports: an
    amount other than asked is recorded as reported, logged and noted on the ledger
    row for staff (returned here). What cannot be recorded truthfully (another
    currency, nothing, more than was refundable) is refused and logged; the refund
    then stands at the provider and staff must reconcile it.
    """
    ref = result.provider_reference or "(no id)"
    currency = (result.currency or "").upper()
    if currency != payment.currency:
        message = (f"{be.alias} answered refund {ref} in {currency} for a "
                   f"{payment.currency} payment; nothing was recorded. Check payment "
                   f"{payment.public_id} with the provider.")
    elif result.amount is None or result.amount <= 0 or result.amount > refundable:
        message = (f"{be.alias} answered refund {ref} of {result.amount} {currency} "
                   f"when {asked} was asked and {refundable} was refundable; nothing was "
                   f"recorded. Check payment {payment.public_id} with the provider.")
    elif result.amount != asked:
        note = (f"DISCREPANCY: asked {asked} {payment.currency}, {be.alias} refunded "
                f"{round_to_currency(result.amount, payment.currency)} {currency}")
        logger.error("Refund %s of payment %s: %s", ref, payment.public_id, note)
        return note
    else:
        return ""
    logger.error("%s", message)
    raise ProviderError(message, backend=be.alias)


# -- provider reports --------------------------------------------------------------------

def apply_provider_update(update: ProviderUpdate) -> Payment | None:
    """Apply what a provider reported (webhook or return page) to our records.

    Returns the payment, or ``None`` when the update matches no payment (the caller
    stores and flags it). Facts arrive in any order and any number of times: money
    confirmed is recorded once (keyed by the provider's charge or refund id), even
    for a payment we had marked failed; a late failure never undoes a success; an
    update no transition allows is logged and ignored. Money in another currency than
    the payment's raises :class:`ProviderMismatch` and is not credited.
    """
    with transaction.atomic():
        payment, _ = _lock_update_target(update)
        if payment is None:
            return None
        try:
            _apply_update(update, payment)
        except RefundReversed as exc:  # recorded; tell the logs, not the caller
            logger.error("%s", exc)
        return payment


def _lock_update_target(update: ProviderUpdate, *, event: tuple[str, str] | None = None
                        ) -> tuple[Payment | None, WebhookEvent | None]:
    """Lock and read the payment ``update`` is about, with its invoice (one query).

    With ``event`` = ``(backend, event_id)`` the same query also reports whether that
    webhook event is already stored (as a :class:`WebhookEvent` holding only its
    status), so a duplicate delivery costs no extra query. Returns ``(None, None)``
    when the update matches no payment.
    """
    # The provider's id of the payment is what it reports; our own id (from the
    # metadata we sent) is the fallback for a payment whose id was never stored (the
    # provider's answer to start() was lost). The fallback never takes a payment that
    # has another provider id, and an exact provider id wins over it.
    try:
        public_id = uuid.UUID(str(update.payment_public_id)) \
            if update.payment_public_id else None
    except ValueError:
        public_id = None
    ordering: tuple[Any, ...] = ("pk",)
    if update.provider_reference:
        match = models.Q(provider_reference=update.provider_reference)
        if public_id is not None:
            match |= models.Q(public_id=public_id, provider_reference="")
            # One query still: the exact match first, if both exist.
            ordering = (models.Case(models.When(provider_reference="", then=1),
                                    default=0, output_field=models.IntegerField()), "pk")
    elif public_id is not None:
        match = models.Q(public_id=public_id)
    else:
        return None, None
    qs = Payment.objects.select_related("invoice").filter(match, backend=update.backend)
    if event is not None:
        qs = qs.annotate(event_status=models.Subquery(
            WebhookEvent.objects.filter(backend=event[0], event_id=event[1])
            .order_by().values("status")[:1]))
    payment = _locking(qs).order_by(*ordering).first()
    if payment is None:
        logger.warning("%s: %s update for %s matches no payment", update.backend,
                       update.kind, update.provider_reference or update.payment_public_id)
        return None, None
    stored_event = None
    if event is not None and payment.event_status is not None:  # type: ignore[attr-defined]
        stored_event = WebhookEvent(backend=event[0], event_id=event[1],
                                    status=payment.event_status)  # type: ignore[attr-defined]
    return payment, stored_event


def _apply_update(update: ProviderUpdate, payment: Payment) -> None:
    """Apply ``update`` to ``payment`` (its invoice locked by the caller)."""
    if update.provider_reference and payment.provider_reference \
            and payment.provider_reference != update.provider_reference:
        raise ProviderMismatch(
            f"{update.backend} reported {update.kind} for {update.provider_reference}, but "
            f"payment {payment.public_id} belongs to {payment.provider_reference}."
        )
    if update.currency and update.currency.upper() != payment.currency:
        raise ProviderMismatch(
            f"{update.backend} reported {update.kind} in {update.currency.upper()} for a "
            f"{payment.currency} payment; not credited."
        )
    if update.provider_reference and not payment.provider_reference:
        # Matched by our own id in the provider's metadata: remember the provider's id.
        payment.provider_reference = update.provider_reference
        payment.save(update_fields=["provider_reference", "updated_at"])
    _UPDATE_HANDLERS[update.kind](update, payment, payment.invoice)


def _provider_amount(update: ProviderUpdate, payment: Payment) -> Decimal:
    """The amount ``update`` reports, exactly as the ledger will hold it; an amount it
    cannot hold exactly (finer than the currency's minor unit, as under a provider's
    own minor-unit rules, or too large) is a mismatch for staff, never rounded and
    never a failure the provider would retry forever."""
    try:
        return quantize(update.amount, payment.currency)
    except InvalidAmount as exc:
        raise ProviderMismatch(
            f"{update.backend} reported {update.kind} of {update.amount} "
            f"{payment.currency} for payment {payment.public_id}, which the ledger cannot "
            f"hold exactly ({exc}); not credited."
        ) from None


def _on_succeeded(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if update.amount is None or update.amount <= 0:
        raise ProviderMismatch(f"{update.backend} reported success without an amount received.")
    ref = update.transaction_reference or update.provider_reference
    # A payment with nothing received yet cannot have this charge in the ledger (a
    # charge belongs to one payment), so the look-up is only needed for repeats.
    if payment.amount_received > 0 and _already_in_ledger(payment.backend, ref):
        return
    amount = _provider_amount(update, payment)
    txn = _apply_charge(invoice, payment, amount, by=None, provider_reference=ref,
                        note=update.event_id)
    settled = _settle_if_paid(invoice)
    _save_charge(invoice, payment, txn)
    _announce_charge(invoice, payment, txn, by=None, settled=settled)


def _on_processing(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if payment.status == Payment.Status.PENDING:
        payment._mark_processing()
        payment.save(update_fields=["status", "updated_at"])


def _on_failed(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if payment.status not in (Payment.Status.PENDING, Payment.Status.PROCESSING):
        logger.info("Ignoring late failure for payment %s (%s)", payment.public_id,
                    payment.status)
        return
    payment._fail()
    payment.failure_code = update.failure_code[:100]
    payment.failure_message = update.failure_message
    payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
    _send(signals.payment_failed, invoice, payment=payment, by=None)


def _on_cancelled(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if payment.status in (Payment.Status.PENDING, Payment.Status.PROCESSING):
        payment._cancel()
        payment.save(update_fields=["status", "updated_at"])


def _on_refunded(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if update.amount is None or update.amount <= 0:
        raise ProviderMismatch(f"{update.backend} reported a refund without an amount.")
    if not update.transaction_reference:
        raise ProviderMismatch(f"{update.backend} reported a refund without its id.")
    if _already_in_ledger(payment.backend, update.transaction_reference):
        return
    if payment.status not in Payment.RECEIVED:
        # The refund overtook the news of its charge: refuse for now, so the provider
        # delivers it again once the charge is recorded (never drop it).
        raise ProviderNotReady(
            f"{update.backend} reported refund {update.transaction_reference} before the "
            f"payment {payment.provider_reference} was recorded as paid; retry later."
        )
    amount = _provider_amount(update, payment)
    if amount > payment.refundable_amount:
        raise ProviderMismatch(
            f"{update.backend} reported a refund of {amount} {payment.currency}, more than "
            f"the {payment.refundable_amount} recorded as refundable."
        )
    txn = _apply_refund(invoice, payment, amount, by=None,
                        provider_reference=update.transaction_reference, note=update.event_id)
    _save_refund(invoice, payment, txn)
    _send(signals.payment_refunded, invoice, payment=payment, transaction=txn, by=None)


def _on_refund_failed(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    """A refund the provider had accepted failed: the money is back with us.

    The ledger keeps the refund and adds a ``refund_reversal`` of the same amount
    (once: keyed ``<refund id>:reversal``), the payment and invoice totals go back, and
    the delivery is flagged so staff hand the money back another way.
    """
    refund = Transaction.objects.filter(
        backend=payment.backend, provider_reference=update.transaction_reference,
        kind=Transaction.Kind.REFUND,
    ).first()
    if refund is None:
        return  # never recorded as refunded, so there is nothing to correct
    reversal_ref = f"{update.transaction_reference}:reversal"
    if _already_in_ledger(payment.backend, reversal_ref):
        return
    payment.amount_refunded -= refund.amount
    if payment.amount_refunded > 0:
        payment._reverse_refund_partially()
    else:
        payment._reverse_refund_fully()
    invoice.amount_refunded -= refund.amount
    if invoice.status == Invoice.Status.REFUNDED:
        invoice._reverse_refund()
    # The money back may now cover an invoice that was still open.
    settled = _settle_if_paid(invoice)
    txn = Transaction(
        invoice=invoice, kind=Transaction.Kind.REFUND_REVERSAL, amount=refund.amount,
        currency=payment.currency, backend=payment.backend, provider_reference=reversal_ref,
        note=f"{update.event_id} {update.failure_message}".strip(),
    )
    _save_refund(invoice, payment, txn)
    _send(signals.payment_refund_reversed, invoice, payment=payment, transaction=txn,
          reason=update.failure_message)
    if settled:
        _cancel_other_attempts(invoice, payment)
        _send(signals.invoice_paid, invoice, payment=payment, transaction=txn, by=None)
    amount = normalize(refund.amount, payment.currency)
    raise RefundReversed(
        f"Refund {update.transaction_reference} of {amount} {payment.currency} failed at "
        f"{update.backend}"
        + (f" ({update.failure_message})" if update.failure_message else "")
        + "; the money is back with us and the payer still has to be repaid."
    )


_UPDATE_HANDLERS = {
    UpdateKind.SUCCEEDED: _on_succeeded,
    UpdateKind.PROCESSING: _on_processing,
    UpdateKind.FAILED: _on_failed,
    UpdateKind.CANCELLED: _on_cancelled,
    UpdateKind.REFUNDED: _on_refunded,
    UpdateKind.REFUND_FAILED: _on_refund_failed,
}


# -- webhooks ------------------------------------------------------------------------------

def handle_webhook(backend: BasePaymentBackend, *, event_id: str, event_type: str,
                   payload: Mapping[str, Any], updates: Iterable[ProviderUpdate],
                   headers: Mapping[str, str] | None = None) -> tuple[WebhookEvent, bool]:
    """Store one *verified* delivery and apply it exactly once.

    Returns ``(event, duplicate)``; for a duplicate the event carries only its status.
    The event row is written in the same transaction
    as the effects, so it exists as ``processed`` only if they committed; a delivery
    whose processing raised (anything, an ``IntegrityError`` in a host receiver too)
    is stored as ``failed`` (outside the rolled-back transaction) and the exception
    propagates, so the provider retries. Whether the
    event was seen before is read by the same query that takes the invoice lock, so a
    duplicate costs BEGIN, that query and COMMIT. Only a ``processed`` or ``ignored``
    row makes a delivery a duplicate; a ``failed`` one is processed again. When the
    event row turns out to have been stored meanwhile by a concurrent delivery (that
    query's snapshot predates the lock), the whole transaction is rolled back and run
    again, so this delivery's effects are never discarded under a 200. Updates that
    match no payment of ours, or that cannot be credited (:class:`ProviderMismatch`),
    are stored with ``needs_attention`` for staff, never guessed at.
    """
    event = WebhookEvent(backend=backend.alias, event_id=event_id, type=event_type[:100],
                         payload=dict(payload), headers=dict(headers or {}))
    try:
        problems: list[str] = []
        if isinstance(updates, list | tuple):
            updates = list(updates)
        else:
            # Updates the backend resolves by asking its provider (Stripe's refund
            # events): a duplicate asks nothing, and when the provider cannot be
            # reached the delivery is stored as failed (below) so staff see it.
            seen = WebhookEvent.objects.filter(backend=backend.alias, event_id=event_id) \
                .values_list("status", flat=True).first()
            if seen in _SETTLED_EVENTS:
                return WebhookEvent(backend=backend.alias, event_id=event_id,
                                    status=seen), True
            try:
                updates = list(updates)
            except (ProviderMismatch, InvalidAmount, InvalidCurrency,
                    InvalidProviderData) as exc:
                # A refund the provider does not know, one whose answer or snapshot is
                # malformed, or an amount or currency the ledger cannot hold: for
                # staff, never a retry loop.
                updates, problems = [], [f"{event_type} {event_id}: {exc}"]
        synced = False
        for _attempt in range(_WEBHOOK_ATTEMPTS):
            try:
                return _process_webhook(event, updates, problems)
            except _StoredConcurrently:
                continue  # read the row a concurrent delivery stored, and decide again
            except _ChargeNotRecorded as exc:
                # A refund before its charge's news, which may never come: ask the
                # provider (outside the transaction), apply the charge it confirms,
                # then the refund. If it confirms none, the provider retries later.
                fresh = None if synced else backend.sync(exc.payment)
                synced = True
                if fresh is None or fresh.kind != UpdateKind.SUCCEEDED:
                    raise exc.not_ready from None
                updates = [dataclasses.replace(fresh, event_id=event_id), *updates]
        raise ProviderNotReady(
            f"Webhook event {event_id} kept being stored concurrently; retry later.",
            backend=backend.alias)
    except Exception as exc:
        _store_failed_event(event, exc)
        raise


#: A delivery runs at most twice when racing another one, and once more after asking
#: the provider for a charge; more is a bug, not a race.
_WEBHOOK_ATTEMPTS = 4
_SETTLED_EVENTS = (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED)


class _StoredConcurrently(Exception):
    """Inserting the event row met a row a concurrent delivery had stored."""


class _ChargeNotRecorded(Exception):
    """A refund of ``payment`` came before its charge was recorded."""

    def __init__(self, payment: Payment, not_ready: ProviderNotReady) -> None:
        super().__init__(str(not_ready))
        self.payment = payment
        self.not_ready = not_ready


def _process_webhook(event: WebhookEvent, updates: list[ProviderUpdate],
                     known_problems: Iterable[str] = ()) -> tuple[WebhookEvent, bool]:
    """One attempt at :func:`handle_webhook`, in one transaction."""
    alias, event_id = event.backend, event.event_id
    with transaction.atomic():
        stored: WebhookEvent | None = None
        looked_up = False
        problems: list[str] = list(known_problems)
        applied = 0
        for index, update in enumerate(updates):
            payment, seen = _lock_update_target(
                update, event=(alias, event_id) if index == 0 else None)
            if index == 0 and payment is not None:
                stored, looked_up = seen, True
                if stored is not None and stored.status in _SETTLED_EVENTS:
                    return stored, True
            if payment is None:
                if update.payment_public_id:  # ours by its metadata, yet unknown
                    problems.append(
                        f"{update.kind} for {update.provider_reference} (payment "
                        f"{update.payment_public_id}) matches no payment."
                    )
                continue
            try:
                _apply_update(update, payment)
                applied += 1
            except RefundReversed as exc:  # recorded, and staff must act
                applied += 1
                problems.append(str(exc))
            except ProviderMismatch as exc:
                problems.append(str(exc))
            except ProviderNotReady as exc:
                raise _ChargeNotRecorded(payment, exc) from exc
        if not looked_up:
            stored = WebhookEvent.objects.filter(backend=alias, event_id=event_id).first()
            if stored is not None and stored.status in _SETTLED_EVENTS:
                return stored, True
        event.status = (WebhookEvent.Status.PROCESSED if applied
                        else WebhookEvent.Status.IGNORED)
        event.needs_attention = bool(problems)
        event.error = "\n".join(problems)
        event.processed_at = timezone.now()
        if stored is None:
            try:
                event.save(force_insert=True)
            except IntegrityError as exc:
                # Stored by a concurrent delivery after this transaction's first look
                # (the locking query's snapshot is older than the lock): roll back and
                # look again, rather than keep or drop effects on a stale answer.
                raise _StoredConcurrently from exc
        else:  # an earlier delivery failed; this one settles it
            WebhookEvent.objects.filter(backend=alias, event_id=event_id).update(
                **{f: getattr(event, f) for f in (
                    "type", "payload", "headers", "status", "needs_attention", "error",
                    "processed_at")})
    return event, False


def _store_failed_event(event: WebhookEvent, exc: Exception) -> None:
    """Record a delivery whose processing failed (its transaction rolled back).

    Never over a ``processed`` or ``ignored`` row: a concurrent delivery that settled
    the event keeps its row (and its effects)."""
    error = f"{type(exc).__name__}: {exc}"
    root, seen = exc, {id(exc)}
    while root.__cause__ is not None and id(root.__cause__) not in seen:
        root = root.__cause__  # type: ignore[assignment]
        seen.add(id(root))
    if root is not exc:  # staff see the provider's detail, not only the payer's text
        error += f" ({type(root).__name__}: {root})"
    error = error[:10000]
    fields = {"status": WebhookEvent.Status.FAILED, "error": error, "processed_at": None,
              "type": event.type, "payload": event.payload, "headers": event.headers}
    stored = WebhookEvent.objects.filter(backend=event.backend, event_id=event.event_id)
    if stored.exclude(status__in=_SETTLED_EVENTS).update(**fields):
        return
    # IntegrityError: a concurrent delivery stored it; the provider retries either way.
    with contextlib.suppress(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(backend=event.backend, event_id=event.event_id, **fields)


# -- links ---------------------------------------------------------------------------------

def payment_link(invoice: Invoice, *, request: Any = None) -> str:
    """A signed, expiring URL from which anyone holding it may view and pay ``invoice``."""
    token = signing.dumps(str(invoice.public_id), salt=PAYMENT_LINK_SALT, compress=False)
    path = reverse("carepay:invoice_link", kwargs={"token": token})
    return get_adapter().build_absolute_uri(path, request)


def resolve_payment_link(token: str) -> Invoice:
    """The invoice a payment link points at; raises :class:`InvalidLink`."""
    try:
        public_id = signing.loads(token, salt=PAYMENT_LINK_SALT,
                                  max_age=carepay_settings.PAYMENT_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink("This payment link has expired; ask for a new one.") from None
    except signing.BadSignature:
        raise InvalidLink("This payment link is not valid.") from None
    try:
        return Invoice.objects.get(public_id=public_id)
    except (Invoice.DoesNotExist, ValueError):
        raise InvalidLink("This payment link is not valid.") from None
