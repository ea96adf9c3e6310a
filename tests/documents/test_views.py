"""Downloading PDFs: the invoice page's access rule, 404 for everyone else."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from django_carepay import documents, links
from tests import factories

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def pdf_url(invoice):
    return reverse("carepay:invoice_pdf", args=[invoice.public_id])


def receipt_url(payment):
    return reverse("carepay:receipt_pdf", args=[payment.public_id])


def test_the_payer_downloads_the_same_pdf_twice(client, patient, billed):
    client.force_login(patient)

    first = client.get(pdf_url(billed))
    second = client.get(pdf_url(billed))

    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == f'inline; filename="{billed.number}.pdf"'
    assert first.content == second.content == documents.invoice_pdf(billed)
    assert "no-store" in first["Cache-Control"]
    # The stored pay link is the site's, not the host of whoever downloaded first.
    assert "https://clinic.example.com/billing/link/" in pdf_text(first.content)


@pytest.mark.parametrize("who", ["anonymous", "another patient", "staff without permission"])
def test_anyone_else_gets_a_404(client, billed, other_patient, staff, who):
    payment = factories.pay_cash(billed, "10.00")
    if who == "another patient":
        client.force_login(other_patient)
    elif who == "staff without permission":
        client.force_login(staff)

    assert client.get(pdf_url(billed)).status_code == 404
    assert client.get(receipt_url(payment)).status_code == 404


def test_a_payment_link_opens_the_pdf_a_tampered_one_does_not(client, billed):
    token = links.payment_link(billed).rstrip("/").rsplit("/", 1)[1]

    tampered = client.get(reverse("carepay:invoice_link", args=[token[:-2] + "xx"]))
    assert tampered.status_code == 404
    assert client.get(pdf_url(billed)).status_code == 404

    client.get(reverse("carepay:invoice_link", args=[token]))
    response = client.get(pdf_url(billed))
    assert response.status_code == 200
    assert billed.number in pdf_text(response.content)


def test_staff_who_may_view_invoices_get_a_drafts_watermarked_preview(client, staff, draft):
    staff.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(staff)

    response = client.get(pdf_url(draft))

    assert response.status_code == 200
    assert "DRAFT" in pdf_text(response.content)
    assert response["Content-Disposition"].startswith('inline; filename="draft-')


def test_a_payer_cannot_fetch_their_own_drafts_pdf(client, patient, draft):
    client.force_login(patient)

    assert client.get(pdf_url(draft)).status_code == 404


def test_the_payer_downloads_a_receipt_linked_from_the_invoice_page(client, patient, billed):
    payment = factories.pay_cash(billed, "50.00")
    pending = factories.start_online(billed)
    client.force_login(patient)

    page = client.get(reverse("carepay:invoice_detail", args=[billed.public_id])).content.decode()
    response = client.get(receipt_url(payment))

    assert pdf_url(billed) in page and receipt_url(payment) in page
    assert receipt_url(pending) not in page
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'inline; filename="receipt-{billed.number}-')
    assert client.get(receipt_url(pending)).status_code == 404  # no money, no receipt


def test_the_admin_pages_link_the_pdfs(admin_client, billed):
    payment = factories.pay_cash(billed, "50.00")

    invoice_page = admin_client.get(
        reverse("admin:carepay_invoice_change", args=[billed.pk])).content.decode()
    payment_page = admin_client.get(
        reverse("admin:carepay_payment_change", args=[payment.pk])).content.decode()

    assert pdf_url(billed) in invoice_page
    assert receipt_url(payment) in payment_page


def test_an_expired_payment_link_does_not_open_the_pdf(client, billed, settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        token = links.payment_link(billed).rstrip("/").rsplit("/", 1)[1]
    settings.CAREPAY = {**settings.CAREPAY, "PAYMENT_LINK_MAX_AGE": 3600}

    assert client.get(reverse("carepay:invoice_link", args=[token])).status_code == 404
    assert client.get(pdf_url(billed)).status_code == 404
