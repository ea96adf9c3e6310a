"""Field helpers shared by carepay's models."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from ..money import STORAGE_PLACES


class MoneyField(models.DecimalField):
    """A Decimal amount stored with three places (enough for KWD, BHD, OMR…).

    The currency lives in a sibling ``currency`` field; services quantize amounts to
    that currency's minor unit before they are saved.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", STORAGE_PLACES)
        kwargs.setdefault("default", Decimal("0"))
        super().__init__(*args, **kwargs)
