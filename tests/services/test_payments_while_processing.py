"""begin_payment while a payment of the invoice is processing (a bank debit on its way):
an attempt that would pay more than is owed once the money arrives is refused and
changes nothing; one that fits beside it, or one after the debit failed, is taken."""

from __future__ import annotations

import pytest

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.exceptions import InvalidState
from django_carepay.models import Payment
from tests import factories

pytestmark = pytest.mark.django_db


def processing(invoice, amount=None) -> Payment:
    payment = factories.start_online(invoice, amount)
    services.apply_provider_update(factories.provider_update(payment, UpdateKind.PROCESSING))
    return factories.reload(payment)


def test_paying_the_amount_due_again_is_refused(invoice):
    first = processing(invoice)
    before = list(Payment.objects.values_list("pk", "status", "updated_at"))

    with pytest.raises(InvalidState, match=r"still being processed by Online \(test\); "
                                           "wait for its result before paying again"):
        services.begin_payment(invoice, backend="online")

    assert list(Payment.objects.values_list("pk", "status", "updated_at")) == before
    assert factories.reload(first).status == Payment.Status.PROCESSING


def test_an_amount_that_fits_beside_it_is_taken(invoice):
    processing(invoice, "30.00")  # of the £80 due

    started = services.begin_payment(invoice, backend="online", amount="50.00")
    assert started.payment.status == Payment.Status.PENDING
    assert started.payment.amount == 50

    with pytest.raises(InvalidState):
        services.begin_payment(invoice, backend="online", amount="50.01")


def test_once_the_debit_failed_the_payer_pays_again(invoice):
    first = processing(invoice)
    services.apply_provider_update(factories.provider_update(first, UpdateKind.FAILED))

    started = services.begin_payment(invoice, backend="online")

    assert started.payment.pk != first.pk
    assert started.action is not None
