"""The Stripe backend: PaymentIntents with the Payment Element, refunds, webhooks.

The class wires the pieces together and does the I/O (asking Stripe); the rules live
beside it: :mod:`.client`, :mod:`.amounts`, :mod:`.intents`, :mod:`.webhooks`,
:mod:`.checks`. Every mutating call carries an idempotency key derived from our ids,
so a retried request never creates a second intent or refund. Amounts and currencies
come from the invoice on the server, in minor units by
:func:`~django_carepay.money.to_minor_units`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core import checks
from django.views.decorators.debug import sensitive_variables

from ...exceptions import (
    InvalidProviderData,
    ProviderError,
    ProviderMismatch,
    WebhookVerificationError,
)
from ...money import from_minor_units, to_minor_units
from ...types import (
    ActionKind,
    PaymentAction,
    ProviderRecord,
    ProviderUpdate,
    RefundResult,
    RefundStatus,
    UpdateKind,
    WebhookDelivery,
)
from ..base import BasePaymentBackend
from . import checks as stripe_checks
from . import reconcile
from .amounts import charges_exactly
from .client import build_client, call, request_options
from .intents import INTENT_EVENTS, INTENT_OPTIONS, PAYABLE, REQUEST_OPTIONS, update_from_intent
from .objects import object_id, plain, text
from .webhooks import (
    REFUND_EVENTS,
    ResolvedOnDemand,
    asks_stripe,
    event_object,
    read_event,
    refunded_charge_id,
    update_from_refund,
    verify_signature,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ...models import Invoice, Payment

DEFAULT_JS_URL = "https://js.stripe.com/v3/"
#: How long (seconds) a request waits on PostgreSQL for an invoice another request
#: holds while it talks to Stripe, before it gives up with InvoiceBusy.
DEFAULT_LOCK_TIMEOUT = 10


class StripeBackend(BasePaymentBackend):
    """Stripe PaymentIntents with the Payment Element.

    Options: ``secret_key``, ``publishable_key``, ``webhook_secret`` (required);
    ``api_base`` (a Stripe-compatible server, e.g. localstripe in tests), ``js_url``
    (where Stripe.js is loaded from), ``api_version``, ``max_network_retries``
    (default 2), ``payment_method_types`` (default: automatic payment methods),
    ``connect_timeout`` and ``timeout`` (seconds to connect to Stripe and to wait for
    its answer, default 3 and 10), ``lock_timeout`` (seconds a request waits on
    PostgreSQL for an invoice another request holds, default 10), plus the common
    ``label``, ``currencies`` and ``countries``.
    """

    online = True
    supports_refunds = True
    supports_partial_refunds = True
    supports_reconciliation = True
    has_webhooks = True
    #: Options without which the backend cannot work (system checks E011-E013).
    required_options: tuple[str, ...] = ("secret_key", "publishable_key", "webhook_secret")
    option_names = frozenset({
        "secret_key", "publishable_key", "webhook_secret", "api_base", "js_url",
        "api_version", "max_network_retries", "payment_method_types",
        "connect_timeout", "timeout", "lock_timeout",
    })

    @property
    def lock_timeout(self) -> float | None:  # type: ignore[override]
        value = self.options.get("lock_timeout", DEFAULT_LOCK_TIMEOUT)
        return float(value) if value else None

    # -- the client ---------------------------------------------------------------------
    @cached_property
    def client(self) -> Any:
        return build_client(self.options)

    @property
    def publishable_key(self) -> str:
        return str(self.options.get("publishable_key") or "")

    @property
    def js_url(self) -> str:
        return str(self.options.get("js_url") or DEFAULT_JS_URL)

    def call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Call Stripe; its errors are raised as :class:`ProviderError`."""
        return call(self.alias, what, func, *args, **kwargs)

    # -- paying ------------------------------------------------------------------------
    def is_available(self, invoice: Invoice, country: str | None = None) -> bool:
        """Also refuses amounts Stripe cannot charge exactly (three-decimal currencies
        are charged in multiples of 0.010): never charge more, or less, than is due."""
        return super().is_available(invoice, country) and charges_exactly(
            invoice.amount_due, invoice.currency)

    def start(self, payment: Payment, request: HttpRequest | None) -> PaymentAction:
        """Create the payment's PaymentIntent (or reuse it), for the Payment Element."""
        from ...adapter import get_adapter

        invoice = payment.invoice
        if not charges_exactly(payment.amount, payment.currency):
            raise ProviderError(
                f"Stripe cannot charge exactly {payment.amount} {payment.currency} "
                "(it takes three-decimal currencies in multiples of 0.010); take this "
                "payment another way.", backend=self.alias)
        amount = to_minor_units(payment.amount, payment.currency)
        account = (payment.metadata or {}).get("stripe_account", "")
        intent = None
        if payment.provider_reference:
            intent = self.call(
                "look up the payment", self.client.v1.payment_intents.retrieve,
                payment.provider_reference, options=request_options(payment),
            )
            if intent.status not in PAYABLE or intent.amount != amount:
                # services.start_payment syncs a payment before offering it again, so
                # this is a race; creating another intent would reuse the idempotency
                # key and get this finished one back from Stripe.
                raise ProviderError(
                    f"This payment's PaymentIntent is {intent.status}; start a new payment.",
                    backend=self.alias,
                )
        if intent is None:
            extra = dict(get_adapter().backend_options(invoice, self.alias))
            unknown = set(extra) - INTENT_OPTIONS - REQUEST_OPTIONS
            if unknown:
                raise ProviderError(
                    f"The adapter returned unknown Stripe option(s) {sorted(unknown)}; "
                    f"allowed: {sorted(INTENT_OPTIONS | REQUEST_OPTIONS)}.", backend=self.alias,
                )
            account = str(extra.get("stripe_account") or "")
            params: dict[str, Any] = {
                "amount": amount,
                "currency": payment.currency.lower(),
                "metadata": {
                    "carepay_payment": str(payment.public_id),
                    "carepay_invoice": invoice.number or "",
                },
                **{k: v for k, v in extra.items() if k in INTENT_OPTIONS},
            }
            if self.options.get("payment_method_types"):
                params["payment_method_types"] = list(self.options["payment_method_types"])
            else:
                params["automatic_payment_methods"] = {"enabled": True}
            intent = self.call(
                "start the payment", self.client.v1.payment_intents.create, params=params,
                options=request_options(
                    payment, f"carepay-pi-{payment.idempotency_key}", account=account),
            )
        return PaymentAction(
            kind=ActionKind.RENDER,
            template="carepay/backends/stripe.html",
            context={
                "client_secret": intent.client_secret,
                "publishable_key": self.publishable_key,
                "stripe_js_url": self.js_url,
                "stripe_account": account,
            },
            provider_reference=intent.id,
            # Remembered on the payment so sync, refunds and cancels reach the same
            # connected account.
            payment_metadata={"stripe_account": account} if account else {},
        )

    def sync(self, payment: Payment) -> ProviderUpdate | None:
        """Ask Stripe for the PaymentIntent's real status (the return page)."""
        if not payment.provider_reference:
            return None
        intent = self.call(
            "look up the payment", self.client.v1.payment_intents.retrieve,
            payment.provider_reference,
            params={"expand": ["latest_charge"]},
            options=request_options(payment),
        )
        return self.update_from_intent(intent)

    def update_from_intent(self, intent: Any, *, event_id: str = "",
                           event_type: str = "") -> ProviderUpdate | None:
        """Normalize a PaymentIntent (from the API or an event) into an update."""
        return update_from_intent(self.alias, intent, event_id=event_id,
                                  event_type=event_type)

    def cancel(self, payment: Payment) -> None:
        """Cancel the PaymentIntent at Stripe, unless it already finished."""
        if not payment.provider_reference:
            return
        intent = self.call(
            "look up the payment", self.client.v1.payment_intents.retrieve,
            payment.provider_reference, options=request_options(payment),
        )
        if intent.status in ("canceled", "succeeded"):
            if intent.status == "succeeded":
                raise ProviderError("Stripe has already taken this payment; refund it instead.",
                                    backend=self.alias)
            return
        self.call(
            "cancel the payment", self.client.v1.payment_intents.cancel,
            payment.provider_reference,
            options=request_options(payment, f"carepay-cancel-{payment.idempotency_key}"),
        )

    def intent_id(self, payment: Payment) -> str:
        """The id of the PaymentIntent that took ``payment``'s money (refunds name it)."""
        return payment.provider_reference

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> RefundResult:
        if not charges_exactly(amount, payment.currency):
            raise ProviderError(
                f"Stripe cannot refund exactly {amount} {payment.currency} (it takes "
                "three-decimal currencies in multiples of 0.010); refund a multiple of "
                "0.010.", backend=self.alias)
        refund = self.call(
            "refund the payment", self.client.v1.refunds.create,
            params={
                "payment_intent": self.intent_id(payment),
                "amount": to_minor_units(amount, payment.currency),
                "metadata": {"carepay_payment": str(payment.public_id)},
            },
            options=request_options(payment, idempotency_key),
        )
        data = plain(refund)
        last = getattr(refund, "last_response", None)
        replayed = str((getattr(last, "headers", None) or {}).get(
            "Idempotent-Replayed", "")).lower() == "true"
        if replayed and data.get("id") and data.get("status") not in ("failed", "canceled"):
            # Stripe replays the first answer to this key, as it was then: the refund
            # may have failed since (its refund.failed found nothing recorded to undo).
            data = plain(self.call("look up the refund", self.client.v1.refunds.retrieve,
                                   str(data["id"]), options=request_options(payment)))
        status = data.get("status")
        return RefundResult(
            status=RefundStatus.FAILED if status in ("failed", "canceled") else
            (RefundStatus.SUCCEEDED if status == "succeeded" else RefundStatus.PENDING),
            amount=from_minor_units(int(data["amount"]), payment.currency),
            currency=str(data.get("currency") or payment.currency).upper(),
            provider_reference=str(data.get("id") or ""),
            failure_message=str(data.get("failure_reason") or ""),
        )

    # -- webhooks -------------------------------------------------------------------------
    @sensitive_variables("secret")
    def verify_webhook(self, request: HttpRequest) -> None:
        """Check the ``Stripe-Signature`` against ``webhook_secret``: one secret, or a
        list (the platform's endpoint and a Connect endpoint posting to this URL)."""
        secret = self.options.get("webhook_secret") or ""
        verify_signature(request.body, request.headers.get("Stripe-Signature"), secret)

    def parse_webhook(self, request: HttpRequest) -> WebhookDelivery:
        return self._parse_event(request.body)

    def parse_stored_webhook(self, payload: Mapping[str, Any]) -> WebhookDelivery:
        """Read a delivery stored when it arrived (verified then) again, exactly as
        :meth:`parse_webhook` read it: task processing and replays."""
        return self._parse_event(json.dumps(payload).encode())

    def _parse_event(self, body: bytes) -> WebhookDelivery:
        event_id, event_type, event = read_event(body)
        try:
            obj, account = event_object(event)
            if self._asks_stripe(event_type, obj):
                # What the event itself carries is checked now (400 when malformed);
                # asking Stripe can fail, so that is left to the service, which stores
                # the delivery first (and asks nothing for a duplicate).
                object_id(obj.get("payment_intent"), "payment_intent")
                if event_type == "charge.refunded":
                    refunded_charge_id(obj)
                return WebhookDelivery(
                    event_id=event_id, event_type=event_type, payload=event,
                    updates=ResolvedOnDemand(
                        lambda: self.updates_from_event(event_id, event_type, obj, account)))
            updates = self.updates_from_event(event_id, event_type, obj, account)
        except InvalidProviderData as exc:
            raise WebhookVerificationError(
                f"Malformed {event_type[:100]} event {event_id}: {exc} Nothing was stored "
                "or credited.") from None
        return WebhookDelivery(event_id=event_id, event_type=event_type, payload=event,
                               updates=updates)

    def _asks_stripe(self, event_type: str, obj: Mapping[str, Any]) -> bool:
        """Whether reading this event means asking Stripe (after it is stored)."""
        return asks_stripe(event_type, obj)

    def updates_from_event(self, event_id: str, event_type: str, obj: Mapping[str, Any],
                           account: str | None = None) -> list[ProviderUpdate]:
        """What an event means for our payments (empty: nothing to apply)."""
        if event_type.startswith("payment_intent."):
            if event_type not in INTENT_EVENTS:
                return []
            update = self.update_from_intent(obj, event_id=event_id, event_type=event_type)
            return [update] if update else []
        if event_type == "charge.refunded":
            # Listed afresh: the payload is a snapshot, and since API 2022-11-15 it
            # does not embed the refunds at all.
            refunds = self._list_refunds(refunded_charge_id(obj), account)
            intent_id = object_id(obj.get("payment_intent"), "payment_intent")
            updates = [u for r in refunds
                       if (u := update_from_refund(self.alias, r, event_id, intent_id))]
            # Failed refunds first: their money is back before a newer refund of the
            # same money is checked against what is refundable.
            return sorted(updates, key=lambda u: u.kind != UpdateKind.REFUND_FAILED)
        # charge.refund.updated is refund.updated's classic name (same refund object).
        if event_type in REFUND_EVENTS:
            refund = self._current_refund(obj, account)
            intent_id = (object_id(refund.get("payment_intent"), "payment_intent")
                         or object_id(obj.get("payment_intent"), "payment_intent"))
            update = update_from_refund(self.alias, refund, event_id, intent_id)
            return [update] if update else []
        return []

    def _current_refund(self, snapshot: Mapping[str, Any], account: str | None
                        ) -> Mapping[str, Any]:
        """The refund as it is now. A failure is final, so a failed snapshot is
        trusted; a pending or succeeded one may be stale (events arrive out of order)
        and is fetched again, so a late "pending" never records a refund that failed."""
        refund_id = text(snapshot, "id")
        if snapshot.get("status") in ("failed", "canceled") or not refund_id:
            return snapshot
        options = {"stripe_account": account} if account else {}
        try:
            return plain(self.call("look up the refund", self.client.v1.refunds.retrieve,
                                     refund_id, params={"expand": ["payment_intent"]},
                                     options=options))
        except ProviderError as exc:
            self._flag_if_unknown("refund", refund_id, exc)
            raise

    def _list_refunds(self, charge_id: str, account: str | None) -> Iterable[Any]:
        options = {"stripe_account": account} if account else {}
        try:
            page = self.call("list the refunds", self.client.v1.refunds.list,
                              params={"charge": charge_id, "limit": 100,
                                      "expand": ["data.payment_intent"]}, options=options)
            return list(self.call("list the refunds",
                                   lambda: list(page.auto_paging_iter())))
        except ProviderError as exc:
            self._flag_if_unknown("charge", charge_id, exc)
            raise

    def _flag_if_unknown(self, what: str, object_id: str, exc: ProviderError) -> None:
        """Raise a :class:`ProviderMismatch` (stored for staff, not retried forever)
        when Stripe does not know the object or refuses to look it up; otherwise
        return, and the caller re-raises ``exc``."""
        # A refused look-up (400, 404: an id Stripe does not have or cannot read) is
        # answered the same on every retry.
        cause = exc.__cause__
        if exc.refused or exc.code == "resource_missing" \
                or getattr(cause, "http_status", None) == 404:
            raise ProviderMismatch(
                f"Stripe does not know {what} {object_id} ({exc}); nothing recorded. "
                "Check the event in Stripe's dashboard.") from exc

    # -- reconciliation --------------------------------------------------------------------
    def reconciliation_records(self, *, since: datetime, until: datetime | None = None,
                               accounts: Iterable[str] = (),
                               on_call: Callable[[], None] = lambda: None
                               ) -> Iterator[ProviderRecord]:
        """The PaymentIntents and refunds created in ``[since, until)`` at Stripe, for
        the platform and each connected account (:mod:`.reconcile`)."""
        return reconcile.list_records(self, since=since, until=until, accounts=accounts,
                                      on_call=on_call)

    def fetch_record(self, kind: str, reference: str, account: str = ""
                     ) -> ProviderRecord | None:
        """One charge or refund by the ledger's reference; ``None`` if Stripe has none."""
        return reconcile.fetch_record(self, kind, reference, account)

    # -- checks ---------------------------------------------------------------------------
    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *stripe_checks.check_options(self)]

    def check_deploy(self) -> list[checks.CheckMessage]:
        return stripe_checks.check_deploy(self)
