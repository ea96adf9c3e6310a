"""Handing money back: ask the provider, then record the refund it made."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from .. import signals
from ..backends import BasePaymentBackend, get_backend
from ..exceptions import (
    BackendNotAvailable,
    InvalidAmount,
    InvalidInput,
    InvalidState,
    ProviderError,
)
from ..logs import log_extra
from ..models import AuditEntry, InvoiceLine, Payment, Transaction
from ..money import quantize, round_to_currency
from ._audit import audit
from ._checks import _backend_or_none, _money, _status
from ._ledger import _already_in_ledger, _apply_refund, _save_refund
from ._locks import _copy_state, _lock_payment, _with_lock_timeout
from ._notify import _email_refund_after_commit, _send

logger = logging.getLogger("django_carepay")


#: Payment.metadata key: how many refund requests the provider refused.
REFUND_REFUSALS = "refund_refusals"
#: Payment.metadata key: how many refund requests this service recorded the answer of.
REFUND_REQUESTS = "refund_requests"


def refund_payment(payment: Payment, *, amount: object | None = None, by: Any = None,
                   reason: str = "") -> Transaction:
    """Hand money back: the whole refundable amount by default, or part of it.

    The provider is asked first (with an idempotency key derived from the payment
    and the refund requests answered so far, so a retried call never refunds twice); the
    ledger ``refund`` row is written only once the provider has accepted, for the
    amount the provider says it refunded (a difference from what was asked is logged
    and noted on the ledger row; another currency is refused and logged).

    A refusal by the provider is counted on the payment (``metadata["refund_refusals"]``,
    the only change a refusal makes), so the next attempt sends a new key: Stripe
    replays a refused request's answer for 24 hours. A lost answer is not counted,
    so its retry sends the same key and cannot refund twice; if the provider's webhook
    recorded that refund meanwhile, the retry returns the ledger row it wrote.
    """
    try:
        return _refund_payment(payment, amount=amount, by=by, reason=reason)
    except ProviderError as exc:
        if exc.refused:
            _count_refusal(payment)
        raise


def _count_refusal(payment: Payment) -> None:
    """The provider refused a refund of ``payment``: count it (its own transaction),
    so the next request sends a new idempotency key."""
    with transaction.atomic():
        locked, _invoice = _lock_payment(payment)
        count = int((locked.metadata or {}).get(REFUND_REFUSALS, 0)) + 1
        locked.metadata = {**(locked.metadata or {}), REFUND_REFUSALS: count}
        locked.save(update_fields=["metadata", "updated_at"])


def _refund_payment(payment: Payment, *, amount: object | None, by: Any, reason: str,
                    line: InvoiceLine | None = None) -> Transaction:
    """:func:`refund_payment` itself; with ``line`` (``refund_line``), the refund is
    that line's and ``payment_refunded`` reaches only that line's subject's class."""
    about: dict[str, Any] = {} if line is None else {"lines": [line], "line": line}
    if "\x00" in reason:  # refused before the provider is asked: PostgreSQL cannot store it
        raise InvalidInput(gettext("The reason contains a NUL character; remove it."),
                           field="reason", code="null_characters_not_allowed")
    with transaction.atomic():
        locked, invoice = _with_lock_timeout(_backend_or_none(payment.backend),
                                             _lock_payment, payment)
        be = get_backend(locked.backend)
        refundable = locked.refundable_amount
        if refundable <= 0:
            raise InvalidState(
                gettext(
                    "This payment is %(status)s; there is nothing to refund."
                ) % {"status": _status(locked)}
            )
        if not be.supports_refunds:
            raise BackendNotAvailable(gettext(
                "Payment method %(alias)r cannot refund."
            ) % {"alias": be.alias})
        value = refundable if amount is None else quantize(amount, locked.currency)
        if value > refundable:
            raise InvalidAmount(
                gettext(
                    "%(value)s is more than the %(refundable)s that can still be refunded on "
                    "this payment."
                ) % {"value": _money(value, locked.currency),
                     "refundable": _money(refundable, locked.currency)}
            )
        if value < refundable and not be.supports_partial_refunds:
            raise InvalidAmount(
                gettext(
                    "Payment method %(alias)r can only refund the full %(refundable)s."
                ) % {"alias": be.alias, "refundable": _money(refundable, locked.currency)}
            )
        # One key per refund request: the requests this service has recorded the
        # answer of, the refunds reversed since, and the amount. Not the refund rows:
        # the provider's webhook may record the refund of a request whose answer was
        # lost, and its retry must still be the same request at the provider (the same
        # key), never a second refund. After a refund is recorded here or reversed the
        # next request gets a new key (a reused key would replay the old, failed
        # refund and repay nobody).
        requests = int((locked.metadata or {}).get(REFUND_REQUESTS, 0))
        reversals = locked.transactions.filter(
            kind=Transaction.Kind.REFUND_REVERSAL).count()
        # The amount too: asking for another amount after a refusal is another request.
        key = f"carepay-refund-{locked.idempotency_key}-{requests}.{reversals}-{value}"
        # And the refusals so far: a refused request's answer is replayed for its key.
        refusals = int((locked.metadata or {}).get(REFUND_REFUSALS, 0))
        if refusals:
            key = f"{key}-r{refusals}"
        result = be.refund(locked, value, idempotency_key=key)
        if result.status == "failed":
            raise ProviderError(
                gettext(
                    "The refund was refused: %(reason)s."
                ) % {"reason": result.failure_message or gettext("no reason given")},
                backend=be.alias, refused=True,
            )
        discrepancy = _check_refund_answer(be, locked, value, result, refundable)
        if discrepancy:
            reason = f"{reason} [{discrepancy}]".strip()
        locked.metadata = {**(locked.metadata or {}), REFUND_REQUESTS: requests + 1}
        if result.provider_reference and _already_in_ledger(be.alias, result.provider_reference):
            recorded = locked.transactions.filter(
                kind=Transaction.Kind.REFUND, provider_reference=result.provider_reference,
            ).first()
            if recorded is None:
                raise ProviderError(
                    gettext(
                        "%(provider)s answered with refund %(reference)s, which is already "
                        "recorded for another payment; nothing was refunded again. Check the "
                        "payment with the provider."
                    ) % {"provider": be.alias, "reference": result.provider_reference},
                    backend=be.alias,
                )
            # The provider replayed this request's refund, which its webhook recorded
            # after our first answer was lost: it happened once and is recorded once.
            locked.save(update_fields=["metadata", "updated_at"])
            _copy_state(payment, locked)
            recorded.replayed = True  # nothing moved now: callers must not say "Refunded"
            return recorded
        before = locked.status
        txn = _apply_refund(invoice, locked, result.amount, by=by,
                            provider_reference=result.provider_reference, note=reason)
        _save_refund(invoice, locked, txn, also=("metadata",))
        audit(AuditEntry.Action.PAYMENT_REFUNDED, by=by, payment=locked, amount=txn.amount,
              from_status=before, to_status=locked.status,
              detail={"reason": reason, "refund": result.provider_reference or None,
                      "asked": str(value), "invoice_status": invoice.status})
        if result.provider_reference:
            # The provider has moved the money: a fact the ledger keeps whatever the
            # host's receivers do. They run in one savepoint; if one raises, their writes
            # for this refund roll back and the error is logged, not raised (raising
            # would let an enclosing transaction undo the record of a real refund).
            try:
                with transaction.atomic():
                    _send(signals.payment_refunded, invoice, payment=locked, transaction=txn,
                          by=by, **about)
            except Exception:
                logger.exception("A payment_refunded receiver failed after refund %s; the "
                                 "refund is recorded, the receiver's changes are not",
                                 result.provider_reference, extra=log_extra(payment=locked))
        else:
            _send(signals.payment_refunded, invoice, payment=locked, transaction=txn, by=by,
                  **about)
        _email_refund_after_commit(txn)
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
        logger.error("Refund %s of payment %s: %s", ref, payment.public_id, note,
                     extra=log_extra(payment=payment))
        return note
    else:
        return ""
    logger.error("%s", message, extra=log_extra(payment=payment))
    raise ProviderError(message, backend=be.alias)
