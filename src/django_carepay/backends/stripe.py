"""Card payments through Stripe: PaymentIntents, the Payment Element, verified webhooks.

Configure::

    "card": {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend",
        "OPTIONS": {
            "secret_key": env("STRIPE_SECRET_KEY"),
            "publishable_key": env("STRIPE_PUBLISHABLE_KEY"),
            "webhook_secret": env("STRIPE_WEBHOOK_SECRET"),
        },
    }

and point a Stripe webhook endpoint at ``/<carepay prefix>/webhooks/card/``.

Each backend instance has its own :class:`stripe.StripeClient` (never the global
``stripe.api_key``). Every mutating call carries an idempotency key derived from our
ids, so a retried request never creates a second intent or refund. Amounts and
currencies come from the invoice on the server, in minor units by
:func:`~django_carepay.money.to_minor_units`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import checks
from django.views.decorators.debug import sensitive_variables

from ..exceptions import (
    InvalidAmount,
    InvalidProviderData,
    MissingDependency,
    ProviderError,
    ProviderMismatch,
    WebhookVerificationError,
)
from ..money import from_minor_units, to_minor_units
from ..types import (
    ActionKind,
    PaymentAction,
    ProviderUpdate,
    RefundResult,
    RefundStatus,
    UpdateKind,
    WebhookDelivery,
)
from .base import BasePaymentBackend
from .provider_data import MAX_EVENT_ID_LENGTH, load_webhook_json, minor_units

try:
    import stripe
except ImportError:  # pragma: no cover - exercised only without the extra
    stripe = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Invoice, Payment

logger = logging.getLogger("django_carepay.stripe")

#: Stripe's own default: deliveries signed more than 5 minutes ago are refused.
WEBHOOK_TOLERANCE = 300
DEFAULT_JS_URL = "https://js.stripe.com/v3/"
#: Provider calls are made under the invoice's row lock, so they are bounded (seconds):
#: the SDK's own default read timeout is 80 s. See docs/architecture.md.
DEFAULT_CONNECT_TIMEOUT = 3
DEFAULT_TIMEOUT = 10
#: How long (seconds) a request waits on PostgreSQL for an invoice another request
#: holds while it talks to Stripe, before it gives up with InvoiceBusy.
DEFAULT_LOCK_TIMEOUT = 10
#: What the payer is told when Stripe cannot be reached (the detail is logged).
UNREACHABLE_MESSAGE = "We could not reach the card processor; try again in a minute."
#: Per-invoice options the adapter may return for this backend.
INTENT_OPTIONS = frozenset({"application_fee_amount", "transfer_data", "on_behalf_of",
                            "statement_descriptor_suffix", "receipt_email", "description"})
REQUEST_OPTIONS = frozenset({"stripe_account"})

# PaymentIntent statuses in which the payer can still pay on the same intent.
_PAYABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}


#: The event each PaymentIntent status is reported by (for the statuses that move money).
_EVENT_STATUS = {"succeeded": "payment_intent.succeeded",
                 "processing": "payment_intent.processing",
                 "canceled": "payment_intent.canceled"}

_REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed",
                            # refund.updated's classic name, with the same refund object
                            "charge.refund.updated"})


def _refunded_charge_id(charge: Mapping[str, Any]) -> str:
    """The id of the charge a ``charge.refunded`` event is about."""
    charge_id = _text(charge, "id")
    if not charge_id:
        raise InvalidProviderData(
            "charge.refunded names no charge: the charge id must be a non-empty string.")
    return charge_id


class _ResolvedOnDemand:
    """Updates found by asking Stripe, resolved when the service iterates them."""

    def __init__(self, resolve: Callable[[], list[ProviderUpdate]]) -> None:
        self._resolve = resolve

    def __iter__(self) -> Iterator[ProviderUpdate]:
        return iter(self._resolve())


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object (from the SDK or a webhook body) as a plain dict."""
    if obj is None:
        return {}
    if hasattr(type(obj), "to_dict"):
        return dict(obj.to_dict())
    return dict(obj)


def _id(value: Any, field: str = "id") -> str:
    """An id from a field Stripe returns either as an id or as an expanded object."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) or hasattr(type(value), "to_dict"):
        return _text(_plain(value), "id", f"{field}.id")
    raise InvalidProviderData(f"{field} must be an id or an object, got {value!r:.60}.")


def _text(obj: Mapping[str, Any], key: str, field: str = "") -> str:
    """``obj[key]``, which Stripe sends as a string or null ("" when absent)."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidProviderData(f"{field or key} must be a string, got {value!r:.60}.")
    return value


