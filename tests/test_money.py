"""Money: Decimal only, quantized to the currency, converted with Stripe's rules."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from django_carepay.exceptions import CarepayError, InvalidAmount, InvalidCurrency
from django_carepay.money import (
    currency_exponent,
    format_money,
    from_minor_units,
    quantize,
    to_minor_units,
    validate_currency,
)


class TestQuantize:
    @pytest.mark.parametrize(("amount", "currency", "expected"), [
        ("80", "GBP", Decimal("80.00")),
        (Decimal("80.5"), "GBP", Decimal("80.50")),
        (80, "gbp", Decimal("80.00")),
        ("500", "JPY", Decimal("500")),
        ("1.234", "KWD", Decimal("1.234")),
        (" 12.30 ", "EUR", Decimal("12.30")),
    ])
    def test_returns_the_amount_at_the_currency_exponent(self, amount, currency, expected):
        result = quantize(amount, currency)

        assert result == expected
        assert result.as_tuple().exponent == expected.as_tuple().exponent

    @pytest.mark.parametrize(("amount", "currency", "message"), [
        ("0", "GBP", "greater than zero"),
        ("-5", "GBP", "must be positive"),
        ("10.005", "GBP", r"more decimal places than GBP allows \(2\)"),
        ("1.5", "JPY", r"more decimal places than JPY allows \(0\)"),
        ("1.2345", "KWD", r"more decimal places than KWD allows \(3\)"),
        ("ten", "GBP", "not a number"),
        ("NaN", "GBP", "not a finite amount"),
        ("Infinity", "GBP", "not a finite amount"),
    ])
    def test_refuses_amounts_that_would_move_the_wrong_money(self, amount, currency, message):
        with pytest.raises(InvalidAmount, match=message):
            quantize(amount, currency)

    @pytest.mark.parametrize("amount", [80.0, 0.1, True])
    def test_refuses_floats_and_booleans(self, amount):
        with pytest.raises(InvalidAmount, match="Decimal"):
            quantize(amount, "GBP")

    def test_zero_and_negative_only_when_asked(self):
        assert quantize("0", "GBP", allow_zero=True) == Decimal("0.00")
        assert quantize("-1.50", "GBP", allow_negative=True) == Decimal("-1.50")

    def test_invalid_amount_is_a_carepay_error_and_a_value_error(self):
        with pytest.raises(CarepayError):
            quantize("0", "GBP")
        with pytest.raises(ValueError):
            quantize("0", "GBP")


class TestCurrencies:
    @pytest.mark.parametrize(("currency", "exponent"), [
        ("GBP", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("ISK", 0), ("KWD", 3), ("BHD", 3),
        ("HUF", 2),
    ])
    def test_iso_4217_exponent(self, currency, exponent):
        assert currency_exponent(currency) == exponent

    @pytest.mark.parametrize("currency", ["XYZ", "GB", "POUND", "", None])
    def test_unknown_currency_raises(self, currency):
        with pytest.raises(InvalidCurrency, match="ISO 4217"):
            validate_currency(currency)

    @pytest.mark.parametrize("call", [
        lambda: quantize("1", "XYZ"),
        lambda: to_minor_units(Decimal("1"), "XYZ"),
        lambda: from_minor_units(100, "XYZ"),
    ])
    def test_every_conversion_refuses_an_unknown_currency(self, call):
        with pytest.raises(InvalidCurrency):
            call()


class TestMinorUnits:
    @pytest.mark.parametrize(("amount", "currency", "minor"), [
        ("80.00", "GBP", 8000),
        ("0.01", "GBP", 1),
        ("500", "JPY", 500),
        ("15000", "KRW", 15000),
        # Three-decimal currencies go in thousandths with the last digit 0.
        ("1.230", "KWD", 1230),
        ("1.234", "KWD", 1230),
        ("1.235", "KWD", 1240),
        ("2.005", "BHD", 2010),
        # Stripe takes ISK two-decimal although ISO 4217 gives it none.
        ("500", "ISK", 50000),
        ("1000.50", "HUF", 100050),
    ])
    def test_to_minor_units_follows_stripe(self, amount, currency, minor):
        assert to_minor_units(Decimal(amount), currency) == minor

    @pytest.mark.parametrize(("minor", "currency", "amount"), [
        (8000, "GBP", Decimal("80.00")),
        (500, "JPY", Decimal("500")),
        (15000, "KRW", Decimal("15000")),
        (1230, "KWD", Decimal("1.230")),
        (2010, "BHD", Decimal("2.010")),
        (50000, "ISK", Decimal("500")),
        (100050, "HUF", Decimal("1000.50")),
    ])
    def test_from_minor_units_is_exact(self, minor, currency, amount):
        result = from_minor_units(minor, currency)

        assert result == amount
        assert result.as_tuple().exponent == amount.as_tuple().exponent

    @pytest.mark.parametrize(("amount", "currency"), [
        ("80.00", "GBP"), ("500", "JPY"), ("15000", "KRW"), ("1.230", "KWD"), ("500", "ISK"),
        ("1000.50", "HUF"),
    ])
    def test_round_trip(self, amount, currency):
        assert from_minor_units(to_minor_units(Decimal(amount), currency), currency) \
            == Decimal(amount)

    def test_refuses_more_precision_than_the_provider_takes(self):
        with pytest.raises(InvalidAmount, match="JPY"):
            to_minor_units(Decimal("1.5"), "JPY")
        with pytest.raises(InvalidAmount, match="GBP"):
            to_minor_units(Decimal("10.005"), "GBP")

    def test_refuses_floats(self):
        with pytest.raises(InvalidAmount):
            to_minor_units(80.0, "GBP")

    @pytest.mark.parametrize("minor", [80.0, "8000", True, Decimal("8000")])
    def test_from_minor_units_takes_only_ints(self, minor):
        with pytest.raises(InvalidAmount, match="int"):
            from_minor_units(minor, "GBP")


class TestMoneyFilter:
    def render(self, amount, currency):
        template = Template("{% load carepay %}{{ amount|money:currency }}")
        return template.render(Context({"amount": amount, "currency": currency}))

    @pytest.mark.parametrize(("amount", "currency", "expected"), [
        (Decimal("80"), "GBP", "£80.00"),
        (Decimal("1234.5"), "GBP", "£1,234.50"),
        (Decimal("500"), "JPY", "¥500"),
        (Decimal("1.5"), "KWD", "KWD1.500"),
        (Decimal("-40"), "GBP", "-£40.00"),
    ])
    def test_formats_in_the_default_language(self, amount, currency, expected):
        assert self.render(amount, currency) == expected

    @pytest.mark.parametrize(("language", "amount", "currency", "expected"), [
        ("en-gb", Decimal("500"), "JPY", "JP¥500"),
        ("de", Decimal("1234.5"), "EUR", "1.234,50\xa0€"),
    ])
    def test_follows_the_active_language(self, language, amount, currency, expected):
        with translation.override(language):
            assert self.render(amount, currency) == expected

    @pytest.mark.parametrize(("amount", "currency"), [(None, "GBP"), ("", "GBP"),
                                                      (Decimal("1"), "")])
    def test_missing_values_render_empty(self, amount, currency):
        assert self.render(amount, currency) == ""

    def test_unknown_currency_degrades_to_plain_text(self):
        assert self.render(Decimal("80"), "XYZ") == "80 XYZ"

    def test_format_money_with_an_explicit_locale(self):
        assert format_money(Decimal("80"), "GBP", locale="en_GB") == "£80.00"
