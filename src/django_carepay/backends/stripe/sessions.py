"""Checkout Sessions: what is sent to create one, and what one means for a payment.

Pure, like :mod:`.intents`: :func:`session_params` builds the request from our own
records (amounts from the payment, never the browser) and :func:`update_from_session`
normalizes a session (from the API or an event) into a :class:`ProviderUpdate`,
refusing a malformed or self-contradicting one.

One payment, one ledger charge: a paid session is keyed in the ledger by its
PaymentIntent's id, exactly as that intent's own ``payment_intent.succeeded`` is, so
the session's events and the intent's settle the same payment once, in any order.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...exceptions import InvalidProviderData
from ...money import to_minor_units
from ...types import ProviderUpdate, UpdateKind
from ..provider_data import minor_units
from .objects import mapping, object_id, plain, text

if TYPE_CHECKING:
    from ...models import InvoiceLine, Payment

#: The Checkout events that say something about a payment.
SESSION_EVENTS = frozenset({
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired",
})

#: PaymentIntent events a Checkout payment reads: the money (and a delayed method's
#: processing). A declined card is not the end of a session (the payer tries another
#: card on Stripe's page), so ``payment_failed`` and ``canceled`` are left to the
#: session's own ``async_payment_failed`` and ``expired``.
SESSION_INTENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.processing"})

#: Stripe's limits on ``expires_at``: 30 minutes to 24 hours after creation.
MIN_EXPIRES_AFTER, MAX_EXPIRES_AFTER = 30 * 60, 24 * 3600

#: ``expires_at`` is counted from the start of the clock's current step of this many
#: seconds, the same for every retry within it (:func:`session_expiry`).
EXPIRY_STEP = 10 * 60

#: Room kept inside Stripe's limits for the request's trip and for clocks that differ.
EXPIRY_MARGIN = 60

#: The ``payment_status`` each event's session must show.
_EVENT_PAYMENT_STATUS = {
    "checkout.session.async_payment_succeeded": ("paid",),
    "checkout.session.async_payment_failed": ("unpaid",),
    "checkout.session.completed": ("paid", "unpaid", "no_payment_required"),
}


def line_items(payment: Payment, lines: Iterable[InvoiceLine], label: str
               ) -> list[dict[str, Any]]:
    """What the payer sees on Stripe's page, adding up to exactly ``payment.amount``.

    The invoice's lines, one item each, when they can be shown exactly (the payment
    is for the invoice's whole total, each line's amount with tax divides by its whole
    quantity in minor units, and they add up to the amount); otherwise one item,
    ``label``, for the amount. Either way Stripe's ``amount_total`` is our amount.
    """
    currency = payment.currency.lower()
    total = to_minor_units(payment.amount, payment.currency)
    items: list[dict[str, Any]] = []
    for line in lines:
        quantity = line.quantity
        gross = to_minor_units(line.line_total + line.tax_amount, payment.currency)
        if quantity != quantity.to_integral_value() or quantity < 1 \
                or gross % int(quantity):
            items = []
            break
        items.append({
            "quantity": int(quantity),
            "price_data": {"currency": currency, "unit_amount": gross // int(quantity),
                           "product_data": {"name": line.description[:250]}},
        })
    if not items or sum(i["quantity"] * i["price_data"]["unit_amount"] for i in items) != total:
        items = [{"quantity": 1, "price_data": {
            "currency": currency, "unit_amount": total,
            "product_data": {"name": label[:250]}}}]
    return items


def session_params(payment: Payment, *, items: list[dict[str, Any]], success_url: str,
                   cancel_url: str, intent_options: Mapping[str, Any],
                   options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``POST /v1/checkout/sessions`` parameters of ``payment``."""
    invoice = payment.invoice
    ours = {"carepay_payment": str(payment.public_id), "carepay_invoice": invoice.number or ""}
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": items,
        "success_url": success_url,
        "cancel_url": cancel_url,
        # Our id on the session and on its PaymentIntent: each event names the payment.
        "client_reference_id": str(payment.public_id),
        "metadata": ours,
        "payment_intent_data": {"metadata": ours, **intent_options},
    }
    if invoice.billing_email:
        params["customer_email"] = invoice.billing_email
    if options.get("payment_method_types"):
        params["payment_method_types"] = list(options["payment_method_types"])
    if options.get("expires_after"):
        params["expires_at"] = session_expiry(int(options["expires_after"]), time.time())
    return params


