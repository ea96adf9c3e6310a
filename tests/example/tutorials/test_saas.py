"""docs/tutorials/saas.md: a bank transfer approved by finance activates the account.
Included in the tutorial from the marker below, so keep it a file a reader can copy."""

# -- docs/tutorials/saas.md includes this file from here --
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from saas.billing import sign_up
from saas.models import Account, Plan

from django_carepay.testing import capture_signals, pay_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user("bilal", email="bilal@example.com")


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user("frank", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="carepay",
                                                     codename="approve_payment"))
    return user


@pytest.fixture
def growth_plan():
    plan = Plan.objects.create(slug="growth", name="Growth", monthly_price=Decimal("79.00"),
                               currency="GBP", credits=50_000)
    plan.prices.create(currency="PKR", monthly_price=Decimal("27500.00"))
    return plan


def test_an_approved_transfer_activates_the_account(customer, finance, growth_plan):
    subscription = sign_up(owner=customer, name="Indus Looms", plan=growth_plan,
                           country="PK")
    assert subscription.invoice.currency == "PKR"
    with capture_signals(sender=Account) as sent:
        pay_invoice(subscription.invoice, backend="bank_transfer_pk", by=finance)
    assert sent.names() == [
        "payment_submitted", "payment_approved", "payment_succeeded", "invoice_paid"]
    subscription.account.refresh_from_db()
    assert subscription.account.status == Account.Status.ACTIVE
    assert subscription.account.credits == 50_000
