"""Bug 4: a provider amount the ledger cannot take exactly (finer than the currency's
minor unit, e.g. under a provider's different minor-unit rules, or too large) is
stored needs-attention and answered as handled, never a failure on every retry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind, get_backend
from django_carepay.models import Payment, Transaction, WebhookEvent
from tests import factories

pytestmark = pytest.mark.django_db

JPY_CONSULTATION = {"description": "Consultation", "unit_price": "8000"}


def deliver(payment, *updates):
    return services.handle_webhook(get_backend("online"), event_id="evt_inexact",
                                   event_type="payment.succeeded", payload={},
                                   updates=updates)


@pytest.mark.parametrize(("currency", "lines", "amount"), [
    ("GBP", (factories.CONSULTATION,), "80.005"),   # three decimals for a two-decimal one
    ("JPY", (JPY_CONSULTATION,), "8000.5"),          # decimals for a zero-decimal one
    ("GBP", (factories.CONSULTATION,), "1e20"),      # more than the ledger holds
], ids=["GBP-three-decimals", "JPY-decimals", "too-large"])
def test_a_charge_the_ledger_cannot_hold_exactly_is_flagged_not_failed(currency, lines,
                                                                       amount):
    invoice = factories.make_invoice(currency=currency, lines=lines)
    payment = factories.start_online(invoice)

    _event, duplicate = deliver(payment, factories.provider_update(payment,
                                                                  amount=Decimal(amount)))

    assert not duplicate
    row = WebhookEvent.objects.get()
    assert (row.status, row.needs_attention) == (WebhookEvent.Status.IGNORED, True)
    assert "not credited" in row.error and currency in row.error
    assert not Transaction.objects.exists()
    assert factories.reload(payment).status == Payment.Status.PENDING


def test_a_refund_the_ledger_cannot_hold_exactly_is_flagged_not_failed():
    invoice = factories.make_invoice()
    payment = factories.start_online(invoice)
    services.apply_provider_update(factories.provider_update(payment))

    deliver(payment, factories.provider_update(
        payment, UpdateKind.REFUNDED, amount=Decimal("10.001"),
        transaction_reference="re_inexact"))

    row = WebhookEvent.objects.get()
    assert (row.status, row.needs_attention) == (WebhookEvent.Status.IGNORED, True)
    assert "not credited" in row.error
    assert list(Transaction.objects.values_list("kind", flat=True)) == ["charge"]
    assert factories.reload(payment).status == Payment.Status.SUCCEEDED
