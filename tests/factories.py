"""Builders for carepay objects in tests.

They go through :mod:`django_carepay.services`, as a host project would, so every
object a test starts from is in a state the services can produce.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from django_carepay import services
from django_carepay.backends import ProviderUpdate, UpdateKind
from django_carepay.models import (
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    Transaction,
    WebhookEvent,
)
from tests.testapp.models import Appointment

#: The GP clinic's standard line: one £80 consultation.
CONSULTATION: Mapping[str, Any] = {"description": "GP consultation", "unit_price": "80.00"}


def make_appointment(**kwargs: Any) -> Appointment:
    return Appointment.objects.create(**kwargs)


def make_invoice(*, lines: Iterable[Mapping[str, Any]] = (CONSULTATION,), issue: bool = True,
                 **kwargs: Any) -> Invoice:
    """A draft (``issue=False``) or open invoice; by default one £80 consultation."""
    invoice = services.create_invoice(lines=lines, **kwargs)
    return services.issue_invoice(invoice) if issue else invoice


def issue(invoice: Invoice, **kwargs: Any) -> Invoice:
    return services.issue_invoice(invoice, **kwargs)


def pay_cash(invoice: Invoice, amount: object = None, *, by: Any = None) -> Payment:
    return services.record_payment(invoice, backend="cash", amount=amount, by=by)


def start_online(invoice: Invoice, amount: object = None) -> Payment:
    """Start paying ``invoice`` with the dummy "online" backend (a pending payment)."""
    return services.start_payment(invoice, backend="online", amount=amount)


def provider_update(payment: Payment, kind: UpdateKind = UpdateKind.SUCCEEDED, *,
                    amount: object = None, currency: str | None = None,
                    transaction_reference: str | None = None, **kwargs: Any) -> ProviderUpdate:
    """What the dummy provider would report about ``payment``.

    A ``succeeded`` update defaults to the payment's amount and a charge id derived
    from the payment; pass ``transaction_reference`` to report another charge.
    """
    if kind == UpdateKind.SUCCEEDED:
        amount = payment.amount if amount is None else amount
        if transaction_reference is None:
            transaction_reference = f"ch_{payment.public_id.hex}"
    return ProviderUpdate(
        backend=payment.backend, kind=kind, provider_reference=payment.provider_reference,
        amount=None if amount is None else Decimal(str(amount)),
        currency=payment.currency if currency is None else currency,
        transaction_reference=transaction_reference or "", **kwargs,
    )


def reload(obj: models.Model) -> Any:
    """A fresh copy of ``obj`` from the database (the caller's instance is untouched)."""
    return type(obj)._default_manager.get(pk=obj.pk)


#: Every table a billing operation may write to.
BILLING_MODELS: tuple[type[models.Model], ...] = (
    Invoice, InvoiceLine, InvoiceSequence, Payment, Transaction, WebhookEvent, Appointment,
)


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every billing table, to compare before and after a refusal."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in BILLING_MODELS
    }
