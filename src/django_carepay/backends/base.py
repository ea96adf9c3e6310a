"""The payment backend contract and the typed results backends return.

A backend talks to its provider and reports what the provider said. It never saves a
model and never calls a transition: :mod:`django_carepay.services` decides what a
report means for the invoice, the payment and the ledger.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core import checks

from ..exceptions import (
    InvalidAmount,
    InvalidCurrency,
    InvalidProviderData,
    WebhookVerificationError,
)
from ..money import check_range, from_minor_units, validate_currency

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Invoice, Payment


class UpdateKind(enum.StrEnum):
    """What a provider reported about a payment."""

    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"


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

    ``kind`` is ``"render"`` (show ``template`` with ``context`` on our page, e.g. the
    Stripe Payment Element), ``"redirect"`` (send the payer to ``url``) or
    ``"instructions"`` (show offline payment instructions).
    """

    kind: str
    template: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""
    provider_reference: str = ""
    #: Merged into ``Payment.metadata`` by the service (e.g. a Connect account).
    payment_metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RefundResult:
    """The provider's answer to a refund request."""

    status: str  # "succeeded" | "pending" | "failed"
    amount: Decimal
    currency: str
    provider_reference: str = ""
    failure_message: str = ""


class BasePaymentBackend:
    """Base class of every payment backend.

    Configured in ``CAREPAY["BACKENDS"]`` as ``{"BACKEND": dotted path, "OPTIONS":
    {...}}``. Common options: ``label`` (shown to people), ``currencies`` and
    ``countries`` (lists of ISO codes this backend serves; empty means all).
    """

    #: The payer pays online through a provider (card, wallet).
    online: bool = False
    #: Staff record money received in person (cash, card terminal, cheque).
    staff_entry: bool = False
    #: The payer submits a payment that staff approve or reject (bank transfer).
    requires_approval: bool = False
    supports_refunds: bool = False
    supports_partial_refunds: bool = False
    has_webhooks: bool = False

    #: Seconds a service waits (PostgreSQL) for the invoice lock before refusing with
    #: InvoiceBusy, for backends that call their provider under that lock; None: no
    #: limit.
    lock_timeout: float | None = None

    #: Option names this backend accepts, beside the common ones.
    option_names: frozenset[str] = frozenset()
    common_option_names = frozenset({"label", "currencies", "countries"})

    def __init__(self, alias: str, params: Mapping[str, Any]) -> None:
        self.alias = alias
        self.params = params
        self.options: dict[str, Any] = dict(params.get("OPTIONS") or {})
        self.label: str = str(self.options.get("label") or alias)
        self.currencies = frozenset(c.upper() for c in self.options.get("currencies") or ())
        self.countries = frozenset(c.upper() for c in self.options.get("countries") or ())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.alias!r}>"

    # -- availability ----------------------------------------------------------------
    def is_available(self, invoice: Invoice, country: str | None = None) -> bool:
        """Whether this backend can take ``invoice`` (currency, then payer's country)."""
        if self.currencies and invoice.currency.upper() not in self.currencies:
            return False
        if self.countries:
            where = (country or invoice.billing_country or "").upper()
            if where not in self.countries:
                return False
        return True

    # -- provider calls (override what the backend supports) ---------------------------
    def start(self, payment: Payment, request: HttpRequest | None) -> PaymentAction:
        """Begin an online payment; return what the payer's browser should do."""
        raise NotImplementedError(f"{type(self).__name__} does not take online payments.")

    def sync(self, payment: Payment) -> ProviderUpdate | None:
        """Ask the provider for the payment's real state (return pages call this)."""
        return None

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> RefundResult:
        """Hand ``amount`` of ``payment`` back to the payer."""
        raise NotImplementedError(f"{type(self).__name__} does not support refunds.")

    def cancel(self, payment: Payment) -> None:
        """Cancel an unfinished payment at the provider (no-op by default)."""

    def verify_webhook(self, request: HttpRequest) -> None:
        """Raise :class:`~django_carepay.exceptions.WebhookVerificationError` unless the
        delivery is authentic."""
        raise NotImplementedError(f"{type(self).__name__} does not receive webhooks.")

    def parse_webhook(self, request: HttpRequest) -> tuple[str, str, dict[str, Any],
                                                           Iterable[ProviderUpdate]]:
        """Return ``(event_id, event_type, payload, updates)`` for a verified delivery.

        ``updates`` is a list, or (when finding them means asking the provider) an
        iterable that asks only when iterated: the service stores the delivery if
        that fails, and asks nothing for a duplicate."""
        raise NotImplementedError(f"{type(self).__name__} does not receive webhooks.")

    # -- configuration checks ---------------------------------------------------------
    def check_deploy(self) -> list[checks.CheckMessage]:
        """Messages for ``manage.py check --deploy`` only."""
        return []

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        """System-check messages about this backend's configuration."""
        messages: list[checks.CheckMessage] = []
        allowed = self.common_option_names | self.option_names
        unknown = sorted(set(self.options) - allowed)
        if unknown:
            messages.append(checks.Error(
                f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS'] has unknown option(s) "
                f"{', '.join(unknown)}.",
                hint=f"{type(self).__name__} accepts: {', '.join(sorted(allowed))}.",
                id="carepay.E003",
            ))
        for key in ("currencies", "countries"):
            value = self.options.get(key)
            if value is not None and (isinstance(value, str) or not isinstance(value, Iterable)):
                messages.append(checks.Error(
                    f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS'][{key!r}] must be a list "
                    f"of codes, not {value!r}.",
                    hint=f"e.g. [{value!r}]" if isinstance(value, str) else None,
                    id="carepay.E004",
                ))
                return messages
        for code in self.currencies:
            try:
                validate_currency(code)
            except ValueError as exc:
                messages.append(checks.Error(
                    f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS']['currencies']: {exc}",
                    id="carepay.E004",
                ))
        return messages


