"""What a provider reported (webhook or return page), applied to our records.

Facts arrive in any order and any number of times; each kind of update has one
handler (``_on_<kind>``). A handler returns what staff must be told about an update
it did record (a refund that failed and came back), or ``None``; what cannot be
recorded raises :class:`ProviderMismatch` (flagged for staff) or
:class:`ProviderNotReady` (the provider delivers it again).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.db import models, transaction

from .. import signals
from ..backends import ProviderUpdate, UpdateKind
from ..exceptions import InvalidAmount, ProviderMismatch, ProviderNotReady
from ..logs import log_extra
from ..models import AuditEntry, Invoice, InvoiceLine, Payment, Transaction
from ..money import normalize, quantize
from ._audit import audit_entry, provider_actor
from ._batch import Writes
from ._ledger import (
    _already_in_ledger,
    _apply_charge,
    _apply_refund,
    _reverse_refund,
    _save_charge,
    _save_refund,
    _settle_if_paid,
)
from ._locks import _lock_by_reference, _lock_matching_payment
from ._notify import _email_failure_after_commit, _email_refund_after_commit, _send
from ._settlement import _announce_charge, _announce_money

logger = logging.getLogger("django_carepay")


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
        payment = _lock_update_target(update)
        if payment is None:
            return None
        attention = _apply_update(update, payment)
        if attention:  # recorded; tell the logs, not the caller
            logger.error("%s", attention, extra=log_extra(
                payment=payment, invoice=payment.invoice, event=update.event_id))
        return payment


def _lock_update_target(update: ProviderUpdate) -> Payment | None:
    """Lock and read the payment ``update`` is about, with its invoice (one query);
    ``None`` when the update matches no payment."""
    # The provider's id of the payment is what it reports; our own id (from the
    # metadata we sent) is the fallback for a payment whose id was never stored (the
    # provider's answer to start() was lost). The fallback never takes a payment that
    # has another provider id, and an exact provider id wins over it.
    try:
        public_id = uuid.UUID(str(update.payment_public_id)) \
            if update.payment_public_id else None
    except ValueError:
        public_id = None
    if update.provider_reference:
        # One query still: the exact match first, if both exist.
        payment = _lock_by_reference(update.backend, update.provider_reference, public_id)
    elif public_id is not None:
        payment = _lock_matching_payment(models.Q(public_id=public_id),
                                         backend=update.backend, ordering=("pk",))
    else:
        return None
    if payment is None and update.kind in _REFUND_KINDS and update.provider_reference:
        # A refund names the money it returns; where the payment's own id is not the
        # charge's (a Checkout Session paid by its PaymentIntent), the payment is the
        # one whose ledger charge carries that reference.
        charged = Transaction.objects.filter(
            backend=update.backend, kind=Transaction.Kind.CHARGE,
            provider_reference=update.provider_reference).values("payment_id")
        payment = _lock_matching_payment(models.Q(pk__in=charged), backend=update.backend,
                                         ordering=("pk",))
    if payment is None and update.kind in _REFUND_KINDS and public_id is not None:
        # A refund of a payment of ours (by our id in its intent's metadata) whose
        # charge is not recorded yet and whose own id is another one: never dropped,
        # _apply_update has the charge asked of the provider first.
        payment = _lock_matching_payment(models.Q(public_id=public_id),
                                         backend=update.backend, ordering=("pk",))
    if payment is None:
        logger.info("%s: %s update for %s matches no payment", update.backend,
                    update.kind, update.provider_reference or update.payment_public_id,
                    extra=log_extra(payment=update.payment_public_id or None,
                                    event=update.event_id))
    return payment


def _apply_update(update: ProviderUpdate, payment: Payment, *,
                  audits: list[AuditEntry] | None = None,
                  batch: Writes | None = None) -> str | None:
    """Apply ``update`` to ``payment`` (its invoice locked by the caller); return what
    staff must be told about it, if anything (see :func:`_on_refund_failed`). With
    ``audits`` its audit entry is appended there, unsaved, for the caller to save
    before the transaction ends (the webhook writes it with the event row). With
    ``batch``, a charge's writes join it and its announcement is left for the caller's
    ``batch.run_after()``."""
    if update.provider_reference and payment.provider_reference \
            and payment.provider_reference != update.provider_reference \
            and not _refund_of_its_charge(update, payment):
        if update.kind in _REFUND_KINDS and _names_payment(update, payment):
            # Its charge (a Checkout Session's intent, say) is not recorded yet.
            raise ProviderNotReady(
                f"{update.backend} reported a refund of {update.provider_reference} for "
                f"payment {payment.public_id} before that charge was recorded; retry later.")
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
        if update.kind in _REFUND_KINDS:
            # A refund names its intent, tied to this payment only by our id in the
            # intent's metadata, which whoever made the intent wrote: never adopted
            # from a refund (asking the provider about it would credit its charge).
            # The intent's own news records the charge; the refund comes again.
            raise ProviderNotReady(
                f"{update.backend} reported a refund of {update.provider_reference} for "
                f"payment {payment.public_id}, whose provider id is not known yet; retry "
                "later.")
        # Matched by our own id in the provider's metadata: remember the provider's id.
        payment.provider_reference = update.provider_reference
        payment.save(update_fields=["provider_reference", "updated_at"])
    before = (payment.status, payment.amount_received, payment.amount_refunded)
    if update.kind == UpdateKind.SUCCEEDED:
        attention = _on_succeeded(update, payment, payment.invoice, batch=batch)
    else:
        attention = _UPDATE_HANDLERS[update.kind](update, payment, payment.invoice)
    if (payment.status, payment.amount_received, payment.amount_refunded) != before:
        _audit_update(update, payment, before, audits)
    return attention


def _audit_update(update: ProviderUpdate, payment: Payment,
                  before: tuple[str, Decimal, Decimal],
                  audits: list[AuditEntry] | None = None) -> None:
    """Record in the audit trail what ``update`` changed on ``payment`` (only a
    change: a repeated or ignored update leaves no entry); with ``audits``, append
    the entry there unsaved (see :func:`_apply_update`)."""
    moved = abs(payment.amount_received - before[1]) or abs(payment.amount_refunded - before[2])
    entry = audit_entry(
        AuditEntry.Action.PROVIDER_UPDATE, actor=provider_actor(update.backend),
        payment=payment, amount=moved or None, from_status=before[0],
        to_status=payment.status,
        detail={"kind": str(update.kind), "event": update.event_id or None,
                "reference": update.provider_reference or None,
                "transaction_reference": update.transaction_reference or None,
                "invoice_status": payment.invoice.status})
    if audits is None:
        entry.save(force_insert=True)
    else:
        audits.append(entry)
    logger.info("%s: %s %s for payment %s (%s -> %s)", update.backend, update.kind,
                update.transaction_reference or update.provider_reference,
                payment.public_id, before[0], payment.status,
                extra=log_extra(payment=payment, invoice=payment.invoice,
                                event=update.event_id))


#: Updates about money handed back, which name the charge they return.
_REFUND_KINDS = (UpdateKind.REFUNDED, UpdateKind.REFUND_FAILED)


def _names_payment(update: ProviderUpdate, payment: Payment) -> bool:
    """Whether ``update`` names ``payment`` by our own id (from the provider's metadata)."""
    try:
        return uuid.UUID(str(update.payment_public_id)) == payment.public_id
    except ValueError:
        return False


def _refund_of_its_charge(update: ProviderUpdate, payment: Payment) -> bool:
    """Whether ``update`` is a refund of a charge recorded for ``payment`` under the
    update's reference (its payment's own provider id being another one)."""
    return update.kind in _REFUND_KINDS and payment.transactions.filter(
        kind=Transaction.Kind.CHARGE, provider_reference=update.provider_reference).exists()


def _amount_differs(update: ProviderUpdate, payment: Payment, amount: Decimal) -> str | None:
    """What staff must be told when the provider received another amount than the
    payment asked for: it is recorded as received (never as the amount asked)."""
    if amount == payment.amount:
        return None
    return (f"{update.backend} reported {normalize(amount, payment.currency)} "
            f"{payment.currency} received for payment {payment.public_id}, which asked for "
            f"{normalize(payment.amount, payment.currency)} {payment.currency}; recorded "
            "as received, not as the amount asked. Check it with the provider.")


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


def _on_succeeded(update: ProviderUpdate, payment: Payment, invoice: Invoice, *,
                  batch: Writes | None = None) -> str | None:
    """Record the money received, once; flag (return) an amount other than asked.
    With ``batch`` (the webhook's), see :func:`_apply_update`."""
    if update.amount is None or update.amount <= 0:
        raise ProviderMismatch(f"{update.backend} reported success without an amount received.")
    ref = update.transaction_reference or update.provider_reference
    amount = _provider_amount(update, payment)
    # A payment with nothing received yet cannot have this charge in the ledger (a
    # charge belongs to one payment), so the look-up is only needed for repeats.
    if payment.amount_received > 0 and _already_in_ledger(payment.backend, ref):
        # Told again (the return page came first): still worth flagging a difference.
        return _amount_differs(update, payment, amount)
    txn = _apply_charge(invoice, payment, amount, by=None, provider_reference=ref,
                        note=update.event_id)
    settled = _settle_if_paid(invoice)

    pending = _save_charge(invoice, payment, txn, settled=settled, batch=batch)

    def announce() -> None:
        _announce_charge(invoice, payment, txn, by=None, settled=settled, pending=pending())

    # Announced once written: now, or when the webhook's one statement has run.
    if batch is None:
        announce()
    else:
        batch.after(announce)
    return _amount_differs(update, payment, amount)


def _on_processing(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if payment.status == Payment.Status.PENDING:
        payment._mark_processing()
        payment.save(update_fields=["status", "updated_at"])


def _on_failed(update: ProviderUpdate, payment: Payment, invoice: Invoice) -> None:
    if payment.status not in (Payment.Status.PENDING, Payment.Status.PROCESSING):
        logger.info("Ignoring late failure for payment %s (%s)", payment.public_id,
                    payment.status, extra=log_extra(payment=payment, invoice=invoice,
                                                    event=update.event_id))
        return
    payment._fail()
    payment.failure_code = update.failure_code[:100]
    payment.failure_message = update.failure_message
    payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
    _send(signals.payment_failed, invoice, payment=payment, by=None)
    _email_failure_after_commit(payment)


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
    _email_refund_after_commit(txn)


def _on_refund_failed(update: ProviderUpdate, payment: Payment, invoice: Invoice
                      ) -> str | None:
    """A refund the provider had accepted failed: the money is back with us.

    The ledger keeps the refund and adds a ``refund_reversal`` of the same amount
    (once: keyed ``<refund id>:reversal``), the payment and invoice totals go back, and
    the returned message (``None`` when there was nothing to record) flags the
    delivery so staff hand the money back another way. It is an outcome, not a
    refusal, so it is returned, never raised (``RefundReversed`` is no longer used).
    """
    refund = Transaction.objects.filter(
        backend=payment.backend, provider_reference=update.transaction_reference,
        kind=Transaction.Kind.REFUND,
    ).first()
    if refund is None:
        return None  # never recorded as refunded, so there is nothing to correct
    reversal_ref = f"{update.transaction_reference}:reversal"
    if _already_in_ledger(payment.backend, reversal_ref):
        return None
    txn = _reverse_refund(invoice, payment, refund, provider_reference=reversal_ref,
                          note=f"{update.event_id} {update.failure_message}".strip())
    # A line refunded on its own (refund_line) is no longer refunded: the money is back
    # with us, and refunding the line again must make a new refund, not replay this one.
    InvoiceLine.objects.filter(refund=refund).update(refund=None)
    # The money back may now cover an invoice that was still open.
    settled = _settle_if_paid(invoice)
    _save_refund(invoice, payment, txn)
    _announce_money(invoice, payment, txn, settled=settled, by=None,
                    signal=signals.payment_refund_reversed,
                    details={"reason": update.failure_message})
    amount = normalize(refund.amount, payment.currency)
    return (
        f"Refund {update.transaction_reference} of {amount} {payment.currency} failed at "
        f"{update.backend}"
        + (f" ({update.failure_message})" if update.failure_message else "")
        + "; the money is back with us and the payer still has to be repaid."
    )


#: One handler per kind of update; each returns what staff must be told, or None.
_UPDATE_HANDLERS: dict[str, Callable[[ProviderUpdate, Payment, Invoice], str | None]] = {
    UpdateKind.SUCCEEDED: _on_succeeded,
    UpdateKind.PROCESSING: _on_processing,
    UpdateKind.FAILED: _on_failed,
    UpdateKind.CANCELLED: _on_cancelled,
    UpdateKind.REFUNDED: _on_refunded,
    UpdateKind.REFUND_FAILED: _on_refund_failed,
}
