"""An invoice's life: create a draft, issue it, void it, write it off, mark it overdue."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from .. import signals
from ..adapter import get_adapter
from ..conf import carepay_settings
from ..emails import email_enabled, payer_email
from ..exceptions import InvalidAmount, InvalidInput, InvalidState
from ..models import AuditEntry, Invoice, InvoiceLine, InvoiceSequence, Payment
from ..money import validate_currency
from ._audit import audit
from ._checks import _check_length, _describe, _money, _status, _transition
from ._locks import _copy_state, _lock_invoice
from ._notify import _email_invoice_after_commit, _send
from ._senders import remember_lines
from ._settlement import _cancel_locked
from .lines import _line_values, _recompute_totals

logger = logging.getLogger("django_carepay")

BILLING_FIELDS = ("name", "email", "address", "country", "tax_id", "language")


def _check_billing(billing: Mapping[str, str]) -> None:
    country = (billing.get("country") or "").strip()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise InvalidInput(
            gettext(
                "Billing country %(country)r is not an ISO 3166 code; use two letters, e.g. "
                "'GB'."
            ) % {"country": country}, field="billing_country",
        )
    language = (billing.get("language") or "").strip()
    if language and language.lower() not in {code.lower() for code, _name in settings.LANGUAGES}:
        raise InvalidInput(
            gettext("Billing language %(language)r is not one of this site's LANGUAGES "
                    "(%(codes)s).")
            % {"language": language,
               "codes": ", ".join(code for code, _name in settings.LANGUAGES)},
            field="billing_language",
        )
    for name in ("name", "email", "tax_id"):
        _check_length(Invoice, f"billing_{name}", (billing.get(name) or "").strip())


def _site_language(code: str, *, invoice: Invoice) -> str:
    """The site's language for the adapter's ``code`` (``"DE-at"`` -> ``"de"`` when the
    site has German but not Austrian German), or ``""`` (logged) when it has none."""
    try:
        return translation.get_supported_language_variant(str(code).strip().lower())
    except LookupError:
        logger.warning("The adapter gave invoice %s the billing language %r, which is not "
                       "among LANGUAGES; its e-mails use the active language.",
                       invoice.public_id, code)
        return ""


def create_invoice(*, customer: Any = None, subject: models.Model | None = None,
                   currency: str | None = None, lines: Iterable[Mapping[str, Any]] = (),
                   due_date: date | None = None, billing: Mapping[str, str] | None = None,
                   metadata: Mapping[str, Any] | None = None, notes: str = "") -> Invoice:
    """Create a draft invoice, optionally for a host object (``subject``) with lines.

    ``lines`` holds dicts of :func:`add_line`'s keyword arguments (``subject`` among
    them, for a cart whose lines bill for different host objects); ``billing`` may give
    ``name``, ``email``, ``address``, ``country``, ``tax_id`` and ``language`` (the
    payer's, one of ``settings.LANGUAGES``: carepay's e-mails to them are written in it)
    (blanks are filled from the adapter when the invoice is issued).
    """
    code = validate_currency(currency or carepay_settings.DEFAULT_CURRENCY)
    billing = dict(billing or {})
    unknown = sorted(set(billing) - set(BILLING_FIELDS))
    if unknown:
        raise InvalidInput(
            f"Unknown billing field(s) {', '.join(unknown)}; use {', '.join(BILLING_FIELDS)}.",
            field="billing", code="unknown",
        )
    if subject is not None and subject.pk is None:
        raise InvalidInput("The subject must be saved before it can be invoiced.",
                           field="subject", code="unsaved")
    _check_billing(billing)
    with transaction.atomic():
        invoice = Invoice(
            currency=code, customer=customer, due_date=due_date,
            metadata=dict(metadata or {}), notes=notes,
            **{f"billing_{k}": (v or "").strip() for k, v in billing.items()},
        )
        invoice.billing_country = invoice.billing_country.upper()
        invoice.billing_language = invoice.billing_language.lower()
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


def issue_invoice(invoice: Invoice, *, by: Any = None, send_email: bool = False) -> Invoice:
    """Issue a draft: give it the next number of its series, freeze its lines and
    billing snapshot, set its due date, and open it for payment."""
    adapter = get_adapter()
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.status != Invoice.Status.DRAFT:
            raise InvalidState(
                gettext(
                    "%(invoice)s is %(status)s; only drafts can be issued."
                ) % {"invoice": _describe(locked), "status": _status(locked)}
            )
        lines = list(locked.lines.all())
        if not lines:
            raise InvalidState(gettext(
                "%(invoice)s has no lines; add one before issuing."
            ) % {"invoice": _describe(locked)})
        _recompute_totals(locked, lines)
        remember_lines(locked, lines)
        if locked.total <= 0:
            raise InvalidAmount(
                gettext(
                    "%(invoice)s totals %(total)s; an invoice must be for more than 0."
                ) % {"invoice": _describe(locked), "total": locked.total}
            )
        for field, value in adapter.billing_details(locked).items():
            if not getattr(locked, field, None) and value:
                if field == "billing_language":  # a preference: never a reason to refuse
                    value = _site_language(value, invoice=locked)
                setattr(locked, field, value)
        try:
            _check_billing({name: getattr(locked, f"billing_{name}") for name in BILLING_FIELDS})
        except InvalidInput as exc:
            raise InvalidInput(f"{exc} (billing details from {type(adapter).__name__})",
                               field=exc.field, code=exc.code) from None
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
        audit(AuditEntry.Action.INVOICE_ISSUED, by=by, invoice=locked, amount=locked.total,
              from_status=Invoice.Status.DRAFT, to_status=locked.status,
              detail={"number": locked.number})
        _send(signals.invoice_issued, locked, by=by)
        if send_email:
            _email_invoice_after_commit(locked)
    _copy_state(invoice, locked)
    return locked


def email_invoice(invoice: Invoice, *, by: Any = None) -> str:
    """(Re)send an issued invoice to its payer (``invoice_issued``: the PDF and, while
    it can be paid, the pay link), once the caller's transaction commits; return the
    address it goes to. Drafts have no number to send and void or written-off
    invoices are not asked for, so they are refused, as is an invoice with no address."""
    locked = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    if locked.status in (Invoice.Status.DRAFT, Invoice.Status.VOID,
                         Invoice.Status.UNCOLLECTIBLE):
        raise InvalidState(gettext(
            "%(invoice)s is %(status)s; only issued invoices that are not void or written off "
            "are sent."
        ) % {"invoice": _describe(locked), "status": _status(locked)})
    if not email_enabled("invoice_issued"):
        raise InvalidState(gettext(
            "Invoice e-mails are switched off (CAREPAY['EMAILS']['invoice_issued'])."
        ))
    recipient = payer_email(locked)
    if not recipient:
        raise InvalidInput(gettext(
            "%(invoice)s has no e-mail address for its payer; add the customer's e-mail "
            "address first."
        ) % {"invoice": _describe(locked)}, field="billing_email",
                           code="required")
    logger.info("Invoice %s e-mailed to its payer by %s", locked.number, by)
    _email_invoice_after_commit(locked)
    return recipient


def void_invoice(invoice: Invoice, *, by: Any = None, reason: str = "") -> Invoice:
    """Void an invoice that has received no money (its payments in flight are cancelled)."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        if locked.net_paid > 0:
            raise InvalidState(
                gettext(
                    "%(invoice)s has received %(amount)s that was not refunded; refund the "
                    "payments first, or write the invoice off."
                ) % {"invoice": _describe(locked),
                    "amount": _money(locked.net_paid, locked.currency)}
            )
        in_flight = list(locked.payments.filter(status__in=Payment.IN_FLIGHT))
        waiting = [p for p in in_flight if p.status != Payment.Status.PENDING]
        if waiting:
            raise InvalidState(
                ngettext(
                    "%(invoice)s has %(count)d payment(s) processing or awaiting approval; "
                    "decide them before voiding.",
                    "%(invoice)s has %(count)d payment(s) processing or awaiting approval; "
                    "decide them before voiding.", len(waiting),
                ) % {"invoice": _describe(locked), "count": len(waiting)}
            )
        before = locked.status
        _transition(locked, "_void", gettext(
            "%(invoice)s is %(status)s and cannot be voided.",
        ) % {"invoice": _describe(locked), "status": _status(locked)})
        locked.closed_at = timezone.now()
        locked.close_reason = reason
        locked.save()
        audit(AuditEntry.Action.INVOICE_VOIDED, by=by, invoice=locked, amount=locked.total,
              from_status=before, to_status=locked.status, detail={"reason": reason})
        for payment in in_flight:
            _cancel_locked(payment)
        _send(signals.invoice_voided, locked, by=by, reason=reason)
    _copy_state(invoice, locked)
    return locked


def write_off_invoice(invoice: Invoice, *, by: Any = None, reason: str = "") -> Invoice:
    """Mark an open or overdue invoice as uncollectible (money received is kept)."""
    with transaction.atomic():
        locked = _lock_invoice(invoice)
        before, written_off = locked.status, locked.amount_due
        _transition(locked, "_write_off", gettext(
            "%(invoice)s is %(status)s; only open or overdue invoices can be written off.",
        ) % {"invoice": _describe(locked), "status": _status(locked)})
        locked.closed_at = timezone.now()
        locked.close_reason = reason
        locked.save()
        audit(AuditEntry.Action.INVOICE_WRITTEN_OFF, by=by, invoice=locked,
              amount=written_off, from_status=before, to_status=locked.status,
              detail={"reason": reason})
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
