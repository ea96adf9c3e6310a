"""Signed Stripe webhook deliveries about a payment, as Stripe sends them.

The shapes follow Stripe's documented Event and PaymentIntent objects (the fields
carepay and a host's receivers read, with Stripe's types); the signature is Stripe's
``Stripe-Signature`` scheme (HMAC-SHA256 of ``"{timestamp}.{payload}"``). Nothing here
talks to Stripe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpResponse
    from django.test import Client

    from ..models import Invoice, Payment

#: The ``api_version`` of built events (carepay reads events of any version).
STRIPE_TEST_API_VERSION = "2025-10-29.clover"

#: The PaymentIntent ``status`` each ``payment_intent.*`` event carries.
INTENT_STATUS_BY_EVENT: dict[str, str] = {
    "payment_intent.created": "requires_payment_method",
    "payment_intent.requires_action": "requires_action",
    "payment_intent.processing": "processing",
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "requires_payment_method",
    "payment_intent.canceled": "canceled",
}

#: ``last_payment_error`` of a built ``payment_intent.payment_failed`` event: a card
#: declined by the issuer, as Stripe reports it.
CARD_DECLINED: dict[str, Any] = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
}


def sign_stripe_event(payload: str | bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send with ``payload`` (the raw
    request body), signed with the endpoint's ``secret`` (``whsec_…``) at
    ``timestamp`` (Unix seconds, default now). carepay refuses signatures more than
    five minutes old or ahead, so pass ``timestamp`` only to test that."""
    body = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    signed_at = int(time.time()) if timestamp is None else int(timestamp)
    signature = hmac.new(secret.encode("utf-8"), f"{signed_at}.{body}".encode(),
                         hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={signature}"


def stripe_event(event_type: str, obj: Mapping[str, Any], *, event_id: str | None = None,
                 account: str | None = None, created: int | None = None) -> dict[str, Any]:
    """A Stripe Event of ``event_type`` around ``obj`` (its ``data.object``).

    ``event_id`` defaults to a new ``evt_…`` (a delivery Stripe retries keeps its id:
    pass the same one to test duplicates); ``account`` is the connected account of a
    Stripe Connect event.
    """
    event: dict[str, Any] = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": STRIPE_TEST_API_VERSION,
        "created": int(time.time()) if created is None else created,
        "data": {"object": dict(obj)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account:
        event["account"] = account
    return event


def payment_intent_object(payment: Payment, *, event_type: str = "payment_intent.succeeded",
                          **changes: Any) -> dict[str, Any]:
    """``payment``'s PaymentIntent as a ``event_type`` event shows it.

    Built from the payment (its ``provider_reference`` is the intent's id, its amount
    and currency in Stripe's minor units, carepay's metadata); ``changes`` replace
    fields, e.g. ``amount_received=4000`` for less money than asked, or
    ``currency="eur"``.
    """
    from ..money import to_minor_units

    if event_type not in INTENT_STATUS_BY_EVENT:
        raise ValueError(f"{event_type!r} is not a PaymentIntent event this helper builds; "
                         f"use one of {', '.join(INTENT_STATUS_BY_EVENT)}, or stripe_event() "
                         "with an object of your own.")
    if not payment.provider_reference:
        raise ValueError(f"Payment {payment.public_id} has no PaymentIntent yet (no "
                         "provider_reference): start it with services.start_payment().")
    status = INTENT_STATUS_BY_EVENT[event_type]
    amount = to_minor_units(payment.amount, payment.currency)
    intent_id = payment.provider_reference
    charged = status in ("succeeded", "processing")
    intent: dict[str, Any] = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount if status == "succeeded" else 0,
        "automatic_payment_methods": {"enabled": True},
        "canceled_at": int(time.time()) if status == "canceled" else None,
        "cancellation_reason": "requested_by_customer" if status == "canceled" else None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{payment.public_id.hex[:24]}",
        "confirmation_method": "automatic",
        "created": int(payment.created_at.timestamp()) if payment.created_at
        else int(time.time()),
        "currency": payment.currency.lower(),
        "customer": None,
        "description": None,
        "last_payment_error": dict(CARD_DECLINED)
        if event_type == "payment_intent.payment_failed" else None,
        "latest_charge": f"ch_{payment.public_id.hex[:24]}" if charged else None,
        "livemode": False,
        "metadata": {"carepay_payment": str(payment.public_id),
                     "carepay_invoice": payment.invoice.number or ""},
        "payment_method": f"pm_{payment.public_id.hex[:24]}" if charged else None,
        "payment_method_types": ["card"],
        "status": status,
    }
    intent.update(changes)
    return intent


def post_stripe_event(client: Client, invoice_or_payment: Invoice | Payment, event_type: str,
                      *, alias: str | None = None, intent: Mapping[str, Any] | None = None,
                      event_id: str | None = None, secret: str | None = None,
                      **changes: Any) -> HttpResponse:
    """Post a signed ``event_type`` delivery about a payment's PaymentIntent to
    carepay's webhook view (``carepay:webhook``), as Stripe would; return the response
    (200 when carepay processed it, or saw it before).

    ``invoice_or_payment``: a Stripe payment, or an invoice (its latest payment through
    ``alias`` that has a PaymentIntent). ``alias`` defaults to the payment's backend,
    or the only Stripe backend configured. The intent is built by
    :func:`payment_intent_object` with ``changes``, or is ``intent`` (e.g. as your
    Stripe test server returns it) with ``changes`` applied. The delivery is signed
    with the backend's ``webhook_secret`` (or ``secret``, to test a wrong one) and
    names the payment's connected account, if it has one (Stripe Connect).
    """
    from django.urls import reverse

    payment = _stripe_payment(invoice_or_payment, alias)
    backend = _stripe_backend(payment.backend)
    if intent is not None:
        obj = {**intent, **changes}
    else:
        obj = payment_intent_object(payment, event_type=event_type, **changes)
    account = (payment.metadata or {}).get("stripe_account") or None
    payload = json.dumps(stripe_event(event_type, obj, event_id=event_id, account=account))
    if secret is None:
        configured = backend.options.get("webhook_secret") or ""
        # A list holds several endpoints' secrets (platform and Connect): any signs.
        secret = configured[0] if isinstance(configured, list | tuple) else str(configured)
    response = client.post(
        reverse("carepay:webhook", args=[payment.backend]), data=payload,
        content_type="application/json", HTTP_STRIPE_SIGNATURE=sign_stripe_event(payload, secret),
    )
    return response  # type: ignore[return-value]  # the test client's response type


def _stripe_backend(alias: str) -> Any:
    from ..backends import get_backend
    from ..backends.stripe import StripeBackend

    backend = get_backend(alias)
    if not isinstance(backend, StripeBackend):
        raise ValueError(f"CAREPAY['BACKENDS'][{alias!r}] is a {type(backend).__name__}, not "
                         "a StripeBackend.")
    return backend


def _stripe_payment(invoice_or_payment: Invoice | Payment, alias: str | None) -> Payment:
    from ..backends import all_backends
    from ..backends.stripe import StripeBackend
    from ..models import Invoice, Payment

    if isinstance(invoice_or_payment, Payment):
        return invoice_or_payment
    invoice = invoice_or_payment
    assert isinstance(invoice, Invoice)
    if alias is None:
        stripe_aliases = [b.alias for b in all_backends() if isinstance(b, StripeBackend)]
        if len(stripe_aliases) != 1:
            raise ValueError(f"Say which Stripe backend (alias=…): {len(stripe_aliases)} are "
                             f"configured ({', '.join(stripe_aliases) or 'none'}).")
        alias = stripe_aliases[0]
    payment = invoice.payments.filter(backend=alias).exclude(provider_reference="") \
        .order_by("-created_at", "-pk").first()
    if payment is None:
        raise ValueError(f"Invoice {invoice.number or invoice.public_id} has no {alias!r} "
                         "payment with a PaymentIntent: start one with "
                         f"services.start_payment(invoice, backend={alias!r}) first.")
    return payment