def _mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``obj[key]``, which Stripe sends as an object or null ({} when absent)."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidProviderData(f"{key} must be an object, got {value!r:.60}.")
    return value


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
    has_webhooks = True
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
        if stripe is None:
            raise MissingDependency(
                "The Stripe backend needs the stripe package: "
                "pip install 'django-carepay[stripe]'."
            )
        kwargs: dict[str, Any] = {
            "max_network_retries": int(self.options.get("max_network_retries", 2)),
            # (connect, read): never the SDK's 80 s while we hold the invoice lock.
            "http_client": stripe.RequestsClient(timeout=(
                self.options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT),
                self.options.get("timeout", DEFAULT_TIMEOUT),
            )),
        }
        if self.options.get("api_base"):
            kwargs["base_addresses"] = {"api": self.options["api_base"]}
        if self.options.get("api_version"):
            kwargs["stripe_version"] = self.options["api_version"]
        return stripe.StripeClient(self.options.get("secret_key") or "", **kwargs)

    @property
    def publishable_key(self) -> str:
        return str(self.options.get("publishable_key") or "")

    @property
    def js_url(self) -> str:
        return str(self.options.get("js_url") or DEFAULT_JS_URL)

    def _request_options(self, payment: Payment, idempotency_key: str = "", *,
                         account: str = "") -> dict[str, Any]:
        options: dict[str, Any] = {}
        account = account or (payment.metadata or {}).get("stripe_account", "")
        if account:
            options["stripe_account"] = account
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        return options

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except stripe.APIConnectionError as exc:
            # Unreachable or too slow: the payer gets a plain message, the logs the
            # detail (the SDK's text names Stripe's host and the network error).
            logger.warning("Could not reach Stripe to %s: %s", what, exc)
            raise ProviderError(UNREACHABLE_MESSAGE, code="unreachable",
                                backend=self.alias) from exc
        except stripe.StripeError as exc:
            message = getattr(exc, "user_message", None) or str(exc)
            code = getattr(exc, "code", None) or ""
            logger.warning("Stripe refused to %s: %s (%s)", what, message, code)
            # Stripe stores 400/402/404 answers under the idempotency key and replays
            # them; 409 (a concurrent request), 429 and 5xx are not refusals.
            refused = getattr(exc, "http_status", None) in (400, 402, 404)
            raise ProviderError(f"Stripe could not {what}: {message}", code=code,
                                backend=self.alias, refused=refused) from exc

    # -- paying ------------------------------------------------------------------------
    def is_available(self, invoice: Invoice, country: str | None = None) -> bool:
        """Also refuses amounts Stripe cannot charge exactly (three-decimal currencies
        are charged in multiples of 0.010): never charge more, or less, than is due."""
        return super().is_available(invoice, country) and self._charges_exactly(
            invoice.amount_due, invoice.currency)

    @staticmethod
    def _charges_exactly(amount: Decimal, currency: str) -> bool:
        if amount <= 0:
            return True  # nothing to charge; availability is decided elsewhere
        try:
            return from_minor_units(to_minor_units(amount, currency), currency) == amount
        except InvalidAmount:  # more digits than Stripe takes (e.g. 12.345 LYD)
            return False

    def start(self, payment: Payment, request: HttpRequest | None) -> PaymentAction:
        """Create the payment's PaymentIntent (or reuse it), for the Payment Element."""
        from ..adapter import get_adapter

        invoice = payment.invoice
        if not self._charges_exactly(payment.amount, payment.currency):
            raise ProviderError(
                f"Stripe cannot charge exactly {payment.amount} {payment.currency} "
                "(it takes three-decimal currencies in multiples of 0.010); take this "
                "payment another way.", backend=self.alias)
        amount = to_minor_units(payment.amount, payment.currency)
        account = (payment.metadata or {}).get("stripe_account", "")
        intent = None
        if payment.provider_reference:
            intent = self._call(
                "look up the payment", self.client.v1.payment_intents.retrieve,
                payment.provider_reference, options=self._request_options(payment),
            )
            if intent.status not in _PAYABLE or intent.amount != amount:
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
            intent = self._call(
                "start the payment", self.client.v1.payment_intents.create, params=params,
                options=self._request_options(
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
        intent = self._call(
            "look up the payment", self.client.v1.payment_intents.retrieve,
            payment.provider_reference,
            params={"expand": ["latest_charge"]},
            options=self._request_options(payment),
        )
        return self.update_from_intent(intent)

    def update_from_intent(self, intent: Any, *, event_id: str = "",
                           event_type: str = "") -> ProviderUpdate | None:
        """Normalize a PaymentIntent (from the API or an event) into an update."""
        intent = _plain(intent)
        status = _text(intent, "status")
        intent_id = _text(intent, "id")
        if not intent_id:
            raise InvalidProviderData(
                "A PaymentIntent without an id: nothing is matched by metadata alone.")
        if event_type and status in _EVENT_STATUS and \
                _EVENT_STATUS[status] != event_type:
            # An event's object is the intent as it was when the event happened, so a
            # payment_failed event cannot show a succeeded intent: never credit it.
            raise InvalidProviderData(
                f"A {event_type[:60]} event whose PaymentIntent is {status} contradicts "
                "itself.")
        common: dict[str, Any] = {
            "backend": self.alias,
            "provider_reference": intent_id,
            "payment_public_id": _text(_mapping(intent, "metadata"), "carepay_payment",
                                       "metadata.carepay_payment"),
            "currency": _text(intent, "currency").upper(),
            "event_id": event_id,
        }
        if status == "succeeded":
            charge = intent.get("latest_charge")
            if charge is not None and not isinstance(charge, str | Mapping):
                raise InvalidProviderData(
                    f"latest_charge must be an id or an object, got {charge!r:.60}.")
            # Stripe reports amount_received; servers that do not (localstripe) are
            # read from the charge's captured amount. Only an int is read as money.
            field, received = "amount_received", intent.get("amount_received")
            if received is None and "amount_received" in intent:
                raise InvalidProviderData(
                    "amount_received must be an integer on a succeeded PaymentIntent, "
                    "got null.")
            if received is None and isinstance(charge, Mapping):
                field, received = "latest_charge.amount_captured", charge.get("amount_captured")
                if received is None or (type(received) is int and received == 0):
                    field, received = "latest_charge.amount", charge.get("amount")
            if received is None:
                field, received = "amount", intent.get("amount")
            return ProviderUpdate(
                kind=UpdateKind.SUCCEEDED,
                amount=None if received is None else
                minor_units(received, common["currency"], field=field),
                # Keyed by the PaymentIntent, not its charge: an intent takes money at
                # most once, and webhook payloads rendered for older API versions
                # carry no latest_charge, so a charge id would differ between the
                # webhook and the return page and credit the same money twice.
                transaction_reference=common["provider_reference"],
                **common,
            )
        if status == "processing":
            return ProviderUpdate(kind=UpdateKind.PROCESSING, **common)
        if status == "canceled":
            return ProviderUpdate(kind=UpdateKind.CANCELLED, **common)
        error = _mapping(intent, "last_payment_error")
        if status == "requires_payment_method" and (
                error or event_type == "payment_intent.payment_failed"):
            return ProviderUpdate(
                kind=UpdateKind.FAILED,
                failure_code=str(error.get("decline_code") or error.get("code") or ""),
                failure_message=str(error.get("message") or "The payment failed."),
                **common,
            )
        return None  # still waiting for the payer

    def cancel(self, payment: Payment) -> None:
        """Cancel the PaymentIntent at Stripe, unless it already finished."""
        if not payment.provider_reference:
            return
        intent = self._call(
            "look up the payment", self.client.v1.payment_intents.retrieve,
            payment.provider_reference, options=self._request_options(payment),
        )
        if intent.status in ("canceled", "succeeded"):
            if intent.status == "succeeded":
                raise ProviderError("Stripe has already taken this payment; refund it instead.",
                                    backend=self.alias)
            return
        self._call(
            "cancel the payment", self.client.v1.payment_intents.cancel,
            payment.provider_reference,
            options=self._request_options(payment, f"carepay-cancel-{payment.idempotency_key}"),
        )

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> RefundResult:
        if not self._charges_exactly(amount, payment.currency):
            raise ProviderError(
                f"Stripe cannot refund exactly {amount} {payment.currency} (it takes "
                "three-decimal currencies in multiples of 0.010); refund a multiple of "
                "0.010.", backend=self.alias)
        refund = self._call(
            "refund the payment", self.client.v1.refunds.create,
            params={
                "payment_intent": payment.provider_reference,
                "amount": to_minor_units(amount, payment.currency),
                "metadata": {"carepay_payment": str(payment.public_id)},
            },
            options=self._request_options(payment, idempotency_key),
        )
        data = _plain(refund)
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
        secret = self.options.get("webhook_secret") or ""
        header = request.headers.get("Stripe-Signature")
        if not header:
            raise WebhookVerificationError("Missing Stripe-Signature header.")
        try:
            stripe.WebhookSignature.verify_header(
                request.body.decode("utf-8"), header, secret, tolerance=WEBHOOK_TOLERANCE
            )
        except UnicodeDecodeError:
            raise WebhookVerificationError("Body is not UTF-8.") from None
        except stripe.SignatureVerificationError as exc:
            raise WebhookVerificationError(f"Stripe signature check failed: {exc}") from None
        # stripe's check only refuses signatures older than the tolerance; one dated
        # further ahead than that is refused too (a replayable delivery minted ahead).
        timestamp = int(next(item.split("=", 1)[1] for item in header.split(",")
                             if item.split("=", 1)[0] == "t"))
        ahead = timestamp - int(time.time())
        if ahead > WEBHOOK_TOLERANCE:
            raise WebhookVerificationError(
                f"Stripe signature check failed: Timestamp outside the tolerance zone "
                f"({timestamp} is {ahead} s ahead of this server's clock; at most "
                f"{WEBHOOK_TOLERANCE} s is allowed either way).")

    def parse_webhook(self, request: HttpRequest) -> WebhookDelivery:
        event = load_webhook_json(request.body)
        if not isinstance(event, dict):
            raise WebhookVerificationError("Body is not a Stripe event (not an object).")
        event_id, event_type = event.get("id"), event.get("type")
        if not isinstance(event_id, str) or not event_id:
            raise WebhookVerificationError(
                f"Body is not a Stripe event: the event id must be a non-empty string, "
                f"got {event_id!r:.60}.")
        if len(event_id) > MAX_EVENT_ID_LENGTH:
            raise WebhookVerificationError(
                f"The event id is {len(event_id)} characters long; at most "
                f"{MAX_EVENT_ID_LENGTH} are stored (Stripe's are about 30).")
        if not isinstance(event_type, str) or not event_type:
            raise WebhookVerificationError(
                f"Body is not a Stripe event: the event type must be a non-empty string, "
                f"got {event_type!r:.60}.")
        try:
            data = event.get("data", {})
            if not isinstance(data, dict):
                raise InvalidProviderData(f"data must be an object, got {data!r:.60}.")
            obj = data.get("object", {})
            if not isinstance(obj, dict):
                raise InvalidProviderData(f"data.object must be an object, got {obj!r:.60}.")
            account = _text(event, "account") or None
            if self._asks_stripe(event_type, obj):
                # What the event itself carries is checked now (400 when malformed);
                # asking Stripe can fail, so that is left to the service, which stores
                # the delivery first (and asks nothing for a duplicate).
                _id(obj.get("payment_intent"), "payment_intent")
                if event_type == "charge.refunded":
                    _refunded_charge_id(obj)
                return WebhookDelivery(
                    event_id=event_id, event_type=event_type, payload=event,
                    updates=_ResolvedOnDemand(
                        lambda: self.updates_from_event(event_id, event_type, obj, account)))
            updates = self.updates_from_event(event_id, event_type, obj, account)
        except InvalidProviderData as exc:
            raise WebhookVerificationError(
                f"Malformed {event_type[:100]} event {event_id}: {exc} Nothing was stored "
                "or credited.") from None
        return WebhookDelivery(event_id=event_id, event_type=event_type, payload=event,
                               updates=updates)

    @staticmethod
    def _asks_stripe(event_type: str, obj: Mapping[str, Any]) -> bool:
        """Whether reading this event means asking Stripe (its refunds, listed or
        fetched afresh); a failed refund's snapshot is final and trusted as it is."""
        if event_type == "charge.refunded":
            return True
        return event_type in _REFUND_EVENTS and bool(obj.get("id")) \
            and obj.get("status") not in ("failed", "canceled")

    def updates_from_event(self, event_id: str, event_type: str, obj: Mapping[str, Any],
                           account: str | None = None) -> list[ProviderUpdate]:
        """What an event means for our payments (empty: nothing to apply)."""
        if event_type.startswith("payment_intent."):
            if event_type not in {"payment_intent.succeeded", "payment_intent.payment_failed",
                                  "payment_intent.processing", "payment_intent.canceled"}:
                return []
            update = self.update_from_intent(obj, event_id=event_id, event_type=event_type)
            return [update] if update else []
        if event_type == "charge.refunded":
            # Listed afresh: the payload is a snapshot, and since API 2022-11-15 it
            # does not embed the refunds at all.
            refunds = self._list_refunds(_refunded_charge_id(obj), account)
            intent_id = _id(obj.get("payment_intent"), "payment_intent")
            updates = [u for r in refunds
                       if (u := self._update_from_refund(r, event_id, intent_id))]
            # Failed refunds first: their money is back before a newer refund of the
            # same money is checked against what is refundable.
            return sorted(updates, key=lambda u: u.kind != UpdateKind.REFUND_FAILED)
        # charge.refund.updated is refund.updated's classic name (same refund object).
        if event_type in _REFUND_EVENTS:
            refund = self._current_refund(obj, account)
            intent_id = (_id(refund.get("payment_intent"), "payment_intent")
                         or _id(obj.get("payment_intent"), "payment_intent"))
            update = self._update_from_refund(refund, event_id, intent_id)
            return [update] if update else []
        return []

    def _current_refund(self, snapshot: Mapping[str, Any], account: str | None
                        ) -> Mapping[str, Any]:
        """The refund as it is now. A failure is final, so a failed snapshot is
        trusted; a pending or succeeded one may be stale (events arrive out of order)
        and is fetched again, so a late "pending" never records a refund that failed."""
        refund_id = _text(snapshot, "id")
        if snapshot.get("status") in ("failed", "canceled") or not refund_id:
            return snapshot
        options = {"stripe_account": account} if account else {}
        try:
            return _plain(self._call("look up the refund", self.client.v1.refunds.retrieve,
                                     refund_id, options=options))
        except ProviderError as exc:
            self._flag_if_unknown("refund", refund_id, exc)
            raise

    def _list_refunds(self, charge_id: str, account: str | None) -> Iterable[Any]:
        options = {"stripe_account": account} if account else {}
        try:
            page = self._call("list the refunds", self.client.v1.refunds.list,
                              params={"charge": charge_id, "limit": 100}, options=options)
            return list(self._call("list the refunds",
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

    def _update_from_refund(self, refund: Any, event_id: str,
                            intent_id: str) -> ProviderUpdate | None:
        refund = _plain(refund)
        status = refund.get("status")
        currency = _text(refund, "currency").upper()
        amount = refund.get("amount")
        _mapping(refund, "metadata")  # Stripe always sends an object
        common: dict[str, Any] = {
            "backend": self.alias,
            "provider_reference": intent_id or _id(refund.get("payment_intent"),
                                                   "payment_intent"),
            "currency": currency,
            "transaction_reference": _text(refund, "id"),
            "amount": None if amount is None else minor_units(amount, currency),
            "event_id": event_id,
        }
        if status in ("succeeded", "pending", "requires_action"):
            return ProviderUpdate(kind=UpdateKind.REFUNDED, **common)
        if status in ("failed", "canceled"):
            return ProviderUpdate(kind=UpdateKind.REFUND_FAILED,
                                  failure_message=str(refund.get("failure_reason") or ""),
                                  **common)
        return None

    # -- checks ---------------------------------------------------------------------------
    def _key_mode(self, key: str) -> str:
        for mode in ("test", "live"):
            if key.startswith((f"sk_{mode}_", f"rk_{mode}_", f"pk_{mode}_")):
                return mode
        return ""

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        messages = super().check(**kwargs)
        where = f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS']"
        if stripe is None:
            messages.append(checks.Error(
                "The Stripe backend needs the stripe package.",
                hint="pip install 'django-carepay[stripe]'", id="carepay.E010",
            ))
        for name, check_id in (("secret_key", "carepay.E011"),
                               ("publishable_key", "carepay.E012"),
                               ("webhook_secret", "carepay.E013")):
            if not self.options.get(name):
                messages.append(checks.Error(
                    f"{where}[{name!r}] is missing or empty.",
                    hint="Set it from the environment; find it in Stripe's dashboard "
                         "(Developers → API keys / Webhooks).",
                    id=check_id,
                ))
        secret_mode = self._key_mode(str(self.options.get("secret_key") or ""))
        public_mode = self._key_mode(self.publishable_key)
        if secret_mode and public_mode and secret_mode != public_mode:
            messages.append(checks.Error(
                f"{where}: the secret key is a {secret_mode} key but the publishable key is "
                f"a {public_mode} key.", id="carepay.E014",
            ))
        if secret_mode == "live" and settings.DEBUG:
            messages.append(checks.Warning(
                f"{where}['secret_key'] is a live key while DEBUG is True.",
                hint="Use test keys (sk_test_…) in development.", id="carepay.W011",
            ))
        return messages

    def check_deploy(self) -> list[checks.CheckMessage]:
        if self._key_mode(str(self.options.get("secret_key") or "")) == "test" \
                and not settings.DEBUG:
            return [checks.Warning(
                f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS']['secret_key'] is a test key "
                "while DEBUG is False: no real money will be taken.",
                hint="Use live keys (sk_live_…) in production.", id="carepay.W010",
            )]
        return []
