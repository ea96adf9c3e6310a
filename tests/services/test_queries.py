"""Query budgets of the hot paths, measured on SQLite and PostgreSQL (the same on
both). The counts include the SAVEPOINT/RELEASE pair of each service's atomic block,
since the tests run inside a transaction. A new query on these paths must be a
deliberate choice: raise the bound here with the reason."""

import pytest
from django.contrib.contenttypes.models import ContentType

from django_carepay import services
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _warm_caches(db):
    """Content types are cached per process; a real server has them warm."""
    ContentType.objects.get_for_model(Appointment)


def test_issue_invoice(django_assert_max_num_queries, draft):
    factories.make_invoice()  # this year's number series exists

    # lock invoice, lines, customer (billing snapshot), take the number (2), save,
    # the audit entry
    with django_assert_max_num_queries(9):
        services.issue_invoice(draft)


def test_issue_the_first_invoice_of_a_year(django_assert_max_num_queries, draft):
    # the same, but the first UPDATE finds no series row: it is created in its own
    # savepoint (3 queries) and incremented again (1)
    with django_assert_max_num_queries(13):
        services.issue_invoice(draft)


def test_record_payment(django_assert_max_num_queries, invoice, staff):
    # lock invoice, then the transfers awaiting approval (read after the lock, so never
    # from before its wait), insert payment, insert ledger charge, save invoice, the
    # audit entry
    with django_assert_max_num_queries(8):
        services.record_payment(invoice, backend="cash", amount="30.00", by=staff)


def test_refund_payment(django_assert_max_num_queries, invoice, staff):
    payment = factories.pay_cash(invoice)

    # lock and read the payment with its invoice, count its refund movements (the
    # idempotency key), save payment, insert ledger refund, save invoice, the audit entry
    with django_assert_max_num_queries(8):
        services.refund_payment(payment, amount="10.00", by=staff)
