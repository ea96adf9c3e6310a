"""Taking payments: record money staff received, start or resume an online payment,
cancel one, and clean up the attempts payers abandoned."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, ngettext

from ..backends import BasePaymentBackend, UpdateKind, backend_label, get_backend
from ..exceptions import CarepayError, InvalidState, ProviderError, WouldOverpay
from ..logs import log_extra
from ..models import AuditEntry, Invoice, Payment
from ..proofs import check_paid_on
from ..types import PaymentStart
from ._audit import audit
from ._checks import (
    _backend_or_none,
    _backend_that,
    _check_length,
    _describe,
    _lock_for_new_payment,
    _money,
    _status,
)
from ._ledger import _apply_charge, _save_charge, _settle_if_paid
from ._locks import _copy_state, _lock_payment, _with_lock_timeout
from ._settlement import _announce_charge
from .provider import _apply_update, apply_provider_update

logger = logging.getLogger("django_carepay")


def record_payment(invoice: Invoice, *, backend: str, amount: object | None = None,
                   reference: str = "", by: Any, notes: str = "",
                   allow_pending_transfers: bool = False,
                   paid_on: date | None = None) -> Payment:
    """Record money staff received in person (cash, card terminal, cheque).

    ``amount=None`` records the amount due; an amount above it is refused. ``paid_on``
    is the day the money was taken, when not today (never in the future).

    While payments (bank transfers) await approval on the invoice, money that would
    overpay it once they are approved is refused with :class:`InvalidState` naming
    them: staff approve or reject the transfer first, or pass
    ``allow_pending_transfers=True`` to record the money anyway (logged as a warning;
    approving the transfer afterwards then needs ``allow_overpayment=True``).
    """
    be = _backend_that(backend, "staff_entry", gettext("is not one staff record by hand"))
    check_paid_on(paid_on)
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
                (gettext("a transfer of %(amount)s (reference %(reference)s)") if p.reference
                 else gettext("a transfer of %(amount)s"))
                % {"amount": _money(p.amount, p.currency), "reference": p.reference}
                for p in waiting)
            text = ngettext(
                "%(invoice)s has %(listed)s awaiting approval; recording %(value)s as well "
                "would overpay it by %(excess)s once the transfer is approved.",
                "%(invoice)s has %(listed)s awaiting approval; recording %(value)s as well "
                "would overpay it by %(excess)s once they are approved.",
                len(waiting),
            ) % {"invoice": _describe(locked), "listed": listed,
                 "value": _money(value, locked.currency),
                 "excess": _money(excess, locked.currency)}
            if not allow_pending_transfers:
                raise WouldOverpay(
                    text, excess=excess, override="allow_pending_transfers",
                    advice=ngettext(
                        "Approve or reject the transfer first, or record the payment with "
                        "allow_pending_transfers=True.",
                        "Approve or reject the transfers first, or record the payment with "
                        "allow_pending_transfers=True.", len(waiting)))
            logger.warning("%s Recorded anyway (allow_pending_transfers).", text,
                           extra=log_extra(invoice=locked))
        payment = Payment(
            invoice=locked, backend=be.alias, amount=value, currency=locked.currency,
            reference=reference, notes=notes, recorded_by=by, paid_on=paid_on,
        )
        txn = _apply_charge(locked, payment, value, by=by, note=notes)
        settled = _settle_if_paid(locked)
        _save_charge(locked, payment, txn)
        audit(AuditEntry.Action.PAYMENT_RECORDED, by=by, payment=payment, amount=value,
              to_status=payment.status,
              detail={"backend": be.alias, "reference": reference,
                      "invoice_status": locked.status})
        _announce_charge(locked, payment, txn, by=by, settled=settled)
    _copy_state(invoice, locked)
    return payment


def start_payment(invoice: Invoice, *, backend: str, request: Any = None,
                  amount: object | None = None) -> Payment:
    """Start (or resume) an online payment of ``invoice`` through ``backend``; return
    the payment. The same as :func:`begin_payment`, for callers that do not render the
    payer's next step (``begin_payment(...).payment``)."""
    return begin_payment(invoice, backend=backend, request=request, amount=amount).payment


