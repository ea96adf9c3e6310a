"""A payment of the invoice is processing (a bank debit on its way): the payer's pages
say so and offer no "Pay now", and a stale pay page is refused with a clear message
(409), not charged a second time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.models import Payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def debit_under_way(patient):
    """£80 due from ``patient``, all of it paid by a debit that has not cleared."""
    invoice = factories.make_invoice(
        customer=patient, lines=[{"description": "GP consultation", "unit_price": "80.00"}])
    payment = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(payment, UpdateKind.PROCESSING))
    return invoice


def pay_url(invoice):
    return reverse("carepay:pay", args=[invoice.public_id, "online"])


def test_the_invoice_page_says_it_is_on_its_way_and_offers_no_method(
        patient_client, debit_under_way):
    page = patient_client.get(
        reverse("carepay:invoice_detail", args=[debit_under_way.public_id])).content.decode()

    assert "Your payment of £80.00 is still being processed" in page
    assert "£80.00 being processed" in page
    assert pay_url(debit_under_way) not in page
    assert "Please pay" not in page


def test_the_list_shows_it_being_processed_not_pay_now(patient_client, debit_under_way):
    response = patient_client.get(reverse("carepay:invoice_list"))
    page = response.content.decode()

    assert [row["pay_url"] for row in response.context["rows"]] == [""]
    assert "Payment being processed" in page
    assert "Pay now" not in page


def test_a_stale_pay_page_is_a_clear_refusal(patient_client, debit_under_way):
    response = patient_client.get(pay_url(debit_under_way))

    assert response.status_code == 409
    assert "still being processed by Online (test)" in response.content.decode()
    assert Payment.objects.filter(invoice=debit_under_way).count() == 1

