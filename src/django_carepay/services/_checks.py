"""The checks and refusals several services share: state, amounts, backends, text.

Each raises a :class:`~django_carepay.exceptions.CarepayError` subclass whose message
says what was wrong and what would be right, before anything is changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import get_language, gettext
from django_fsm import TransitionNotAllowed

from ..backends import BasePaymentBackend, get_backend
from ..conf import carepay_settings
from ..exceptions import BackendNotAvailable, InvalidAmount, InvalidInput, InvalidState
from ..models import Invoice, Payment
from ..money import display_money, format_amount, quantize
from ._locks import _lock_invoice, _with_lock_timeout


def _describe(invoice: Invoice) -> str:
    if invoice.number:
        return gettext("Invoice %(number)s") % {"number": invoice.number}
    return gettext("Draft invoice #%(pk)s") % {"pk": invoice.pk}


def _status(obj: Invoice | Payment) -> str:
    """The status's label inside a sentence: lower-cased in English ("is paid"), kept as it
    is in languages whose labels may be nouns (German "Entwurf")."""
    label = str(obj.get_status_display())
    return label.lower() if (get_language() or "en").startswith("en") else label


def _money(amount: Decimal, currency: str) -> str:
    """An amount inside a message people read: formatted for the active language
    (``£80.00``, ``80,00 £``), by :func:`~django_carepay.money.format_money`."""
    return display_money(amount, currency)


def _check_length(model: type[models.Model], field: str, value: str) -> None:
    """Refuse text longer than ``model.field`` stores (the database would, later)."""
    model_field = model._meta.get_field(field)
    limit = getattr(model_field, "max_length", None)
    if limit and len(value) > limit:
        name = str(getattr(model_field, "verbose_name", field))
        raise InvalidInput(gettext(
            "The %(name)s is %(length)s characters long; at most %(limit)s fit."
        ) % {"name": name, "length": len(value), "limit": limit}, field=field, code="max_length")


def _require_collectible(invoice: Invoice) -> None:
    if invoice.status not in Invoice.COLLECTIBLE:
        status = _status(invoice)
        raise InvalidState(
            gettext(
                "%(invoice)s is %(status)s; payments can only be taken on open or overdue "
                "invoices."
            ) % {"invoice": _describe(invoice), "status": status}
        )
    if invoice.amount_due <= 0:
        raise InvalidState(gettext(
            "%(invoice)s has nothing left to pay."
        ) % {"invoice": _describe(invoice)})


def _staff_amount(invoice: Invoice, amount: object | None) -> Decimal:
    """An amount staff or a payer typed: positive, exact, at most the amount due."""
    due = invoice.amount_due
    if amount is None:
        return due
    value = quantize(amount, invoice.currency)
    if value > due:
        raise InvalidAmount(
            gettext(
                "%(value)s is more than the %(due)s due on %(invoice)s; enter at most "
                "%(most)s."
            ) % {"value": _money(value, invoice.currency), "due": _money(due, invoice.currency),
                "most": format_amount(due, invoice.currency), "invoice": _describe(invoice)}
        )
    return value


def _backend_that(alias: str, capability: str, refusal: str) -> BasePaymentBackend:
    """The backend ``alias`` if it has ``capability`` (e.g. ``"online"``), else refuse."""
    backend = get_backend(alias)
    if not getattr(backend, capability):
        raise BackendNotAvailable(gettext("Payment method %(alias)r (%(label)s) %(refusal)s.") % {
            "alias": alias, "label": backend.label, "refusal": refusal})
    return backend


def _backend_or_none(alias: str) -> BasePaymentBackend | None:
    return get_backend(alias) if alias in carepay_settings.BACKENDS else None


def _require_available(backend: BasePaymentBackend, invoice: Invoice,
                       country: str | None = None) -> None:
    if not backend.is_available(invoice, country=country):
        facts = {"alias": backend.alias, "label": backend.label,
                 "invoice": _describe(invoice), "currency": invoice.currency,
                 "country": country or invoice.billing_country}
        raise BackendNotAvailable((gettext(
            "Payment method %(alias)r (%(label)s) is not available for %(invoice)s "
            "(%(currency)s, %(country)s).") if backend.countries else gettext(
            "Payment method %(alias)r (%(label)s) is not available for %(invoice)s "
            "(%(currency)s).")) % facts
        )


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


def _transition(obj: Any, method_name: str, message: str) -> None:
    try:
        getattr(obj, method_name)()
    except TransitionNotAllowed:
        raise InvalidState(message) from None


def _require_editable(invoice: Invoice) -> None:
    """Refuse to change the lines of an invoice that is no longer a draft."""
    if not invoice.is_editable:
        raise InvalidState(gettext(
            "%(invoice)s is issued; its lines are frozen."
        ) % {"invoice": _describe(invoice)})


def _required_text(value: str | None, *, field: str, message: str) -> str:
    """``value`` without surrounding blanks; refuse it when nothing is left."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, field=field, code="required")
    return text
