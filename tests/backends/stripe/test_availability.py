"""Bug 5: whether Stripe is offered must never raise, whatever the currency's digits."""

from decimal import Decimal

import pytest
from django.urls import reverse

from django_carepay import services
from django_carepay.backends import available_backends, get_backend
from django_carepay.exceptions import BackendNotAvailable
from tests.backends.stripe.support import ALIAS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


def lyd_invoice(amount, customer=None):
    # LYD has three decimals in ISO 4217 but is not one of Stripe's three-decimal
    # currencies: Stripe takes it in hundredths.
    invoice = services.create_invoice(
        currency="LYD", customer=customer,
        lines=[{"description": "Consultation", "unit_price": amount}])
    return services.issue_invoice(invoice)


def test_an_amount_stripe_cannot_express_is_not_offered_rather_than_an_error():
    inexact = lyd_invoice("12.345")

    assert get_backend(ALIAS).is_available(inexact) is False
    assert get_backend(ALIAS) not in available_backends(inexact)
    with pytest.raises(BackendNotAvailable):
        services.start_payment(inexact, backend=ALIAS)


def test_an_amount_stripe_can_express_is_offered():
    exact = lyd_invoice("12.340")

    assert get_backend(ALIAS).is_available(exact) is True
    assert exact.amount_due == Decimal("12.340")


def test_the_invoice_page_shows_without_the_card_option(client, patient):
    invoice = lyd_invoice("12.345", customer=patient)
    client.force_login(patient)

    response = client.get(reverse("carepay:invoice_detail", args=[invoice.public_id]))

    assert response.status_code == 200
    assert reverse("carepay:pay", args=[invoice.public_id, ALIAS]) \
        not in response.content.decode()
