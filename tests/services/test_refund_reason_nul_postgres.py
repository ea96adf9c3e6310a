"""A refund reason PostgreSQL cannot store (a NUL character) is refused only
after the provider was asked to refund: the provider refunds, the ledger does not
record it, and the caller gets a ValueError (not a CarepayError)."""

import pytest
from django.db import connection

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import CarepayError
from django_carepay.models import Transaction
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_reason_the_database_cannot_store_is_refused_before_the_provider_refunds(
        invoice, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite stores NUL characters)")
    payment = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(payment))
    backend = get_backend("online")
    asked: list[str] = []
    real = backend.refund

    def refund(*args, **kwargs):
        asked.append(kwargs["idempotency_key"])
        return real(*args, **kwargs)

    monkeypatch.setattr(backend, "refund", refund)

    with pytest.raises(CarepayError):
        services.refund_payment(factories.reload(payment), amount="30.00",
                                reason="Cancelled\x00 visit")

    assert asked == [], "the provider was asked to refund before the input was refused"
    assert not Transaction.objects.refunds().exists()
