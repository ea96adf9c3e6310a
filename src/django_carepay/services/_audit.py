"""The audit trail's one writer: :func:`audit`, called by the services inside the
transaction of the action it records."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from ..models import AuditEntry, Invoice, Payment

#: ``actor`` of what carepay does by itself (commands, clean-up).
SYSTEM = "system"


def provider_actor(alias: str) -> str:
    """``actor`` of what a provider reported (webhooks, return pages, reconciliation)."""
    return f"provider:{alias}"


def _jsonable(detail: Mapping[str, Any]) -> dict[str, Any]:
    import json

    return dict(json.loads(json.dumps(dict(detail), cls=DjangoJSONEncoder)))


def audit(action: str, *, by: Any = None, actor: str | None = None,
          invoice: Invoice | None = None, payment: Payment | None = None,
          amount: Decimal | None = None, currency: str = "", from_status: str = "",
          to_status: str = "", detail: Mapping[str, Any] | None = None) -> AuditEntry:
    """Record one action on the money (an :class:`~django_carepay.models.AuditEntry`).

    Call it inside the transaction of the action, after its rows are saved: the entry
    then commits or rolls back with it. ``by`` is the acting user; without one,
    ``actor`` says who acted (``provider:<alias>``, see :func:`provider_actor`), and
    ``system`` when neither is given. ``invoice`` defaults to the payment's;
    ``currency`` to the payment's or invoice's when an ``amount`` is given.
    """
    entry = audit_entry(action, by=by, actor=actor, invoice=invoice, payment=payment,
                        amount=amount, currency=currency, from_status=from_status,
                        to_status=to_status, detail=detail)
    entry.save(force_insert=True)
    return entry


def audit_entry(action: str, *, by: Any = None, actor: str | None = None,
                invoice: Invoice | None = None, payment: Payment | None = None,
                amount: Decimal | None = None, currency: str = "", from_status: str = "",
                to_status: str = "", detail: Mapping[str, Any] | None = None) -> AuditEntry:
    """The entry :func:`audit` saves, not saved yet: for a caller that writes it in
    the same statement as another row (the webhook's event, :mod:`.webhooks`)."""
    if invoice is None and payment is not None:
        invoice = payment.invoice
    if amount is not None and not currency:
        currency = (payment.currency if payment is not None else
                    invoice.currency if invoice is not None else "")
    user = by if getattr(by, "pk", None) is not None else None
    if actor is None:
        actor = user.get_username() if user is not None else SYSTEM
    return AuditEntry(
        actor=str(actor)[:191], user=user, action=action, invoice=invoice, payment=payment,
        amount=amount, currency=currency or "", from_status=from_status or "",
        to_status=to_status or "", detail=_jsonable(detail or {}),
    )
