"""Bug 20: a Stripe signature's timestamp must be within the tolerance both ways."""

from __future__ import annotations

import time

import pytest

from django_carepay.models import Invoice, WebhookEvent
from tests import factories
from tests.backends.stripe.support import deliver, make_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def client(server_client):
    return server_client


@pytest.fixture
def payment(card_payment):
    return card_payment


@pytest.fixture
def succeeded(paid_intent):
    return make_event("payment_intent.succeeded", paid_intent)


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
