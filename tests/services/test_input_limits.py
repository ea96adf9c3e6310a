"""Input the database could not store is refused up front with a CarepayError."""

import pytest

from django_carepay import services
from django_carepay.exceptions import CarepayError, InvalidAmount, InvalidCurrency
from django_carepay.models import Invoice, Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", ["1e30", "100000000000", "-1e12"])
def test_amounts_too_large_to_store(invoice, staff, amount):
    with pytest.raises(InvalidAmount):
        services.record_payment(invoice, backend="cash", amount=amount, by=staff)

    assert not Payment.objects.exists()


def test_a_line_whose_total_is_too_large_to_store():
    with pytest.raises(InvalidAmount, match="too large"):
        services.create_invoice(lines=[{"description": "x", "unit_price": "99999999999",
                                        "quantity": 10}])

    assert not Invoice.objects.exists()


@pytest.mark.parametrize(("billing", "message"), [
    ({"country": "GBR"}, "two letters"),
    ({"country": "G1"}, "two letters"),
    ({"name": "x" * 201}, "at most 200 fit"),
])
def test_billing_details_that_do_not_fit(billing, message):
    with pytest.raises(CarepayError, match=message):
        services.create_invoice(billing=billing)

    assert not Invoice.objects.exists()


def test_a_currency_with_more_decimals_than_stored():
    with pytest.raises(InvalidCurrency, match="more than 3 decimal places"):
        services.create_invoice(currency="CLF")


@pytest.mark.parametrize(("line", "message"), [
    ({"quantity": "1e30"}, "not a number"),  # exponents are refused in typed amounts
    ({"quantity": "5000000000"}, "below 1,000,000,000"),
    ({"description": "x" * 501}, "at most 500 fit"),
    ({"provider_name": "x" * 201}, "at most 200 fit"),
])
def test_lines_that_do_not_fit(line, message):
    spec = {"description": "Consultation", "unit_price": "10.00", **line}

    with pytest.raises(CarepayError, match=message):
        services.create_invoice(lines=[spec])
    with pytest.raises(CarepayError, match=message):
        services.validate_line(currency="GBP", **spec)

    assert not Invoice.objects.exists()


def test_a_reference_that_does_not_fit(invoice, staff):
    with pytest.raises(CarepayError, match="at most 255 fit"):
        services.record_payment(invoice, backend="cash", reference="r" * 256, by=staff)

    assert not Payment.objects.exists()


def test_a_long_customer_name_is_cut_to_fit_the_billing_snapshot(django_user_model):
    customer = django_user_model.objects.create_user(
        "long", first_name="A" * 150, last_name="B" * 150)
    invoice = services.create_invoice(
        customer=customer, lines=[{"description": "x", "unit_price": "1.00"}])

    services.issue_invoice(invoice)

    assert len(invoice.billing_name) == 200
