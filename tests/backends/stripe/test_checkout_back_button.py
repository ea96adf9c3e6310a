"""The Checkout "back" (cancel_url) lands on the result page, which must not
tell a payer who paid nothing that they "don't need to pay again".

StripeCheckoutBackend sets cancel_url == success_url == carepay:payment_return. A
payer who abandons Stripe's page (its back arrow) comes back with the session still
``open`` (sync → None) and the payment ``pending``; payment_result.html treats every
IN_FLIGHT status (pending included) as "Payment processing ... You don't need to pay
again. We will ... e-mail you a receipt" — an unpaid invoice shown as being paid.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_carepay.models import Payment
from tests.backends.stripe.support import CHECKOUT_ALIAS

pytestmark = pytest.mark.django_db


def test_coming_back_from_an_abandoned_checkout_is_not_shown_as_processing(
        checkout_backend, localstripe, invoice, client, patient):
    client.force_login(patient)
    started = client.get(reverse("carepay:pay", args=[invoice.public_id, CHECKOUT_ALIAS]))
    assert started.status_code == 302  # to Stripe's hosted page
    payment = Payment.objects.get(invoice=invoice)
    session = localstripe.get(f"checkout/sessions/{payment.provider_reference}")
    assert session["status"] == "open"  # nothing paid: the payer clicks "back"

    page = client.get(session["cancel_url"].removeprefix("https://clinic.example.com"))

    html = page.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING
    assert "You don't need to pay again" not in html
    assert "Payment processing" not in html
