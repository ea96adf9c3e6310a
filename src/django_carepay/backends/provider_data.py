"""Reading what a provider sent: webhook bodies as storable JSON, amounts in minor units.

Anything malformed is refused (:class:`WebhookVerificationError`, answered 400, or
:class:`InvalidProviderData`): money is never credited from a value that had to be
guessed at.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from ..exceptions import (
    InvalidAmount,
    InvalidCurrency,
    InvalidProviderData,
    WebhookVerificationError,
)
from ..money import check_range, from_minor_units

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
