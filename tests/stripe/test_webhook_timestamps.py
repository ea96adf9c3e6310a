"""Bug 20: a Stripe signature's timestamp must be within the tolerance both ways."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from django_carepay import services
from django_carepay.models import Invoice, WebhookEvent
from tests import factories
from tests.stripe.support import ALIAS, deliver, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def payment(invoice):
    return services.start_payment(invoice, backend=ALIAS)


@pytest.fixture
def succeeded(localstripe, payment):
    localstripe.pay(payment.provider_reference)
    return make_event("payment_intent.succeeded",
                      localstripe.get(f"payment_intents/{payment.provider_reference}"))


class TestSignatureTimestamps:
    """Bug 20: the tolerance holds in both directions."""

    @pytest.mark.parametrize("offset", [400, 3600])
    def test_a_signature_dated_in_the_future_is_refused(self, client, succeeded, payment,
                                                         invoice, nothing_changes, caplog,
                                                         offset):
        with nothing_changes(payment, invoice):
            response = deliver(client, succeeded, timestamp=int(time.time()) + offset)

        reason = "Timestamp outside the tolerance zone"
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert reason in caplog.text
        assert not WebhookEvent.objects.exists()

    def test_a_signature_just_inside_the_tolerance_ahead_is_accepted(self, client, succeeded,
                                                                     invoice):
        response = deliver(client, succeeded, timestamp=int(time.time()) + 290)

        assert response.status_code == 200
        assert factories.reload(invoice).status == Invoice.Status.PAID
