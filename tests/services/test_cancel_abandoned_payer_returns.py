"""``carepay_cancel_abandoned`` must not cancel a payment the payer came back to
after the cron listed it (the listing is read once, the cancels take provider calls)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Payment
from django_carepay.services import payments as payments_module
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payment_resumed_after_the_listing_is_not_cancelled(invoice, monkeypatch):
    payment = factories.start_online(invoice)
    Payment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(days=2),
        updated_at=timezone.now() - timedelta(days=2))
    real_cancel = payments_module.cancel_payment

    def payer_reloads_first(p, **kwargs):
        # The cron listed the stale payment; before it locks it, the payer opens the
        # pay page again (begin_payment commits a fresh updated_at: same payment).
        assert factories.start_online(invoice).pk == payment.pk
        return real_cancel(p, **kwargs)

    monkeypatch.setattr(payments_module, "cancel_payment", payer_reloads_first)

    services.cancel_abandoned_payments(older_than=timedelta(hours=24))

    # The payer is on the page with this payment right now.
    assert factories.reload(payment).status == Payment.Status.PENDING
