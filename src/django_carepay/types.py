"""The frozen value objects and StrEnums backends, services and views pass each other.

A leaf: it imports nothing from carepay, so any module may use it. Value objects
never live with the code that produces them (a backend builds a
:class:`ProviderUpdate`; :mod:`django_carepay.services` reads it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date

    from .models import Invoice, Payment

__all__ = [
    "ActionKind",
    "DueReminder",
    "PaymentAction",
    "PaymentStart",
    "ProviderUpdate",
    "RefundResult",
    "RefundStatus",
    "UpdateKind",
    "WebhookDelivery",
]


class UpdateKind(enum.StrEnum):
    """What a provider reported about a payment."""

    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"


class ActionKind(enum.StrEnum):
    """What the payer's browser does next to pay (:attr:`PaymentAction.kind`).

    Members compare equal to their values, so code written against the plain strings
    (``action.kind == "redirect"``) keeps working.
    """

    #: Show ``template`` with ``context`` on our page (e.g. the Stripe Payment Element).
    RENDER = "render"
    #: Send the payer to ``url`` (a provider's hosted page).
    REDIRECT = "redirect"
    #: Show offline payment instructions (and, for approval backends, the form).
    INSTRUCTIONS = "instructions"


class RefundStatus(enum.StrEnum):
    """The provider's answer to a refund request (:attr:`RefundResult.status`)."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True)
class ProviderUpdate:
    """One fact a provider reported, normalized.

    ``amount`` is what the provider says moved (received for ``succeeded``, handed
    back for ``refunded``), in ``currency``; ``transaction_reference`` is the
    provider's id of that movement (a charge or refund id) and keys the ledger row.
    """

    backend: str
    kind: UpdateKind
    provider_reference: str = ""
    payment_public_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    transaction_reference: str = ""
    failure_code: str = ""
    failure_message: str = ""
    event_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class PaymentAction:
    """What the payer's browser should do next to pay.

    ``kind`` is an :class:`ActionKind`: ``"render"`` (show ``template`` with
    ``context`` on our page, e.g. the Stripe Payment Element), ``"redirect"`` (send the
    payer to ``url``) or ``"instructions"`` (show offline payment instructions).
    """

    kind: ActionKind
    template: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""
    provider_reference: str = ""
    #: Merged into ``Payment.metadata`` by the service (e.g. a Connect account).
    payment_metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RefundResult:
    """The provider's answer to a refund request."""

    status: RefundStatus
    amount: Decimal
    currency: str
    provider_reference: str = ""
    failure_message: str = ""


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery:
    """A verified delivery, read: what ``parse_webhook`` returns.

    ``payload`` is the body as stored with the event. ``updates`` is a list, or (when
    finding them means asking the provider) an iterable that asks only when iterated:
    the service stores the delivery if that fails, and asks nothing for a duplicate.
    """

    event_id: str
    event_type: str
    payload: dict[str, Any] = field(repr=False)
    updates: Iterable[ProviderUpdate] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class PaymentStart:
    """What starting an online payment gives the payer's page: the ``payment`` and the
    backend's next step for the browser (``action``).

    ``action`` is ``None`` when there is nothing to pay on the page: the provider had
    already taken (or is taking) the money for this payment, so show its result.
    """

    payment: Payment
    action: PaymentAction | None



@dataclass(frozen=True, kw_only=True)
class DueReminder:
    """A reminder ``carepay_send_reminders`` sends (or, with ``--dry-run``, would):
    ``invoice`` reaches ``step`` (days relative to its ``due_date``; negative: before
    it) of ``CAREPAY["REMINDER_SCHEDULE"]``, and is written to at ``recipient``."""

    invoice: Invoice
    step: int
    due_date: date
    recipient: str


@dataclass(frozen=True, kw_only=True)
class ProviderRecord:
    """A movement of money as the provider records it, for reconciliation: a
    ``charge`` (a payment attempt, e.g. a PaymentIntent, whatever its status) or a
    ``refund``.

    ``reference`` is what the ledger keys it by (Stripe: the PaymentIntent id for a
    charge, the refund id for a refund); ``payment_reference`` the payment's provider
    id; ``status`` the provider's own status; ``update`` what applying it would record
    (``None`` when it moves no money), also what ``--fix`` applies; ``account`` a
    connected account ("" for the platform).
    """

    kind: str
    reference: str
    payment_reference: str
    status: str
    update: ProviderUpdate | None = field(default=None, compare=False)
    account: str = ""

    @property
    def moved_money(self) -> bool:
        """Whether the provider says the money moved (a succeeded charge, a refund not
        failed)."""
        return self.update is not None and self.update.kind in (
            UpdateKind.SUCCEEDED, UpdateKind.REFUNDED)
