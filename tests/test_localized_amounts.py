"""Amounts typed the active language's way: never read as another amount than meant.

A point grouping thousands ("1.500" in fr, es, ru, pl, de-ch) is refused as ambiguous
where the comma is the decimal separator, and a prefilled zero-decimal amount (JPY)
reads back unchanged with USE_THOUSAND_SEPARATOR on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from django_carepay.exceptions import InvalidAmount
from django_carepay.forms import AmountField
from django_carepay.money import parse_localized_amount, quantize


@pytest.mark.parametrize("language", ["fr", "es", "ru", "pl", "de-ch"])
@pytest.mark.parametrize("typed", ["1.500", "12.500", "250.000"])
def test_a_point_grouping_thousands_is_refused_where_the_comma_is_the_decimal(
        language, typed):
    """Where the comma is the decimal separator, "1.500" is 1500 to many readers (the
    point groups thousands in Spanish, French and Russian handwriting, and it is German's
    and Italian's rule) and 1.5 to an English one: the docstring's own rule ("a point
    with other than three digits after it is read as the decimal point") says it must
    not be guessed. Today it is read as 1.500, which quantize accepts for EUR as 1.50:
    a thousandth of what was meant."""
    with translation.override(language):
        with pytest.raises(InvalidAmount) as refused:
            parse_localized_amount(typed)
        assert refused.value.code == "ambiguous"
        with pytest.raises(ValidationError):
            AmountField().clean(typed)


def test_the_misreading_reaches_the_money_rule():
    """Why it matters: what the form lets through, the services take (1.50 EUR)."""
    with translation.override("fr"):
        try:
            value = parse_localized_amount("1.500")
        except InvalidAmount:
            return
    assert quantize(value, "EUR") != Decimal("1.50"), "1.500 (1500 €) recorded as 1.50 €"


@pytest.mark.parametrize("language", ["de", "en-gb"])
def test_a_prefilled_zero_decimal_amount_submitted_unchanged_is_read_back(
        language, settings):
    """With USE_THOUSAND_SEPARATOR on, the refund form prefilled with 1234 JPY renders
    "1.234" (German) / "1,234" (English); submitted unchanged (the field is read-only for
    a method that refunds only the whole amount) it is refused as ambiguous."""
    settings.USE_THOUSAND_SEPARATOR = True

    class Form(forms.Form):
        amount = AmountField()

    with translation.override(language):
        initial = quantize(Decimal("1234"), "JPY")
        shown = Form(initial={"amount": initial})["amount"].value()
        rendered = Form(initial={"amount": initial})["amount"].as_widget()
        typed = rendered.split('value="')[1].split('"')[0]
        submitted = Form({"amount": typed})
        assert submitted.is_valid(), (typed, shown, submitted.errors)
        assert submitted.cleaned_data["amount"] == Decimal("1234")


@pytest.mark.parametrize("language", ["en-gb", "de"])
@pytest.mark.parametrize("typed", ["1²", "8⁰", "⑧⓪", "½", "80²,00"])
def test_numeric_characters_that_are_not_digits_are_refused(language, typed):
    """NFKC reads a superscript 2 or a circled 8 as a digit: "1²" would be 12."""
    from django_carepay.money import parse_amount

    with translation.override(language), pytest.raises(InvalidAmount):
        parse_localized_amount(typed)
    with pytest.raises(InvalidAmount):
        parse_amount(typed)
    # Digits of other scripts still count (fullwidth, Arabic-Indic).
    assert parse_amount("\uff18\uff10") == Decimal("80")
