"""Stripe charges three-decimal currencies in multiples of 0.010: never more or less."""

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.backends import available_backends, get_backend
from django_carepay.exceptions import BackendNotAvailable, ProviderError
from tests.backends.stripe.support import paid_payment

pytestmark = pytest.mark.django_db


def kwd_invoice(amount):
    invoice = services.create_invoice(
        currency="KWD", lines=[{"description": "Consultation", "unit_price": amount}])
    return services.issue_invoice(invoice)


@pytest.mark.usefixtures("card_backend")
def test_an_amount_stripe_cannot_charge_exactly_is_not_offered():
    exact, inexact = kwd_invoice("12.340"), kwd_invoice("12.345")

    assert get_backend("card") in available_backends(exact)
    assert get_backend("card") not in available_backends(inexact)
    with pytest.raises(BackendNotAvailable):
        services.start_payment(inexact, backend="card")


@pytest.mark.usefixtures("card_backend")
def test_start_refuses_rather_than_round():
    backend = get_backend("card")
    payment = services.start_payment(kwd_invoice("12.340"), backend="card")
    payment.amount = Decimal("12.345")

    with pytest.raises(ProviderError, match=r"cannot charge exactly 12\.345 KWD"):
        backend.start(payment, None)


@pytest.mark.usefixtures("card_backend")
def test_a_refund_stripe_cannot_make_exactly_is_refused_not_rounded(localstripe):
    payment = paid_payment(localstripe, kwd_invoice("12.340"))

    with pytest.raises(ProviderError, match=r"cannot refund exactly 1\.235 KWD"):
        services.refund_payment(payment, amount="1.235")

    assert localstripe.api_requests("POST", "/v1/refunds") == []
    assert services.refund_payment(payment, amount="1.230").amount == Decimal("1.230")
