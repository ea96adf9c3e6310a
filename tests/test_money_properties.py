"""Properties of carepay's money rules over every ISO 4217 currency it stores."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_carepay import services
from django_carepay.exceptions import InvalidAmount
from django_carepay.money import (
    ISO_4217_MINOR_UNITS,
    STORAGE_PLACES,
    STRIPE_THREE_DECIMAL,
    _stripe_places,
    currency_exponent,
    from_minor_units,
    quantize,
    round_to_currency,
    to_minor_units,
)

CURRENCIES = sorted(c for c, e in ISO_4217_MINOR_UNITS.items() if e <= STORAGE_PLACES)
currencies = st.sampled_from(CURRENCIES)
#: Minor units up to what carepay stores (14 digits, 3 after the point).
minor = st.integers(min_value=1, max_value=10**10)
#: Examples per currency for the tests run on each currency in turn: 5 in the suite,
#: 200 with HYPOTHESIS_PROFILE=reliability (tests/conftest.py).
PER_CURRENCY = max(5, settings.default.max_examples // 25)
#: Examples of the tests that write to the database: 60 in the suite, 500 with the
#: reliability profile.
DB_EXAMPLES = max(60, settings.default.max_examples // 10)


@given(currency=currencies, units=minor)
def test_quantize_keeps_an_amount_at_the_minor_unit_and_never_widens(currency, units):
    exponent = currency_exponent(currency)
    amount = Decimal(units).scaleb(-exponent)

    result = quantize(amount, currency)

    assert result == amount
    assert result.as_tuple().exponent == -exponent  # not 80.000 for GBP, not 500.00 JPY


@given(currency=currencies, units=minor, extra=st.integers(min_value=1, max_value=9))
def test_quantize_refuses_rather_than_rounds_a_finer_amount(currency, units, extra):
    exponent = currency_exponent(currency)
    finer = Decimal(units).scaleb(-exponent) + Decimal(extra).scaleb(-exponent - 1)

    with pytest.raises(InvalidAmount, match="more decimal places"):
        quantize(finer, currency)


@given(currency=currencies, units=minor)
def test_provider_minor_units_round_trip(currency, units):
    if currency in STRIPE_THREE_DECIMAL:
        units *= 10  # Stripe takes these in thousandths ending in 0

    amount = from_minor_units(units, currency)

    assert to_minor_units(amount, currency) == units
    # Read back at the currency's own precision whenever that is exact.
    exponent = currency_exponent(currency)
    if amount == amount.quantize(Decimal(1).scaleb(-exponent)):
        assert amount.as_tuple().exponent == -exponent


@given(currency=currencies, units=minor)
def test_amounts_the_provider_can_express_round_trip(currency, units):
    places = min(currency_exponent(currency), _stripe_places(currency))
    amount = Decimal(units).scaleb(-places)
    if currency in STRIPE_THREE_DECIMAL:
        amount = Decimal(units * 10).scaleb(-3)

    assert from_minor_units(to_minor_units(amount, currency), currency) == amount


@pytest.mark.parametrize("currency", CURRENCIES)
@settings(max_examples=PER_CURRENCY, deadline=None)
@given(units=minor, extra=st.integers(min_value=1, max_value=9))
def test_every_currency_keeps_its_minor_unit_and_its_provider_amounts(currency, units,
                                                                      extra):
    """Each ISO 4217 currency in turn (the sampled tests above may miss some)."""
    exponent = currency_exponent(currency)
    amount = Decimal(units).scaleb(-exponent)
    assert quantize(amount, currency) == amount
    with pytest.raises(InvalidAmount):
        quantize(amount + Decimal(extra).scaleb(-exponent - 1), currency)
    provider_units = units * 10 if currency in STRIPE_THREE_DECIMAL else units
    assert to_minor_units(from_minor_units(provider_units, currency), currency) \
        == provider_units


line = st.fixed_dictionaries({
    "description": st.just("Item"),
    "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1000), places=3),
    "unit_price_units": st.integers(min_value=0, max_value=10**7),
    "tax_rate": st.decimals(min_value=0, max_value=100, places=3),
})


@pytest.mark.django_db
@settings(max_examples=DB_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(currency=currencies, lines=st.lists(line, min_size=1, max_size=6))
def test_line_totals_and_tax_add_up_to_the_invoice_total(currency, lines):
    exponent = currency_exponent(currency)
    specs = [{"description": spec["description"], "quantity": spec["quantity"],
              "unit_price": Decimal(spec["unit_price_units"]).scaleb(-exponent),
              "tax_rate": spec["tax_rate"]} for spec in lines]

    invoice = services.create_invoice(currency=currency, lines=specs)
    invoice.refresh_from_db()
    stored = list(invoice.lines.order_by("position"))

    for spec, row in zip(specs, stored, strict=True):
        assert row.line_total == round_to_currency(spec["quantity"] * spec["unit_price"],
                                                   currency)
        assert row.tax_amount == round_to_currency(row.line_total * spec["tax_rate"] / 100,
                                                   currency)
    assert invoice.subtotal == sum(row.line_total for row in stored)
    assert invoice.tax == sum(row.tax_amount for row in stored)
    assert invoice.total == invoice.subtotal + invoice.tax
    assert invoice.total == round_to_currency(invoice.total, currency)  # exact in minor units
    assert invoice.amount_due == invoice.total