def session_expiry(expires_after: int, now: float) -> int:
    """The ``expires_at`` of a session created at ``now`` (Unix time) that should stay
    open ``expires_after`` seconds: counted from the start of the clock's current
    :data:`EXPIRY_STEP` (10 minutes) plus one step, so the session stays open between
    ``expires_after`` and 10 minutes more; kept inside Stripe's 30 minutes to 24 hours
    with :data:`EXPIRY_MARGIN` to spare (near 24 hours, up to 10 minutes less).

    Why not ``now + expires_after``: a start whose answer was lost is retried under
    the same idempotency key (the payment's ids are derived again,
    ``services.payments._attempt_ids``), and Stripe refuses a key reused with other
    parameters (400, for 24 hours). Nothing stored survives that rollback to count
    from (the payment row, its ``created_at`` included, is made again), so the time
    is rounded to the step instead, and the backend names ``expires_at`` in the key
    (``carepay-cs-<key>-<expires_at>``): a retry within the step sends the same key
    and parameters and gets back the session Stripe made; one in a later step sends
    a new key, and Stripe makes a new session (the lost one was never shown to
    anyone, and expires by itself).
    """
    earliest = max(expires_after, MIN_EXPIRES_AFTER + EXPIRY_MARGIN)
    offset = min(earliest + EXPIRY_STEP, MAX_EXPIRES_AFTER - EXPIRY_MARGIN)
    return int(now) // EXPIRY_STEP * EXPIRY_STEP + offset


def session_total(session: Any) -> tuple[int, str]:
    """``(amount_total, currency)`` of a session, as Stripe reports them."""
    data = plain(session)
    amount = data.get("amount_total")
    if type(amount) is not int:
        raise InvalidProviderData(f"amount_total must be an integer, got {amount!r:.60}.")
    return amount, text(data, "currency").upper()


def update_from_session(alias: str, session: Any, *, event_id: str = "",
                        event_type: str = "") -> ProviderUpdate | None:
    """Normalize a Checkout Session (from the API or an event) into an update.

    ``complete`` and ``paid`` → succeeded, for ``amount_total`` (what the payer was
    charged; services flag it if it is not the payment's amount), keyed by the
    session's PaymentIntent; ``complete`` and ``unpaid`` → processing (a delayed
    method), or failed (``async_payment_failed``, or an expanded intent that needs
    another payment method); ``expired`` → cancelled; ``open`` → nothing yet.
    """
    session = plain(session)
    session_id = text(session, "id")
    if not session_id:
        raise InvalidProviderData("A Checkout Session without an id: nothing is matched "
                                  "by metadata alone.")
    status, paid = text(session, "status"), text(session, "payment_status")
    if event_type in _EVENT_PAYMENT_STATUS and paid not in _EVENT_PAYMENT_STATUS[event_type]:
        # An event's object is the session as it was when the event happened.
        raise InvalidProviderData(
            f"A {event_type[:60]} event whose session is {paid or 'without payment_status'} "
            "contradicts itself.")
    if event_type == "checkout.session.expired" and status != "expired":
        raise InvalidProviderData(
            f"A checkout.session.expired event whose session is {status} contradicts itself.")
    metadata = mapping(session, "metadata")
    intent = session.get("payment_intent")
    intent_id = object_id(intent, "payment_intent")
    common: dict[str, Any] = {
        "backend": alias,
        "provider_reference": session_id,
        "payment_public_id": text(metadata, "carepay_payment", "metadata.carepay_payment")
        or text(session, "client_reference_id"),
        "currency": text(session, "currency").upper(),
        "event_id": event_id,
    }
    if status == "expired":
        return ProviderUpdate(kind=UpdateKind.CANCELLED, **common)
    if status != "complete":
        return None  # open: the payer has not paid yet
    if paid == "paid":
        if not intent_id:
            raise InvalidProviderData(
                "A paid Checkout Session names no payment_intent: the money cannot be "
                "keyed, so it is not credited.")
        amount, _currency = session_total(session)
        return ProviderUpdate(
            kind=UpdateKind.SUCCEEDED, amount=minor_units(amount, common["currency"],
                                                          field="amount_total"),
            transaction_reference=intent_id, **common)
    if paid != "unpaid":
        return None  # no_payment_required: nothing was charged
    error = mapping(intent, "last_payment_error") if isinstance(intent, Mapping) else {}
    intent_status = intent.get("status") if isinstance(intent, Mapping) else None
    if event_type == "checkout.session.async_payment_failed" or error \
            or intent_status in ("requires_payment_method", "canceled"):
        return ProviderUpdate(
            kind=UpdateKind.FAILED,
            failure_code=str(error.get("decline_code") or error.get("code") or ""),
            failure_message=str(error.get("message") or "The payment failed."), **common)
    return ProviderUpdate(kind=UpdateKind.PROCESSING, **common)
