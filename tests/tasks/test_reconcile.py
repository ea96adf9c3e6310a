"""``carepay_reconcile`` against localstripe: the ledger compared with the provider's
PaymentIntents and refunds (listed page by page, per connected account); every kind of
difference found, ``--fix`` applying the provider's facts through the services, exit
code 1 on any difference."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_carepay import services
from django_carepay.backends.stripe import reconcile as stripe_reconcile
from django_carepay.models import AuditEntry, Invoice, Payment
from django_carepay.types import ProviderUpdate, UpdateKind
from tests import factories
from tests.backends.stripe.support import ALIAS, ledger, paid_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]

SINCE = "2000-01-01"


def reconcile(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("carepay_reconcile", "--backend", ALIAS, "--since", SINCE, *args,
                     stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def kinds(output: str) -> list[str]:
    return sorted(line.split(":")[0] for line in output.splitlines()
                  if ":" in line and not line.startswith(ALIAS))


def test_a_ledger_equal_to_stripe_is_clean(localstripe, invoice):
    payment = paid_payment(localstripe, invoice)
    services.refund_payment(payment, amount="30.00")

    code, out = reconcile()

    assert code == 0, out
    assert "1 charge(s) and 1 refund(s) compared, 0 difference(s); 2 API call(s)" in out
    entry = AuditEntry.objects.last_reconciliation(ALIAS)
    assert entry is not None and entry.actor == "system"
    assert (entry.detail["differences"], entry.detail["charges"]) == (0, 1)


def test_money_stripe_took_that_the_ledger_lacks_is_found_and_fixed(localstripe, invoice,
                                                                    other_patient):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)  # its webhook never arrived
    charge = localstripe.get(f"payment_intents/{payment.provider_reference}")[
        "latest_charge"]["id"]
    refund = localstripe.dashboard_refund(charge, 2000)  # nor did the refund's

    code, out = reconcile()
    assert code == 1
    assert kinds(out) == ["missing_in_ledger", "missing_in_ledger"]
    assert ledger(invoice) == []

    code, out = reconcile("--fix")
    assert code == 1  # differences were found (and fixed)
    assert out.count("FIXED missing_in_ledger") == 2
    assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference),
                               ("refund", Decimal("20.00"), refund["id"])]
    assert factories.reload(payment).status == Payment.Status.PARTIALLY_REFUNDED
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PROVIDER_UPDATE).count() == 2

    assert reconcile()[0] == 0  # clean now
    assert reconcile("--fix")[0] == 0  # and fixing again changes nothing
    assert len(ledger(invoice)) == 2


def test_a_ledger_row_stripe_never_had_is_reported_not_removed(localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.reset()  # Stripe has no record of it (another account, a test key…)
    services.apply_provider_update(ProviderUpdate(
        backend=ALIAS, kind=UpdateKind.SUCCEEDED, provider_reference=payment.provider_reference,
        transaction_reference=payment.provider_reference, amount=Decimal("80.00"),
        currency="GBP"))

    code, out = reconcile("--fix")

    assert code == 1
    assert kinds(out) == ["missing_at_provider"]
    assert "FIXED" not in out
    assert len(ledger(invoice)) == 1


def test_an_amount_that_differs_is_reported(localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    services.apply_provider_update(ProviderUpdate(  # a webhook that said 70
        backend=ALIAS, kind=UpdateKind.SUCCEEDED, provider_reference=payment.provider_reference,
        transaction_reference=payment.provider_reference, amount=Decimal("70.00"),
        currency="GBP"))

    code, out = reconcile()

    assert code == 1
    assert kinds(out) == ["amount_differs"]
    assert "ledger 70.000 GBP, card 80.00 GBP" in out or "ledger 70" in out


def test_a_refund_that_failed_at_stripe_is_a_status_difference_fixed_by_reversal(
        localstripe, invoice):
    payment = paid_payment(localstripe, invoice)
    refund = services.refund_payment(payment)
    localstripe.set_refund_status(refund.provider_reference, "failed")

    code, out = reconcile()
    assert code == 1 and kinds(out) == ["status_differs"]

    code, out = reconcile("--fix")
    assert "FIXED status_differs" in out
    assert [k for k, _a, _r in ledger(invoice)] == ["charge", "refund", "refund_reversal"]
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert reconcile()[0] == 0


def test_lists_are_followed_page_by_page(localstripe, monkeypatch, patient):
    monkeypatch.setattr(stripe_reconcile, "PAGE_SIZE", 2)
    for _ in range(5):
        paid_payment(localstripe, factories.make_invoice(customer=patient))

    code, out = reconcile()

    assert code == 0, out
    assert "5 charge(s) and 0 refund(s)" in out
    # intents: 3 pages (2, 2, 1); refunds: 1 empty page
    assert "4 API call(s)" in out
    lists = localstripe.api_requests("GET", "/v1/payment_intents")
    assert [r["params"].get("starting_after") is None for r in lists
            if "limit" in r["params"]] == [True, False, False]


def test_each_connected_account_is_listed(localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    Payment.objects.filter(pk=payment.pk).update(
        metadata={"stripe_account": "acct_clinic_north"})

    reconcile()

    accounts = {r["stripe_account"] for r in localstripe.api_requests("GET", "/v1/refunds")}
    assert accounts == {None, "acct_clinic_north"}


def test_a_period_excludes_what_was_created_outside_it(localstripe, invoice):
    paid_payment(localstripe, invoice)

    code, out = reconcile("--until", "2001-01-01")

    assert code == 0
    assert "0 charge(s) and 0 refund(s)" in out


def test_bad_input_is_a_clear_error():
    with pytest.raises(CommandError, match="not a YYYY-MM-DD"):
        call_command("carepay_reconcile", "--backend", ALIAS, "--since", "last week")
    with pytest.raises(CommandError, match="cannot be reconciled"):
        call_command("carepay_reconcile", "--backend", "cash", "--since", SINCE)
    with pytest.raises(CommandError):
        call_command("carepay_reconcile", "--backend", "nope", "--since", SINCE)