# -- reading what a provider sent --------------------------------------------------------

#: Deliveries nested deeper than this are refused (Stripe's events are about ten deep).
MAX_WEBHOOK_DEPTH = 64
#: The longest event id :class:`~django_carepay.models.WebhookEvent` stores.
MAX_EVENT_ID_LENGTH = 255
# What PostgreSQL's jsonb cannot hold in a string: NUL, and UTF-16 surrogates that
# JSON's \ud800-style escapes can produce without their pair.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _storable(value: Any, depth: int) -> Any:
    if depth > MAX_WEBHOOK_DEPTH:
        raise WebhookVerificationError(
            f"Body is nested more than {MAX_WEBHOOK_DEPTH} levels deep; no provider "
            "event is.")
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_storable(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_UNSTORABLE.sub("\ufffd", key): _storable(item, depth + 1)
                for key, item in value.items()}
    return value


def load_webhook_json(body: bytes) -> Any:
    """A verified delivery's body as JSON the database can store.

    Refuses (:class:`WebhookVerificationError`, answered 400) what JSON does not allow
    or no database stores: ``NaN`` and ``Infinity``, numbers out of a float's range
    (``1e309``), and nesting deeper than :data:`MAX_WEBHOOK_DEPTH`. NUL characters
    and unpaired surrogates in strings (keys too) are replaced by U+FFFD, so the event
    is still stored and applied: PostgreSQL refuses them, SQLite would not.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookVerificationError("Body is not UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise WebhookVerificationError("Body is not JSON we accept: it is nested too "
                                       "deeply.") from None
    except ValueError as exc:
        raise WebhookVerificationError(f"Body is not JSON: {exc}.") from None
    return _storable(data, 1)


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{text[:60]}… ({type(value).__name__})" if len(text) > 60 else \
        f"{text} ({type(value).__name__})"


def minor_units(value: Any, currency: str, *, field: str = "amount") -> Decimal:
    """A provider's amount in integer minor units (``8000`` GBP) as a Decimal (80.00).

    Anything but a non-negative ``int`` (a bool, a float, a digit string, a list) and
    any currency that is not ISO 4217 raise :class:`InvalidProviderData`: money is never
    credited from a value that had to be guessed at.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidProviderData(
            f"{field} must be an integer number of minor units (0 or more, e.g. 8000 for "
            f"80.00 GBP), got {_shown(value)}.")
    if not isinstance(currency, str):
        raise InvalidProviderData(f"currency must be a string, got {_shown(currency)}.")
    try:
        return check_range(from_minor_units(value, currency))
    except InvalidCurrency as exc:
        raise InvalidProviderData(f"currency {exc}") from None
    except InvalidAmount as exc:
        raise InvalidProviderData(f"{field}: {exc}") from None
