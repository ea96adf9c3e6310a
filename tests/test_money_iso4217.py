# ruff: noqa: RUF001  (digits of other scripts are the point of these tests)
"""What money means comes from ISO 4217, frozen in carepay, not from a data package.

Babel 2.19's CLDR data gives HUF, IDR and COP zero *display* digits; ISO 4217 gives
them two minor units. Stored amounts are never rounded when they are read back.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from iso4217 import Currency

from django_carepay.exceptions import InvalidAmount, InvalidCurrency
from django_carepay.models import Invoice
from django_carepay.money import (
    ISO_4217_MINOR_UNITS,
    currency_exponent,
    format_money,
    normalize,
    parse_amount,
    quantize,
    validate_currency,
)
from tests.factories import make_invoice

#: Codes ISO has withdrawn that carepay keeps, so records in them still read.
WITHDRAWN = {"ANG", "CUC", "HRK", "SLL", "ZWL"}


class TestTheFrozenTable:
    def test_matches_the_maintained_iso4217_package(self):
        """If this fails, ISO 4217 changed: review the change and update the table
        (with a changelog entry) — never let an upgrade change it silently."""
        published = {c.code: c.exponent for c in Currency if c.exponent is not None}
        ours = {k: v for k, v in ISO_4217_MINOR_UNITS.items() if k not in WITHDRAWN}
        assert ours == published

    def test_withdrawn_codes_are_no_longer_published(self):
        published = {c.code for c in Currency}
        assert not WITHDRAWN & published

    @pytest.mark.parametrize(("currency", "exponent"), [
        ("HUF", 2), ("IDR", 2), ("COP", 2), ("JPY", 0), ("KWD", 3), ("ISK", 0),
        ("GBP", 2), ("MGA", 2), ("UGX", 0),
    ])
    def test_minor_units(self, currency, exponent):
        assert ISO_4217_MINOR_UNITS[currency] == exponent
        assert currency_exponent(currency) == exponent

    def test_clf_has_four_minor_units_which_carepay_does_not_store(self):
        assert ISO_4217_MINOR_UNITS["CLF"] == 4
        with pytest.raises(InvalidCurrency, match="4 decimal places"):
            validate_currency("CLF")

    @pytest.mark.parametrize("code", ["XAU", "XXX", "XTS", "DEM", "gbx", 826, None])
    def test_funds_test_codes_and_old_currencies_are_not_money(self, code):
        with pytest.raises(InvalidCurrency):
            validate_currency(code)

    def test_does_not_ask_babel_how_many_decimals_a_currency_has(self, monkeypatch):
        import babel.numbers

        monkeypatch.setattr(babel.numbers, "get_currency_precision", lambda code: 0)
        assert quantize("1000.50", "HUF") == Decimal("1000.50")


class TestReadingStoredAmounts:
    def test_normalize_never_rounds(self):
        assert normalize(Decimal("80.000"), "GBP") == Decimal("80.00")
        assert str(normalize(Decimal("80.000"), "GBP")) == "80.00"
        assert normalize(Decimal("80.005"), "GBP") == Decimal("80.005")
        assert str(normalize(Decimal("500.000"), "JPY")) == "500"

    @pytest.mark.django_db
    def test_huf_amount_due_keeps_its_fillér(self):
        invoice = make_invoice(currency="HUF",
                               lines=[{"description": "Visit", "unit_price": "1000.50"}])
        invoice.refresh_from_db()
        assert invoice.amount_due == Decimal("1000.50")

    @pytest.mark.django_db
    def test_a_stored_amount_finer_than_the_currency_is_not_rounded_on_read(self):
        invoice = make_invoice()
        # Legacy data or a manual fix in the database: carepay must show it as it is.
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("80.005"))
        invoice.refresh_from_db()
        assert invoice.amount_due == Decimal("80.005")


class TestDisplay:
    @pytest.mark.parametrize(("amount", "currency", "expected"), [
        ("1000.50", "HUF", "HUF1,000.50"),
        ("500", "JPY", "JP¥500"),
        ("80", "GBP", "£80.00"),
        ("1.234", "KWD", "KWD1.234"),
        ("80.005", "GBP", "£80.005"),  # never rounded for display either
        ("-25", "GBP", "-£25.00"),
    ])
    def test_iso_decimals_with_the_locales_symbols(self, amount, currency, expected):
        assert format_money(Decimal(amount), currency, locale="en_GB") == expected

    def test_other_locales_keep_their_pattern(self):
        assert format_money(Decimal("1000.5"), "EUR", locale="de_DE") == "1.000,50\xa0€"


class TestTypedAmounts:
    """One rule for every amount field: digits of any script, '.' as the point."""

    @pytest.mark.parametrize(("typed", "expected"), [
        ("12", "12"), ("１２", "12"), ("١٢", "12"), ("۱۲", "12"), ("१२", "12"),
        ("１２.５０", "12.50"), ("١٢٫٥", "12.5"), (" 12.50 ", "12.50"), ("-1.5", "-1.5"),
        (".5", "0.5"),
    ])
    def test_reads_digits_of_every_script(self, typed, expected):
        assert parse_amount(typed) == Decimal(expected)

    @pytest.mark.parametrize("typed", ["1e3", "1_000", "1,000", "12 50", "", "abc", "0x10",
                                       "12..5", "١٢,٥"])
    def test_refuses_what_is_not_a_plain_amount(self, typed):
        with pytest.raises(InvalidAmount):
            parse_amount(typed)

    @pytest.mark.parametrize("typed", ["١٢", "１２"])
    def test_services_and_forms_agree(self, typed):
        from django_carepay.forms import TransferConfirmationForm

        assert quantize(typed, "GBP") == Decimal("12.00")
        form = TransferConfirmationForm({"reference": "r", "amount": typed,
                                         "paid_on": "2026-01-01"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount"] == Decimal("12")

    @pytest.mark.parametrize("typed", ["١٢٫٥", "１２.５"])
    def test_forms_take_the_arabic_decimal_separator_too(self, typed):
        from django_carepay.forms import ApproveForm

        form = ApproveForm({"amount": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount"] == Decimal("12.5")

    @pytest.mark.parametrize("typed", ["1e3", "1_000"])
    def test_forms_refuse_exponents_and_underscores(self, typed):
        from django_carepay.forms import ApproveForm

        assert not ApproveForm({"amount": typed}).is_valid()
