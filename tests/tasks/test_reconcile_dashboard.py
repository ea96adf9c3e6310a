"""The dashboard's reconciliation summary: the last ``carepay_reconcile`` run of each
backend that can be reconciled, read from the audit trail, with differences it did not
fix counted as needing attention. Runs the real command against localstripe."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_carepay import services
from django_carepay.reports.reconciliation import STALE_AFTER, reconciliation_statuses
from tests.backends.stripe.support import ALIAS
from tests.reports.fixtures import grant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]

URL = "/billing/staff/dashboard/"


@pytest.fixture
def finance_client(client, django_user_model):
    user = django_user_model.objects.create_user("finance", password="pw", is_staff=True)
    client.force_login(grant(user, "view_dashboard", "view_invoice", "view_payment"))
    return client


def reconcile(*args: str) -> int:
    try:
        call_command("carepay_reconcile", "--backend", ALIAS, "--since", "2000-01-01",
                     *args, stdout=StringIO())
    except CommandError as exc:
        return int(exc.returncode)
    return 0


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_backend_never_reconciled_is_shown_with_the_command_to_run(finance_client):
    (status,) = reconciliation_statuses()
    assert (status.backend, status.checked_at, status.stale) == (ALIAS, None, True)

    text = page(finance_client)
    assert "Reconciliation with the provider" in text
    assert f"Not reconciled yet: manage.py carepay_reconcile --backend {ALIAS}" in text
    assert "Nothing needs attention" in text  # not run is not a difference


def test_differences_not_fixed_need_attention_until_a_run_fixes_them(
        finance_client, localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)  # its webhook never arrived

    assert reconcile() == 1
    (status,) = reconciliation_statuses()
    assert (status.charges, status.differences, status.fixed, status.unresolved) == (1, 1, 0, 1)
    assert status.by_kind == {"missing_in_ledger": 1} and not status.stale
    text = page(finance_client)
    assert "Ledger differs from the provider" in text
    assert "1 difference not fixed" in text
    assert "missing in the ledger: 1" in text
    assert "Nothing needs attention" not in text

    assert reconcile("--fix") == 1  # found, and fixed
    text = page(finance_client)
    assert "Agrees after 1 fix" in text
    assert "Ledger differs from the provider" not in text

    assert reconcile() == 0
    text = page(finance_client)
    assert "Agrees" in text and "Agrees after" not in text
    assert "Nothing needs attention" in text


def test_a_run_older_than_two_days_is_overdue(localstripe, invoice):
    assert reconcile() == 0
    later = timezone.now() + STALE_AFTER + timedelta(minutes=1)
    (status,) = reconciliation_statuses(now=later)
    assert status.stale and status.unresolved == 0


def test_the_summary_costs_one_query_per_reconcilable_backend(
        finance_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        reconciliation_statuses()
