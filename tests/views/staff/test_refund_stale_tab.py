"""A refund form posted from a second tab after the payment was fully
refunded meanwhile is refused on the page (409), not a server error."""

import pytest

from django_carepay import services
from django_carepay.models import Transaction
from tests import factories
from tests.views.staff.support import form, payment_url, prefix

pytestmark = pytest.mark.django_db


def test_a_stale_refund_form_of_a_refunded_payment_is_refused_not_a_500(manager_client,
                                                                       invoice):
    payment = factories.pay_cash(invoice)
    stale = form(prefix(payment, "refund"), invoice, amount="80", reason="Cancelled")
    services.refund_payment(payment, reason="Another member of staff")  # all £80

    manager_client.raise_request_exception = False
    response = manager_client.post(payment_url(payment, "refund"), stale)

    assert response.status_code in (400, 409), response.status_code
    assert Transaction.objects.refunds().count() == 1
