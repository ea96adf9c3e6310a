"""The payment backend contract: what every backend is, declares and may override.

A backend talks to its provider and reports what the provider said. It never saves a
model and never calls a transition: :mod:`django_carepay.services` decides what a
report means for the invoice, the payment and the ledger. The typed results backends
return live in :mod:`django_carepay.types` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core import checks

from ..money import validate_currency
from ..types import (
    ActionKind,
    PaymentAction,
    ProviderRecord,
    ProviderUpdate,
    RefundResult,
    RefundStatus,
    UpdateKind,
    WebhookDelivery,
)
from .provider_data import (
    MAX_EVENT_ID_LENGTH,
    MAX_WEBHOOK_DEPTH,
    load_webhook_json,
    minor_units,
)

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.urls import URLPattern, URLResolver

    from ..models import Invoice, Payment

__all__ = [
    "MAX_EVENT_ID_LENGTH",
    "MAX_WEBHOOK_DEPTH",
    "ActionKind",
    "BasePaymentBackend",
    "OfflineRefunds",
    "PaymentAction",
    "ProviderUpdate",
    "RefundResult",
    "RefundStatus",
    "UpdateKind",
    "WebhookDelivery",
    "load_webhook_json",
    "minor_units",
]


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
    #: The provider can list its charges and refunds (``reconciliation_records``,
    #: ``fetch_record``) for ``carepay_reconcile`` and the dashboard's summary.
    supports_reconciliation: bool = False

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
        self.currencies = frozenset(c.upper() for c in self.options.get("currencies") or ())
        self.countries = frozenset(c.upper() for c in self.options.get("countries") or ())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.alias!r}>"

    @property
    def label(self) -> str:
        """The ``label`` option (or the alias) in the active language: a host may give
        it as ``gettext_lazy("Cash")``, and backends are made once and cached, so the
        label is turned into text each time it is read, never when the backend is
        made."""
        return str(self.options.get("label") or self.alias)

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

    def payment_instructions(self, invoice: Invoice) -> PaymentAction:
        """What a payer is shown before submitting an offline payment for ``invoice``
        (backends that :attr:`requires_approval`): an :attr:`ActionKind.INSTRUCTIONS`
        action whose ``context`` has ``instructions`` (safe HTML), ``account`` and
        ``reference`` (what the payer should quote)."""
        raise NotImplementedError(f"{type(self).__name__} does not take submitted payments.")

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

    def parse_webhook(self, request: HttpRequest) -> WebhookDelivery:
        """Read a verified delivery: its event id and type, payload and updates.

        ``updates`` is a list, or (when finding them means asking the provider) an
        iterable that asks only when iterated: the service stores the delivery if
        that fails, and asks nothing for a duplicate."""
        raise NotImplementedError(f"{type(self).__name__} does not receive webhooks.")

    def parse_stored_webhook(self, payload: Mapping[str, Any]) -> WebhookDelivery:
        """Read again a delivery stored when it arrived (its signature was verified
        then): what ``CAREPAY["WEBHOOK_PROCESSING"] = "task"`` workers and
        ``carepay_replay_webhooks`` apply. The same as :meth:`parse_webhook` gave for
        its body."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot read stored webhook deliveries again.")

    def reconciliation_records(self, *, since: datetime, until: datetime | None = None,
                               accounts: Iterable[str] = (),
                               on_call: Callable[[], None] = lambda: None
                               ) -> Iterator[ProviderRecord]:
        """What the provider holds for ``carepay_reconcile``: every charge (payment
        attempt, whatever its status) and refund created in ``[since, until)``, for the
        platform and each of ``accounts``; ``on_call()`` once per API request."""
        raise NotImplementedError(f"{type(self).__name__} cannot be reconciled.")

    def fetch_record(self, kind: str, reference: str, account: str = ""
                     ) -> ProviderRecord | None:
        """One ``charge`` or ``refund`` by the ledger's reference; ``None`` when the
        provider has no such thing."""
        raise NotImplementedError(f"{type(self).__name__} cannot be reconciled.")

    # -- the backend's own views ----------------------------------------------------------
    def get_urls(self) -> list[URLPattern | URLResolver]:
        """URL patterns of this backend class's own views (none by default).

        ``django_carepay.urls`` mounts them under ``backends/<alias>/`` once per
        configured backend class, and their names join the ``carepay`` namespace.
        Each view is passed ``alias`` and must answer 404 unless
        ``get_backend(alias)`` is its kind of backend (settings may have changed since
        the URLconf was loaded).
        """
        return []

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


class OfflineRefunds:
    """Refunds of money handed back outside any provider (cash, a transfer staff send):
    recording it is the whole refund, in part or in full."""

    supports_refunds = True
    supports_partial_refunds = True

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> RefundResult:
        return RefundResult(status=RefundStatus.SUCCEEDED, amount=amount,
                            currency=payment.currency)
