"""PaymentIntents: what may be sent to create one, and what one means for a payment.

:func:`update_from_intent` is pure: it normalizes a PaymentIntent (from the API or an
event) into a :class:`ProviderUpdate`, refusing a malformed or self-contradicting one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...exceptions import InvalidProviderData
from ...types import ProviderUpdate, UpdateKind
from ..provider_data import minor_units
from .objects import mapping, plain, text

#: Per-invoice options the adapter may return for this backend.
INTENT_OPTIONS = frozenset({"application_fee_amount", "transfer_data", "on_behalf_of",
                            "statement_descriptor_suffix", "receipt_email", "description"})
REQUEST_OPTIONS = frozenset({"stripe_account"})

# PaymentIntent statuses in which the payer can still pay on the same intent.
PAYABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}

#: The event each PaymentIntent status is reported by (for the statuses that move money).
EVENT_STATUS = {"succeeded": "payment_intent.succeeded",
                "processing": "payment_intent.processing",
                "canceled": "payment_intent.canceled"}

#: The payment_intent events that say something about a payment.
INTENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed",
                           "payment_intent.processing", "payment_intent.canceled"})


def update_from_intent(alias: str, intent: Any, *, event_id: str = "",
                       event_type: str = "") -> ProviderUpdate | None:
    """Normalize a PaymentIntent (from the API or an event) into an update."""
    intent = plain(intent)
    status = text(intent, "status")
    intent_id = text(intent, "id")
    if not intent_id:
        raise InvalidProviderData(
            "A PaymentIntent without an id: nothing is matched by metadata alone.")
    if event_type and status in EVENT_STATUS and \
            EVENT_STATUS[status] != event_type:
        # An event's object is the intent as it was when the event happened, so a
        # payment_failed event cannot show a succeeded intent: never credit it.
        raise InvalidProviderData(
            f"A {event_type[:60]} event whose PaymentIntent is {status} contradicts "
            "itself.")
    common: dict[str, Any] = {
        "backend": alias,
        "provider_reference": intent_id,
        "payment_public_id": text(mapping(intent, "metadata"), "carepay_payment",
                                  "metadata.carepay_payment"),
        "currency": text(intent, "currency").upper(),
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
    error = mapping(intent, "last_payment_error")
    if status == "requires_payment_method" and (
            error or event_type == "payment_intent.payment_failed"):
        return ProviderUpdate(
            kind=UpdateKind.FAILED,
            failure_code=str(error.get("decline_code") or error.get("code") or ""),
            failure_message=str(error.get("message") or "The payment failed."),
            **common,
        )
    return None  # still waiting for the payer
