"""The audit trail: one entry per staff or provider-driven money action, written in the
action's own transaction, append-only like the ledger, read-only in the admin."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db.utils import IntegrityError
from django.test.utils import CaptureQueriesContext

from django_carepay import services, signals
from django_carepay.backends import UpdateKind
from django_carepay.exceptions import InvalidState, LedgerImmutable
from django_carepay.models import AuditEntry, Invoice
from tests import factories

pytestmark = pytest.mark.django_db

A = AuditEntry.Action


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("pk").values_list(
        "action", "actor", "amount", "from_status", "to_status"))


def test_issue_void_and_write_off_are_audited_with_who_and_status(draft, staff):
    services.issue_invoice(draft, by=staff)
    services.void_invoice(draft, by=staff, reason="booked twice")
    other = factories.make_invoice()
    services.write_off_invoice(other, reason="moved abroad")  # by nobody: the system

    assert entries(invoice=draft) == [
        (A.INVOICE_ISSUED, "reception", Decimal("80.000"), "draft", "open"),
        (A.INVOICE_VOIDED, "reception", Decimal("80.000"), "open", "void"),
    ]
    written_off = AuditEntry.objects.get(invoice=other, action=A.INVOICE_WRITTEN_OFF)
    assert (written_off.action, written_off.actor, written_off.user, written_off.amount,
            written_off.detail) == (A.INVOICE_WRITTEN_OFF, "system", None, Decimal("80.000"),
                                    {"reason": "moved abroad"})
    issued = AuditEntry.objects.get(action=A.INVOICE_ISSUED, invoice=draft)
    assert (issued.user, issued.detail) == (staff, {"number": draft.number})


def test_recording_and_refunding_are_audited(invoice, staff):
    payment = services.record_payment(invoice, backend="cash", amount="80.00", by=staff,
                                      reference="R1")
    services.refund_payment(payment, amount="30.00", by=staff, reason="goodwill")

    assert entries(payment=payment) == [
        (A.PAYMENT_RECORDED, "reception", Decimal("80.000"), "", "succeeded"),
        (A.PAYMENT_REFUNDED, "reception", Decimal("30.000"), "succeeded",
         "partially_refunded"),
    ]
    recorded, refunded = AuditEntry.objects.filter(payment=payment).order_by("pk")
    assert recorded.invoice == invoice and recorded.currency == "GBP"
    assert recorded.detail["invoice_status"] == "paid"
    assert refunded.detail["reason"] == "goodwill"


def test_approve_and_reject_are_audited(invoice, staff, patient):
    def submit(reference):
        return services.submit_transfer(invoice, backend="bank", amount="40.00",
                                        reference=reference, by=patient)

    with _bank_transfer():
        first, second = submit("BT-1"), submit("BT-2")
        services.approve_payment(first, by=staff, notes="seen on statement")
        services.reject_payment(second, by=staff, notes="not on statement")

    assert entries(invoice=invoice, action__in=[A.PAYMENT_APPROVED, A.PAYMENT_REJECTED]) == [
        (A.PAYMENT_APPROVED, "reception", Decimal("40.000"), "awaiting_approval",
         "succeeded"),
        (A.PAYMENT_REJECTED, "reception", Decimal("40.000"), "awaiting_approval", "failed"),
    ]


def test_a_staff_cancel_is_audited(invoice, staff):
    payment = factories.start_online(invoice)

    services.cancel_payment(payment, by=staff)

    assert entries(payment=payment) == [
        (A.PAYMENT_CANCELLED, "reception", None, "pending", "cancelled")]


def test_provider_updates_are_audited_once_as_the_provider(invoice):
    payment = factories.start_online(invoice)
    update = factories.provider_update(payment, event_id="evt_1")

    services.apply_provider_update(update)
    services.apply_provider_update(update)  # a repeat changes nothing, so no entry
    services.apply_provider_update(factories.provider_update(payment, UpdateKind.FAILED))

    entry = AuditEntry.objects.get(payment=payment)
    assert (entry.action, entry.actor, entry.user, entry.amount, entry.from_status,
            entry.to_status) == (A.PROVIDER_UPDATE, "provider:online", None,
                                 Decimal("80.000"), "pending", "succeeded")
    assert entry.detail["kind"] == "succeeded"
    assert entry.detail["event"] == "evt_1"
    assert entry.detail["invoice_status"] == "paid"


def test_an_entry_rolls_back_with_its_action(invoice, staff, receive):
    def refuse(**kwargs):
        raise IntegrityError("the host's receiver failed")

    receive(signals.payment_succeeded, sender=None, action=refuse)
    with pytest.raises(IntegrityError):
        services.record_payment(invoice, backend="cash", by=staff)

    assert not AuditEntry.objects.exclude(action=A.INVOICE_ISSUED).exists()
    assert factories.reload(invoice).status == Invoice.Status.OPEN


def test_a_refusal_writes_no_entry(invoice, staff):
    with pytest.raises(InvalidState):
        services.issue_invoice(invoice, by=staff)

    assert AuditEntry.objects.filter(invoice=invoice).count() == 1  # its first issue


def test_entries_are_append_only(invoice, staff):
    factories.pay_cash(invoice, by=staff)
    entry = AuditEntry.objects.get(action=A.PAYMENT_RECORDED)

    entry.actor = "someone else"
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(actor="x")
    with pytest.raises(LedgerImmutable):
        AuditEntry.objects.all().delete()
    assert factories.reload(entry).actor == "reception"


def test_the_audit_helper_records_custom_actions_in_the_callers_transaction(invoice, staff):
    entry = services.audit(A.PAYMENT_RECORDED, by=staff, invoice=invoice,
                           amount=Decimal("5.00"), detail={"when": invoice.issued_at})

    assert (entry.actor, entry.currency) == ("reception", "GBP")
    assert isinstance(entry.detail["when"], str)  # made JSON-safe


def test_money_log_lines_carry_invoice_payment_and_event(invoice, caplog):
    payment = factories.start_online(invoice)
    caplog.set_level(logging.INFO, logger="django_carepay")

    services.apply_provider_update(factories.provider_update(payment, event_id="evt_9"))
    services.apply_provider_update(factories.provider_update(payment, UpdateKind.FAILED,
                                                             event_id="evt_10"))

    records = [r for r in caplog.records if r.name == "django_carepay"]
    assert records
    for record in records:
        assert record.invoice == invoice.number  # type: ignore[attr-defined]
        assert record.payment == str(payment.public_id)  # type: ignore[attr-defined]
    assert [r.event for r in records] == ["evt_9", "evt_10"]  # type: ignore[attr-defined]


# -- the admin --------------------------------------------------------------------------

def test_the_admin_lists_filters_and_never_edits(admin_client, invoice, staff, patient):
    factories.pay_cash(invoice, by=staff)
    other = factories.make_invoice(customer=patient)
    base = "/admin/carepay/auditentry/"

    page = admin_client.get(base)
    by_invoice = admin_client.get(base, {"invoice": other.number})
    by_action = admin_client.get(base, {"action__exact": A.PAYMENT_RECORDED})
    by_user = admin_client.get(base, {"user__id__exact": staff.pk})
    entry = AuditEntry.objects.get(action=A.PAYMENT_RECORDED)
    change = admin_client.get(f"{base}{entry.pk}/change/")

    assert page.status_code == 200 and invoice.number in page.text
    assert by_invoice.status_code == 200
    assert list(by_invoice.context["cl"].result_list) == list(
        AuditEntry.objects.filter(invoice=other))
    assert [e.action for e in by_action.context["cl"].result_list] == [A.PAYMENT_RECORDED]
    assert {e.user for e in by_user.context["cl"].result_list} == {staff}
    assert change.status_code == 200 and "Save" not in change.text
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{entry.pk}/delete/").status_code == 403


def test_the_admin_changelist_costs_the_same_whatever_the_rows(admin_client, staff, patient):
    from django.db import connection

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/carepay/auditentry/").status_code == 200
        return len(queries)

    factories.pay_cash(factories.make_invoice(customer=patient), by=staff)
    one = count()
    for _ in range(4):
        factories.pay_cash(factories.make_invoice(customer=patient), by=staff)
    assert count() == one


def test_view_permission_is_enough_to_read(client, django_user_model, invoice, staff):
    factories.pay_cash(invoice, by=staff)
    auditor = django_user_model.objects.create_user("auditor", password="pw", is_staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(auditor)

    assert client.get("/admin/carepay/auditentry/").status_code == 200


# -- helpers ---------------------------------------------------------------------------

def _bank_transfer():
    from django.conf import settings
    from django.test import override_settings

    carepay = dict(settings.CAREPAY)
    carepay["BACKENDS"] = {**carepay["BACKENDS"], "bank": {
        "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
        "OPTIONS": {"label": "Bank transfer", "instructions": "Pay us."}}}
    return override_settings(CAREPAY=carepay)

