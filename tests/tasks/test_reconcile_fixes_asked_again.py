"""``carepay_reconcile --fix`` applies the provider's facts as they were when
listed. A refund listed ``pending`` that fails before the fix is applied (its
``refund.failed`` webhook found nothing to undo) is then recorded as money returned:
the ledger shows a refund Stripe says failed, the payer was never repaid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from django_carepay import services
from django_carepay.backends.stripe import reconcile as stripe_reconcile
from django_carepay.backends.stripe.backend import StripeBackend
from django_carepay.models import Payment
from tests import factories
from tests.backends.stripe.support import ALIAS, paid_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


def test_fix_does_not_record_a_refund_that_failed_after_the_listing(localstripe, invoice,
                                                                    monkeypatch):
    payment = paid_payment(localstripe, invoice)
    charge = localstripe.get(f"payment_intents/{payment.provider_reference}")[
        "latest_charge"]["id"]
    refund = localstripe.dashboard_refund(charge, 2000)  # made in the dashboard
    failed = {**refund, "status": "failed", "failure_reason": "expired_or_canceled_card"}
    real_list = StripeBackend.reconciliation_records

    def listing(self, **kwargs):
        for record in real_list(self, **kwargs):
            if record.reference == refund["id"]:  # listed while still pending
                record = stripe_reconcile.refund_record(
                    self, {**refund, "status": "pending"}, record.account)
            yield record
        # ...then it fails at Stripe, and its refund.failed webhook is applied (nothing
        # recorded to undo yet) while the reconcile is still running.
        update = stripe_reconcile.refund_record(self, failed).update
        services.apply_provider_update(update)

    def fetch(self, kind, reference, account=""):  # Stripe's answer from now on
        if reference == refund["id"]:
            return stripe_reconcile.refund_record(self, failed, account)
        return stripe_reconcile.fetch_record(self, kind, reference, account)

    monkeypatch.setattr(StripeBackend, "reconciliation_records", listing)
    monkeypatch.setattr(StripeBackend, "fetch_record", fetch)

    services.reconcile_ledger(ALIAS, since=timezone.now().replace(year=2000), fix=True)

    payment = factories.reload(payment)
    assert payment.amount_refunded == Decimal("0.00"), "a failed refund recorded as paid"
    assert payment.status == Payment.Status.SUCCEEDED
