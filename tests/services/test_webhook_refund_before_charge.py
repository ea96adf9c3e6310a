"""Bug 9 at the service: a refund reported before its charge asks the provider
(``backend.sync``); the charge it confirms is recorded, then the refund. When the
provider confirms no charge, the delivery is stored failed and retried (500)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind, get_backend
from django_carepay.exceptions import ProviderNotReady
from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent
from tests import factories

pytestmark = pytest.mark.django_db


def refund_first(payment):
    return services.handle_webhook(
        get_backend("online"), event_id="evt_refund", event_type="refund.updated",
        payload={}, updates=[factories.provider_update(
            payment, UpdateKind.REFUNDED, amount=Decimal("30.00"),
            transaction_reference="re_early")])


def ledger():
    return list(Transaction.objects.order_by("pk").values_list("kind", "amount",
                                                               "provider_reference"))


def test_the_charge_the_provider_confirms_is_recorded_then_the_refund(invoice):
    payment = factories.start_online(invoice)
    get_backend("online").confirm(payment)  # paid at the provider; its news is lost

    event, duplicate = refund_first(payment)

    assert (event.status, duplicate) == (WebhookEvent.Status.PROCESSED, False)
    assert ledger() == [("charge", Decimal("80.00"), f"dummy_ch_{payment.public_id.hex}"),
                        ("refund", Decimal("30.00"), "re_early")]
    assert factories.reload(payment).status == Payment.Status.PARTIALLY_REFUNDED
    assert factories.reload(invoice).status == Invoice.Status.PAID


def test_without_a_charge_confirmed_the_delivery_is_stored_failed_for_a_retry(invoice):
    payment = factories.start_online(invoice)  # the provider has no payment to report

    with pytest.raises(ProviderNotReady):
        refund_first(payment)

    row = WebhookEvent.objects.get()
    assert row.status == WebhookEvent.Status.FAILED
    assert "ProviderNotReady" in row.error and "re_early" in row.error
    assert ledger() == []
    assert factories.reload(payment).status == Payment.Status.PENDING
