"""Serializer fields for money and countries: amounts travel as strings, never floats."""

from __future__ import annotations

import operator
import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..exceptions import InvalidAmount
from ..money import check_range, normalize, parse_amount

AMOUNT_SCHEMA = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "example": "80.00"}
_COUNTRY = re.compile(r"[A-Z]{2}")


@extend_schema_field({**AMOUNT_SCHEMA, "pattern": r"^\d+(\.\d+)?$",
                      "description": "An amount as a string, e.g. \"80.00\"; never a number."})
class AmountInput(serializers.Field):
    """An amount a person typed, read by :func:`~django_carepay.money.parse_amount`
    (the rule of the pages' ``AmountField``). A JSON number is refused: a float cannot
    carry money exactly. The service checks it against the currency and what is due."""

    default_error_messages = {
        "not_a_string": 'Send the amount as a string, e.g. "80.00".',
        "invalid": 'Not an amount; write it like "80.00".',
        "not_positive": "The amount must be more than zero.",
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        try:
            value = check_range(parse_amount(data))
        except InvalidAmount:
            self.fail("invalid")
        if value <= 0:
            self.fail("not_positive")
        return value

    def to_representation(self, value: Any) -> str:
        return str(value)


@extend_schema_field(AMOUNT_SCHEMA)
class MoneyOutput(serializers.Field):
    """A stored amount as a string with its currency's decimals (``"80.00"``,
    ``"1000"`` JPY); the currency is read from ``currency_source`` of the same object."""

    def __init__(self, *, currency_source: str = "currency", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.currency_source = currency_source
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        currency = operator.attrgetter(self.currency_source)(instance)
        return super().get_attribute(instance), currency

    def to_representation(self, value: Any) -> str | None:
        amount, currency = value
        if amount is None:
            return None
        return str(normalize(amount, currency))


@extend_schema_field({"type": "string", "pattern": "^[A-Z]{2}$", "example": "PK",
                      "description": "ISO 3166-1 alpha-2 country code."})
class CountryInput(serializers.CharField):
    """An ISO 3166 alpha-2 code (``"PK"``); lower case is accepted."""

    default_error_messages = {"invalid": "Give a two-letter country code, e.g. PK."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).upper()
        if not _COUNTRY.fullmatch(value):
            self.fail("invalid")
        return value