def begin_payment(invoice: Invoice, *, backend: str, request: Any = None,
                  amount: object | None = None) -> PaymentStart:
    """Start (or resume) an online payment of ``invoice`` through ``backend``, and say
    what the payer's browser does next (a :class:`~django_carepay.types.PaymentStart`).

    The amount is the invoice's amount due unless server code passes a smaller one;
    it never comes from the browser. A payer reloading the pay page gets the same
    pending payment back while its amount still matches; a stale one is cancelled.
    Before a pending payment is offered again the provider is asked about it: if the
    payer paid meanwhile, that payment is returned recorded and no longer pending
    (``action`` is ``None``: show the result, not the form); if the attempt failed or
    was cancelled, a new payment starts. Otherwise ``action`` is the backend's next
    step for the browser.

    While a payment of the invoice is processing (a bank debit on its way, through
    any method), an attempt that would pay more than is due once it arrives is
    refused with :class:`InvalidState`: wait for its result.
    """
    be = _backend_that(backend, "online", gettext("is not an online payment method"))
    with transaction.atomic():
        locked, value = _lock_for_new_payment(invoice, be, amount)
        _refuse_while_processing(locked, value)
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
                _copy_state(invoice, locked)
                return PaymentStart(payment=other, action=None)
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
                    _copy_state(invoice, locked)
                    return PaymentStart(payment=payment, action=None)
                payment = None
            elif payment.status != Payment.Status.PENDING:
                # Paid (or processing) meanwhile: show the result.
                _copy_state(invoice, locked)
                return PaymentStart(payment=payment, action=None)
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
    _copy_state(invoice, locked)
    return PaymentStart(payment=payment, action=action)


def _refuse_while_processing(invoice: Invoice, value: Decimal) -> None:
    """Refuse paying ``value`` online if, with the invoice's processing payments, it
    would pay more than is owed (``invoice`` locked; nothing else is changed).

    A processing payment (SEPA or Bacs debit, ...) is money on its way: the amount due
    does not count it until it clears, days later, so a second attempt for the amount
    due would charge the payer twice. Counted as :func:`record_payment` counts
    transfers awaiting approval. Read after the lock, so a payment that turned
    processing while this request waited is seen. Each is asked of its provider first:
    a debit that failed (or cleared) while its webhook is late must not lock the payer
    out (or let them pay twice); one the provider cannot be asked about stays
    processing, and keeps blocking.
    """
    processing = list(invoice.payments.filter(status=Payment.Status.PROCESSING)
                      .order_by("created_at", "pk"))
    for payment in processing:
        be = _backend_or_none(payment.backend)
        if be is None or not be.online:
            continue
        payment.invoice = invoice
        try:
            update = be.sync(payment)
        except ProviderError:
            continue
        if update is not None:
            _apply_update(update, payment)
    processing = [p for p in processing if p.status == Payment.Status.PROCESSING]
    on_its_way = sum((p.amount for p in processing), Decimal(0))
    if processing and invoice.overpayment_if_received(value + on_its_way) > 0:
        raise InvalidState(gettext(
            "An earlier payment of this invoice is still being processed by %(provider)s; "
            "wait for its result before paying again."
        ) % {"provider": backend_label(processing[0].backend)})


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
            gettext(
                "An earlier payment of this invoice is still being processed by %(provider)s; "
                "wait for its result before paying again."
            ) % {"provider": backend.label},
            backend=backend.alias,
        ) from None
    payment.metadata = {**(payment.metadata or {}), CLOSED_AT_PROVIDER: True}
    payment.save(update_fields=["metadata", "updated_at"])
    return True


def cancel_payment(payment: Payment, *, by: Any = None,
                   _untouched_since: Any = None) -> Payment:
    """Cancel a pending or processing payment, at the provider first, then here."""
    with transaction.atomic():
        locked, _invoice = _with_lock_timeout(_backend_or_none(payment.backend),
                                              _lock_payment, payment)
        if _untouched_since is not None and locked.updated_at >= _untouched_since:
            # carepay_cancel_abandoned listed it stale, but the payer came back since.
            raise InvalidState(gettext("This payment is in use again."))
        if locked.status not in (Payment.Status.PENDING, Payment.Status.PROCESSING):
            raise InvalidState(
                gettext(
                    "This payment is %(status)s; only pending or processing payments can be "
                    "cancelled."
                ) % {"status": _status(locked)}
            )
        before = locked.status
        get_backend(locked.backend).cancel(locked)
        locked._cancel()
        locked.save(update_fields=["status", "updated_at"])
        audit(AuditEntry.Action.PAYMENT_CANCELLED, by=by, payment=locked,
              from_status=before, to_status=locked.status)
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
            cancel_payment(payment, _untouched_since=cutoff)
        except InvalidState:
            continue  # decided meanwhile
        except ProviderError as exc:
            # Most likely the payer paid after all: record what the provider says.
            logger.info("Not cancelling abandoned payment %s: %s", payment.pk, exc,
                        extra=log_extra(payment=payment))
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
            logger.info("Could not close payment %s at %s: %s", payment.pk, be.alias, exc,
                        extra=log_extra(payment=payment))
    return cancelled
