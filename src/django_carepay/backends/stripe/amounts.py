"""The "can Stripe charge this exactly" rule: never charge more, or less, than is due.

Stripe takes three-decimal currencies in multiples of 0.010; the conversion itself is
the public :func:`django_carepay.money.to_minor_units`.
"""

from __future__ import annotations

from decimal import Decimal

from ...exceptions import InvalidAmount
from ...money import from_minor_units, to_minor_units


def charges_exactly(amount: Decimal, currency: str) -> bool:
    """Whether Stripe can charge (or refund) exactly ``amount`` in ``currency``."""
    if amount <= 0:
        return True  # nothing to charge; availability is decided elsewhere
    try:
        return from_minor_units(to_minor_units(amount, currency), currency) == amount
    except InvalidAmount:  # more digits than Stripe takes (e.g. 12.345 LYD)
        return False
