"""How carepay's records read in the admin: money, one-line descriptions, view-only records."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext

from ..models import Invoice, Payment
from ..money import display_money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def money_display(attribute: str, description: StrOrPromise, *, ordering: str | None = None,
                  currency: str = "currency") -> Callable[[Any, Any], str]:
    """An admin column (or read-only field) showing ``obj.<attribute>`` formatted in
    the currency found at ``obj.<currency>`` (a dotted path, e.g. ``invoice.currency``)."""
    amount_of, currency_of = attrgetter(attribute), attrgetter(currency)

    @admin.display(description=description, ordering=ordering)
    def display(model_admin: Any, obj: Any) -> str:
        return display_money(amount_of(obj), currency_of(obj))

    return display


def describe_invoice(invoice: Invoice) -> str:
    """One line naming an invoice on a confirmation page: number, payer, total."""
    parts = [str(invoice), invoice.billing_name, display_money(invoice.total, invoice.currency)]
    return " · ".join(part for part in parts if part)


def describe_payment(payment: Payment) -> str:
    """One line naming a payment on a confirmation page or in a refusal."""
    text = gettext("%(amount)s by %(backend)s on %(invoice)s") % {
        "amount": display_money(payment.amount, payment.currency),
        "backend": payment.backend,
        "invoice": payment.invoice,
    }
    return f"{text} ({payment.reference})" if payment.reference else text


def names(objects: Iterable[object]) -> str:
    """``"INV-2026-00001, INV-2026-00002"``, for success messages."""
    return ", ".join(str(obj) for obj in objects)


def waiting_transfers_warning(invoice: Invoice) -> str:
    """What staff recording money on ``invoice`` must know: transfers awaiting approval."""
    waiting = invoice.payments.filter(status=Payment.Status.AWAITING_APPROVAL).order_by(
        "created_at", "pk")
    return " ".join(gettext(
        "A transfer of %(amount)s (reference %(reference)s) submitted on %(date)s awaits "
        "approval on this invoice; approve or reject it first if this money is the same "
        "payment.") % {"amount": display_money(p.amount, p.currency),
                       "reference": p.reference or "—",
                       "date": p.created_at.date().isoformat()} for p in waiting)


class ReadOnlyAdminMixin:
    """A record nobody adds, changes or deletes through the admin; viewing stays."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
