"""The JSON API's money-changing POSTs must enforce CSRF for a payer who
is "logged in" only through a payment-link session grant (no Django user).

DRF's SessionAuthentication only enforces CSRF when it authenticates a user; for an
anonymous session it returns None, and APIView is csrf_exempt. Yet carepay's API
authorizes such sessions through ``links.can_view`` (the session cookie). So any
site the link-payer visits can POST a transfer claim / start a payment on their
invoice, riding their session cookie (wherever the cookie is sent cross-site:
SESSION_COOKIE_SAMESITE=None, same-site subdomains, older browsers).
"""

from __future__ import annotations

import pytest
from django.test import Client

from django_carepay import services
from django_carepay.models import Payment
from tests.api.conftest import api

pytestmark = pytest.mark.django_db


def _link_session(invoice) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.get(services.payment_link(invoice).removeprefix("https://clinic.example.com"))
    return client


def test_a_transfer_claim_without_csrf_token_is_refused_for_a_link_session(gb_invoice):
    client = _link_session(gb_invoice)

    response = client.post(api("invoice_transfers", gb_invoice.public_id),
                           # multipart: what a cross-site <form> can send, no preflight
                           {"method": "bank_transfer_uk", "reference": "EVIL",
                            "amount": "1.00"})

    assert response.status_code == 403, response.content
    assert not Payment.objects.exists()


def test_the_same_post_is_refused_for_a_logged_in_payer(gb_invoice, patient):
    """Control: with a real user DRF enforces CSRF (this passes today)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)

    response = client.post(api("invoice_transfers", gb_invoice.public_id),
                           {"method": "bank_transfer_uk", "reference": "EVIL"},
                           content_type="application/json")

    assert response.status_code == 403
    assert not Payment.objects.exists()
