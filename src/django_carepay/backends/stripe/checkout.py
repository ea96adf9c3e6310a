"""Stripe Checkout: the payer pays on Stripe's hosted page, then comes back to us.

Configure::

    "checkout": {
        "BACKEND": "django_carepay.backends.stripe.StripeCheckoutBackend",
        "OPTIONS": {
            "secret_key": env("STRIPE_SECRET_KEY"),
            "webhook_secret": [env("STRIPE_WEBHOOK_SECRET"),
                               env("STRIPE_CONNECT_WEBHOOK_SECRET")],  # or one
        },
    }

and point a Stripe webhook endpoint at ``/<carepay prefix>/webhooks/checkout/`` with
the events ``checkout.session.completed``, ``checkout.session.async_payment_succeeded``,
``checkout.session.async_payment_failed``, ``checkout.session.expired``,
``payment_intent.succeeded``, ``payment_intent.processing``, ``charge.refunded`` and
``refund.updated`` (docs/checkout.md).

The session's events and its PaymentIntent's events settle the same payment once: a
paid session is keyed in the ledger by its PaymentIntent (:mod:`.sessions`). Nothing
is credited on the redirect back: the result page asks Stripe for the session.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core import checks
from django.urls import reverse

from ...exceptions import ProviderError
from ...money import to_minor_units
from ...types import ActionKind, PaymentAction, ProviderUpdate
from .amounts import charges_exactly
from .backend import StripeBackend
from .client import request_options
from .intents import INTENT_OPTIONS, REQUEST_OPTIONS
from .objects import mapping, object_id, plain, text
from .sessions import (
    MAX_EXPIRES_AFTER,
    MIN_EXPIRES_AFTER,
    SESSION_EVENTS,
    SESSION_INTENT_EVENTS,
    line_items,
    session_params,
    session_total,
    update_from_session,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ...models import Payment


class StripeCheckoutBackend(StripeBackend):
    """Stripe Checkout: a hosted Checkout Session (``PaymentAction`` kind redirect).

    Options: ``secret_key`` and ``webhook_secret`` (required; the secret may be a list,
    for a platform and a Connect endpoint); ``expires_after`` (seconds an unpaid
    session stays open, 1800-86400, plus up to 10 minutes: :func:`.session_expiry`;
    Stripe's default is 24 hours),
    ``payment_method_types`` (default: those enabled in Stripe's dashboard), and the
    Stripe backend's ``api_base``, ``api_version``, ``max_network_retries``,
    ``connect_timeout``, ``timeout``, ``lock_timeout``; plus ``label``, ``currencies``
    and ``countries``. ``Payment.provider_reference`` is the session's id (``cs_…``).
    """

    required_options = ("secret_key", "webhook_secret")
    option_names = StripeBackend.option_names - {"js_url"} | {"expires_after"}

    # -- paying ------------------------------------------------------------------------
    def start(self, payment: Payment, request: HttpRequest | None) -> PaymentAction:
        """Create the payment's Checkout Session (or reuse its open one) and send the
        payer to Stripe's page; success and cancel both come back to our result page,
        which asks Stripe (never the query string) what happened."""
        from ...adapter import get_adapter

        invoice = payment.invoice
        if not charges_exactly(payment.amount, payment.currency):
            raise ProviderError(
                f"Stripe cannot charge exactly {payment.amount} {payment.currency}; take "
                "this payment another way.", backend=self.alias)
        amount = to_minor_units(payment.amount, payment.currency)
        if payment.provider_reference:
            session = plain(self._session(payment))
            if text(session, "status") == "open" and session_total(session) == (
                    amount, payment.currency):
                return self._redirect(session, payment)
            raise ProviderError(
                f"This payment's Checkout Session is {text(session, 'status')}; start a "
                "new payment.", backend=self.alias)
        extra = dict(get_adapter().backend_options(invoice, self.alias))
        unknown = set(extra) - INTENT_OPTIONS - REQUEST_OPTIONS
        if unknown:
            raise ProviderError(
                f"The adapter returned unknown Stripe option(s) {sorted(unknown)}; "
                f"allowed: {sorted(INTENT_OPTIONS | REQUEST_OPTIONS)}.", backend=self.alias)
        account = str(extra.get("stripe_account") or "")
        result = get_adapter().build_absolute_uri(
            reverse("carepay:payment_return", args=[payment.public_id]), request)
        params = session_params(
            payment, items=line_items(payment, invoice.lines.all(),
                                      f"Invoice {invoice.number}" if invoice.number
                                      else "Invoice"),
            success_url=result, cancel_url=result,
            intent_options={k: v for k, v in extra.items() if k in INTENT_OPTIONS},
            options=self.options)
        key = f"carepay-cs-{payment.idempotency_key}"
        if "expires_at" in params:
            # The one parameter that depends on the time is in the key too, so a key
            # is never sent again with other parameters (sessions.session_expiry).
            key = f"{key}-{params['expires_at']}"
        options = request_options(payment, key, account=account)
        session = plain(self.call("start the payment", self.client.v1.checkout.sessions.create,
                                  params=params, options=options))
        if session_total(session) != (amount, payment.currency):
            # Never send a payer to pay another amount than we computed (e.g. tax
            # added by Stripe's settings): close the session and refuse.
            self.call("close the payment", self.client.v1.checkout.sessions.expire,
                      text(session, "id"), options=request_options(
                          payment, f"carepay-expire-{payment.idempotency_key}",
                          account=account))
            total, currency = session_total(session)
            raise ProviderError(
                f"Stripe's Checkout Session totals {total} {currency} in minor units, not "
                f"{amount} {payment.currency}; it was closed. Check the Checkout settings "
                "(automatic tax, shipping) in Stripe's dashboard.", backend=self.alias)
        return self._redirect(session, payment, account=account)

    def _redirect(self, session: Mapping[str, Any], payment: Payment, *,
                  account: str = "") -> PaymentAction:
        url = text(session, "url")
        if not url:
            raise ProviderError("Stripe did not give the Checkout page's address; try again.",
                                backend=self.alias)
        account = account or (payment.metadata or {}).get("stripe_account", "")
        return PaymentAction(
            kind=ActionKind.REDIRECT, url=url, provider_reference=text(session, "id"),
            payment_metadata={"stripe_account": account} if account else {})

    def _session(self, payment: Payment, *, expand: bool = False) -> Any:
        return self.call(
            "look up the payment", self.client.v1.checkout.sessions.retrieve,
            payment.provider_reference,
            params={"expand": ["payment_intent"]} if expand else None,
            options=request_options(payment))

    def sync(self, payment: Payment) -> ProviderUpdate | None:
        """Ask Stripe for the session (with its PaymentIntent): what the result page
        shows is what Stripe says, never what the redirect's URL says."""
        if not payment.provider_reference:
            return None
        return update_from_session(self.alias, self._session(payment, expand=True))

    def cancel(self, payment: Payment) -> None:
        """Expire the session at Stripe, unless it already finished; refuse while it
        has taken, or may still take, the payer's money."""
        if not payment.provider_reference:
            return
        session = plain(self._session(payment, expand=True))
        status, paid = text(session, "status"), text(session, "payment_status")
        if status == "expired":
            return
        intent = session.get("payment_intent")
        if status == "complete" and paid == "unpaid" and isinstance(intent, Mapping) \
                and intent.get("status") in ("requires_payment_method", "canceled"):
            # Its delayed payment (a SEPA or Bacs debit) failed. Stripe keeps such a
            # session complete and unpaid for good: it can be neither paid nor expired
            # again, and takes no more money, so it is as closed as it will ever be.
            # (While the debit is under way the intent is processing: refused below.)
            return
        if status == "complete":
            raise ProviderError(
                "Stripe has already taken this payment; refund it instead." if paid == "paid"
                else "Stripe is still processing this payment; wait for its result.",
                backend=self.alias)
        self.call("cancel the payment", self.client.v1.checkout.sessions.expire,
                  payment.provider_reference,
                  options=request_options(payment, f"carepay-expire-{payment.idempotency_key}"))

    def intent_id(self, payment: Payment) -> str:
        """The session's PaymentIntent (asked of Stripe: refunds name the intent)."""
        intent_id = object_id(plain(self._session(payment)).get("payment_intent"),
                              "payment_intent")
        if not intent_id:
            raise ProviderError("This Checkout Session took no payment; there is nothing to "
                                "refund.", backend=self.alias)
        return intent_id

    # -- checks -----------------------------------------------------------------------------
    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        messages = super().check(**kwargs)
        value = self.options.get("expires_after")
        if value is not None and not (
                type(value) is int and MIN_EXPIRES_AFTER <= value <= MAX_EXPIRES_AFTER):
            messages.append(checks.Error(
                f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS']['expires_after'] is "
                f"{value!r}; Stripe keeps a Checkout Session open for {MIN_EXPIRES_AFTER} "
                f"to {MAX_EXPIRES_AFTER} seconds.",
                hint="Give a whole number of seconds, e.g. 3600 (an hour), or leave it out "
                     "(24 hours).", id="carepay.E004"))
        return messages

    # -- webhooks -------------------------------------------------------------------------
    def updates_from_event(self, event_id: str, event_type: str, obj: Mapping[str, Any],
                           account: str | None = None) -> list[ProviderUpdate]:
        """Session events; the session's PaymentIntent's money events (matched by our
        id in its metadata: the payment's own reference is the session's); refunds
        as the Stripe backend reads them (matched by the charge they return)."""
        if event_type.startswith("checkout.session."):
            if event_type not in SESSION_EVENTS:
                return []
            update = update_from_session(self.alias, obj, event_id=event_id,
                                         event_type=event_type)
            return [update] if update else []
        if event_type.startswith("payment_intent."):
            public_id = text(mapping(obj, "metadata"), "carepay_payment")
            if event_type not in SESSION_INTENT_EVENTS or not self._has_payment(public_id):
                return []  # not one of ours (another backend's, on the same account)
            # Believed only through the session Stripe says the intent is paying (its
            # exact id, on the event's account): the metadata alone, which whoever
            # makes an intent can write (a connected account, on its own balance),
            # never credits a payment.
            session = self._session_of_intent(text(obj, "id"), account)
            update = update_from_session(self.alias, session) if session else None
            return [dataclasses.replace(update, event_id=event_id)] if update else []
        return super().updates_from_event(event_id, event_type, obj, account)

    def _asks_stripe(self, event_type: str, obj: Mapping[str, Any]) -> bool:
        return event_type in SESSION_INTENT_EVENTS or super()._asks_stripe(event_type, obj)

    def _has_payment(self, public_id: str) -> bool:
        """Whether ``public_id`` names a payment of this backend (one indexed query,
        before Stripe is asked: the card backend's intents on the same account reach
        this endpoint too)."""
        from ...models import Payment

        try:
            return Payment.objects.filter(public_id=uuid.UUID(public_id),
                                          backend=self.alias).exists()
        except ValueError:
            return False

    def _session_of_intent(self, intent_id: str, account: str | None) -> Any:
        """The Checkout Session paid by ``intent_id`` (its intent expanded), or None."""
        if not intent_id:
            return None
        page = self.call("look up the payment", self.client.v1.checkout.sessions.list,
                         params={"payment_intent": intent_id, "limit": 1,
                                 "expand": ["data.payment_intent"]},
                         options={"stripe_account": account} if account else {})
        sessions = list(plain(page).get("data") or [])
        return sessions[0] if sessions else None
