"""Payments that wait for staff: a payer submits a transfer, staff approve or reject it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import signals
from ..conf import carepay_settings
from ..exceptions import AlreadyDecided, InvalidState, PermissionRefused, WouldOverpay
from ..models import AuditEntry, Invoice, Payment
from ..money import check_range, quantize
from ..proofs import check_paid_on, proof_extension
from ._audit import audit
from ._checks import (
    _backend_that,
    _check_length,
    _describe,
    _lock_for_new_payment,
    _money,
    _required_text,
    _status,
)
from ._ledger import _apply_charge, _save_charge, _settle_if_paid
from ._locks import _copy_state, _lock_payment
from ._notify import _email_decision_after_commit, _email_staff_after_commit, _send
from ._settlement import _announce_charge


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
    be = _backend_that(backend, "requires_approval",
                       gettext("does not take submitted payments"))
    reference = _required_text(reference, field="reference",
                               message=gettext(
                                   "Enter the reference you quoted with your payment."
                               ))
    _check_length(Payment, "reference", reference)
    check_paid_on(paid_on)
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
            _email_staff_after_commit(payment)
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
        facts = {"who": payment.decided_by or gettext("a deleted user"),
                 "when": f"{timezone.localtime(payment.decided_at):%Y-%m-%d %H:%M}"}
        if payment.status in Payment.RECEIVED:
            raise AlreadyDecided(
                gettext("This payment was already approved by %(who)s at %(when)s.") % facts)
        raise AlreadyDecided(
            gettext("This payment was already rejected by %(who)s at %(when)s.") % facts
        )
    raise InvalidState(
        gettext(
            "This payment is %(status)s, not awaiting approval."
        ) % {"status": _status(payment)}
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
                    gettext(
                        "You submitted or recorded this payment; another member of staff must "
                        "approve it (CAREPAY['REQUIRE_DISTINCT_APPROVER'] is on)."
                    )
                )
        received = locked.amount if amount is None else quantize(amount, locked.currency)
        # The totals it is added to must still fit their columns (numeric(14, 3)).
        check_range(invoice.amount_paid + received)
        check_range(locked.amount_received + received)
        excess = invoice.overpayment_if_received(received)
        if excess > 0 and not allow_overpayment:
            left = invoice.total - invoice.net_paid
            amounts = {"invoice": _describe(invoice),
                       "received": _money(received, locked.currency),
                       "left": _money(left, locked.currency),
                       "excess": _money(excess, locked.currency)}
            if left <= 0 and invoice.status == Invoice.Status.PAID:
                situation = gettext(
                    "%(invoice)s is already paid; approving this transfer of %(received)s "
                    "would overpay it by %(excess)s.") % amounts
            elif left <= 0:
                situation = gettext(
                    "%(invoice)s is already settled; approving this transfer of "
                    "%(received)s would overpay it by %(excess)s.") % amounts
            else:
                situation = gettext(
                    "%(invoice)s has %(left)s left to pay; approving %(received)s would "
                    "overpay it by %(excess)s.") % amounts
            raise WouldOverpay(
                situation, excess=excess, override="allow_overpayment",
                advice=gettext(
                    "Reject it if the money did not arrive, or approve it with "
                    "allow_overpayment=True to record the overpayment (the invoice is "
                    "then listed as needing a refund)."))
        now = timezone.now()
        locked.decided_by = by
        locked.decided_at = now
        locked.decision_notes = notes
        txn = _apply_charge(invoice, locked, received, by=by, note=notes)
        settled = _settle_if_paid(invoice)
        _save_charge(invoice, locked, txn)
        audit(AuditEntry.Action.PAYMENT_APPROVED, by=by, payment=locked, amount=received,
              from_status=Payment.Status.AWAITING_APPROVAL, to_status=locked.status,
              detail={"notes": notes, "submitted": str(locked.amount),
                      "invoice_status": invoice.status})
        _send(signals.payment_approved, invoice, payment=locked, transaction=txn, by=by)
        _announce_charge(invoice, locked, txn, by=by, settled=settled)
        _email_decision_after_commit(locked)
    _copy_state(payment, locked)
    return locked


def reject_payment(payment: Payment, *, by: Any, notes: str) -> Payment:
    """Reject a submitted payment; the invoice stays payable and the payer may retry."""
    reason = _required_text(notes, field="notes",
                            message=gettext(
                                "Give a reason for the rejection; the payer is told it."
                            ))
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
        audit(AuditEntry.Action.PAYMENT_REJECTED, by=by, payment=locked, amount=locked.amount,
              from_status=Payment.Status.AWAITING_APPROVAL, to_status=locked.status,
              detail={"reason": reason})
        _send(signals.payment_rejected, invoice, payment=locked, by=by, reason=reason)
        _send(signals.payment_failed, invoice, payment=locked, by=by)
        _email_decision_after_commit(locked)
    _copy_state(payment, locked)
    return locked
