"""The webhook's statement budget (docs/architecture.md, benchmarks/webhooks.py): a
first ``payment_intent.succeeded`` that settles its invoice costs at most 9 statements
(8 before the audit trail's entry), a duplicate at most 3 (here SAVEPOINT/RELEASE
stand for BEGIN/COMMIT, since the tests run inside a transaction). Fixes in how
deliveries are stored must not grow them."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from django_carepay import services
from django_carepay.models import Transaction
from tests.backends.stripe.support import ALIAS, deliver, make_event
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def succeeded(invoice):
    ContentType.objects.get_for_model(Appointment)  # warm, as on a running server
    payment = services.start_payment(invoice, backend=ALIAS)
    return make_event("payment_intent.succeeded", {
        "id": payment.provider_reference, "object": "payment_intent", "amount": 8000,
        "amount_received": 8000, "currency": "gbp", "status": "succeeded",
        "latest_charge": "ch_budget", "metadata": {"carepay_payment": str(payment.public_id)},
    })


def test_a_first_delivery_costs_at_most_9_statements(client, succeeded,
                                                     django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = deliver(client, succeeded)

    assert (response.status_code, response.content) == (200, b"processed")
    assert Transaction.objects.charges().count() == 1


def test_a_duplicate_costs_at_most_3_statements(client, succeeded,
                                                django_assert_max_num_queries):
    deliver(client, succeeded)

    with django_assert_max_num_queries(3):
        response = deliver(client, succeeded)

    assert (response.status_code, response.content) == (200, b"duplicate")
    assert Transaction.objects.charges().count() == 1
