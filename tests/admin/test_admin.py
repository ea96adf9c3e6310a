"""The admin: pages render, changes go through the services, permissions hold."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_carepay import services
from django_carepay.models import (
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    Payment,
    Transaction,
    WebhookEvent,
)
from tests import factories
from tests.admin.support import (
    awaiting_approval,
    form_as_shown,
    messages_of,
    run_action,
    url,
)
from tests.backends.bank_transfer.support import (
    CLINIC_TRANSFER,
    configure_backends,
    pdf_proof,
    submit,
    today,
)
from tests.threads import blocked_on_locks

pytestmark = pytest.mark.django_db


def action_choices(client: Client, model: str) -> set[str]:
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


@pytest.fixture
def staff_client(django_user_model) -> Callable[..., Client]:
    """A logged-in client for a staff member holding exactly the given permissions."""

    def make(*perms: str, username: str = "clerk") -> Client:
        user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename))
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def paid(invoice, admin_user) -> Payment:
    """£80 received in cash on ``invoice`` (now paid)."""
    return factories.pay_cash(invoice, by=admin_user)


# -- every page renders ------------------------------------------------------------------

@pytest.fixture
def one_of_each(invoice, paid) -> dict[str, Any]:
    event = WebhookEvent.objects.create(
        backend="online", event_id="evt_1", type="payment_intent.succeeded",
        payload={"id": "evt_1", "data": {"object": {"id": "pi_1"}}},
        headers={"Stripe-Signature": "t=1,v1=abc"}, needs_attention=True,
    )
    reminder = InvoiceReminder.objects.create(invoice=invoice, step=7)
    return {"invoice": invoice, "payment": paid, "transaction": paid.transactions.get(),
            "webhookevent": event, "invoicereminder": reminder}


@pytest.mark.parametrize("model", ["invoice", "payment", "transaction", "webhookevent",
                                   "invoicereminder"])
def test_changelist_and_change_page_render(admin_client, one_of_each, model):
    obj = one_of_each[model]

    changelist = admin_client.get(url(model, "changelist"))
    change = admin_client.get(url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert url(model, "change", obj.pk) in changelist.text


def cell(html: str, column: str) -> str:
    """The text of the first table cell of ``column`` in an admin page."""
    match = re.search(rf'<td class="field-{column}">\s*<p>(.*?)</p>', html, re.S)
    assert match, f"no {column} column"
    return match.group(1).strip()


def test_invoice_pages_show_number_amounts_and_links(admin_client, invoice, paid,
                                                     appointment):
    changelist = admin_client.get(url("invoice", "changelist"))
    change = admin_client.get(url("invoice", "change", invoice.pk))

    assert invoice.number in changelist.text
    assert "Ada Lovelace" in changelist.text
    assert "£80.00" in changelist.text
    assert str(appointment) in change.text  # the subject (not in this admin: no link)
    # An issued invoice's lines are frozen and shown formatted.
    assert cell(change.text, "description") == "GP consultation"
    assert cell(change.text, "quantity_display") == "1"
    assert cell(change.text, "unit_price_display") == "£80.00"
    assert cell(change.text, "tax_rate_display") == "0%"
    assert cell(change.text, "line_total_display") == "£80.00"
    # The payment inline links to the payment's own page.
    assert url("payment", "change", paid.pk) in change.text


def test_webhook_event_page_shows_the_payload_readably(admin_client, one_of_each):
    event = one_of_each["webhookevent"]

    response = admin_client.get(url("webhookevent", "change", event.pk))

    assert "<pre>{\n  &quot;data&quot;" in response.text
    assert "Stripe-Signature" in response.text


@pytest.mark.parametrize("model", ["invoice", "payment", "transaction"])
def test_changelist_queries_do_not_grow_with_rows(admin_client, patient, admin_user, model):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(model, "changelist")).status_code == 200
        return len(queries)

    factories.pay_cash(factories.make_invoice(customer=patient), by=admin_user)
    with_one = count_queries()
    for _ in range(4):
        factories.pay_cash(factories.make_invoice(customer=patient), by=admin_user)
    with_five = count_queries()

    assert with_five == with_one


def test_invoice_search_finds_customer_and_billing_details(admin_client, invoice, patient):
    other = factories.make_invoice(billing={"name": "Grace Hopper"})

    by_email = admin_client.get(url("invoice", "changelist"), {"q": patient.email})
    by_name = admin_client.get(url("invoice", "changelist"), {"q": "Hopper"})

    assert list(by_email.context["cl"].result_list) == [invoice]
    assert list(by_name.context["cl"].result_list) == [other]


# -- adding and editing invoices ------------------------------------------------------------

def invoice_form_data(**fields: Any) -> dict[str, Any]:
    """A complete POST of the invoice form with its inlines' management forms."""
    data = {
        "currency": "GBP", "customer": "", "due_date": "", "billing_name": "Ada Lovelace",
        "billing_email": "ada@example.com", "billing_address": "", "billing_country": "gb",
        "billing_tax_id": "", "notes": "",
        "lines-TOTAL_FORMS": 0, "lines-INITIAL_FORMS": 0,
        "payments-TOTAL_FORMS": 0, "payments-INITIAL_FORMS": 0,
        "transactions-TOTAL_FORMS": 0, "transactions-INITIAL_FORMS": 0,
    }
    data.update(fields)
    return data


def new_line(index: int, description: str, unit_price: str, quantity: str = "1",
             tax_rate: str = "0") -> dict[str, str]:
    prefix = f"lines-{index}-"
    return {f"{prefix}description": description, f"{prefix}quantity": quantity,
            f"{prefix}unit_price": unit_price, f"{prefix}tax_rate": tax_rate,
            f"{prefix}service_date": "", f"{prefix}provider_name": ""}


def test_adding_an_invoice_makes_a_priced_draft(admin_client):
    response = admin_client.post(url("invoice", "add"), invoice_form_data(
        **{"lines-TOTAL_FORMS": 2},
        **new_line(0, "GP consultation", "80.00"),
        **new_line(1, "Blood test", "12.50", quantity="2", tax_rate="20"),
    ))

    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number is None
    assert invoice.billing_country == "GB"
    assert [(line.description, line.line_total, line.tax_amount) for line in invoice.lines.all()] \
        == [("GP consultation", Decimal("80.00"), 0), ("Blood test", Decimal("25.00"), 5)]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (105, 5, 110)


def test_adding_an_invoice_refuses_an_unknown_currency(admin_client):
    response = admin_client.post(url("invoice", "add"), invoice_form_data(currency="XYZ"))

    assert response.status_code == 200
    assert "is not an ISO 4217 currency code" in response.text
    assert not Invoice.objects.exists()


def test_a_line_priced_finer_than_its_currency_is_refused(admin_client):
    response = admin_client.post(url("invoice", "add"), invoice_form_data(
        currency="JPY", **{"lines-TOTAL_FORMS": 1}, **new_line(0, "Consultation", "500.5"),
    ))

    assert response.status_code == 200
    assert "more decimal places than JPY allows" in response.text
    assert not Invoice.objects.exists()


def test_a_line_with_no_quantity_is_refused(admin_client, draft):
    response = admin_client.post(url("invoice", "change", draft.pk), invoice_form_data(
        **{"lines-TOTAL_FORMS": 2, "lines-INITIAL_FORMS": 1,
           "lines-0-id": draft.lines.get().pk, "lines-0-invoice": draft.pk},
        **new_line(1, "Dressing", "5.00", quantity="0"),
    ))

    assert response.status_code == 200
    assert "Quantity 0 must be greater than 0" in response.text
    assert draft.lines.count() == 1


def test_a_draft_gets_new_lines_through_the_service(admin_client, draft):
    line = draft.lines.get()

    response = admin_client.post(url("invoice", "change", draft.pk), invoice_form_data(
        notes="Follow-up booked",
        **{"lines-TOTAL_FORMS": 2, "lines-INITIAL_FORMS": 1,
           "lines-0-id": line.pk, "lines-0-invoice": draft.pk},
        **new_line(0, "GP consultation", "80.00"),
        **new_line(1, "Dressing", "5.00", tax_rate="20"),
    ))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert [line.description for line in draft.lines.all()] == ["GP consultation", "Dressing"]
    assert (draft.subtotal, draft.tax, draft.total) == (85, 1, 86)
    assert draft.notes == "Follow-up booked"


def test_a_draft_line_is_repriced_and_removed_through_the_services(admin_client, draft):
    line = draft.lines.get()
    services.add_line(draft, description="Dressing", unit_price="5.00")
    dressing = draft.lines.get(description="Dressing")

    response = admin_client.post(url("invoice", "change", draft.pk), invoice_form_data(
        **{"lines-TOTAL_FORMS": 2, "lines-INITIAL_FORMS": 2,
           "lines-0-id": line.pk, "lines-0-invoice": draft.pk,
           "lines-1-id": dressing.pk, "lines-1-invoice": draft.pk, "lines-1-DELETE": "on"},
        **new_line(0, "GP consultation (long)", "95.00", tax_rate="20"),
        **new_line(1, "Dressing", "5.00"),
    ))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert [x.description for x in draft.lines.all()] == ["GP consultation (long)"]
    assert (draft.subtotal, draft.tax, draft.total) == (95, 19, 114)


def test_the_status_is_never_a_form_field(admin_client, draft):
    add_form = admin_client.get(url("invoice", "add")).context["adminform"].form
    change_form = admin_client.get(url("invoice", "change", draft.pk)).context["adminform"].form

    admin_client.post(url("invoice", "change", draft.pk), invoice_form_data(
        status="paid", number="INV-FAKE", total="1.00",
        **{"lines-INITIAL_FORMS": 1, "lines-TOTAL_FORMS": 1,
           "lines-0-id": draft.lines.get().pk, "lines-0-invoice": draft.pk},
    ))

    assert {"status", "number", "total", "amount_paid"}.isdisjoint(add_form.fields)
    assert {"status", "number", "total", "amount_paid"}.isdisjoint(change_form.fields)
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.total) == ("draft", None, 80)


def test_an_issued_invoice_only_takes_notes(admin_client, invoice, paid):
    invoice.refresh_from_db()
    page = admin_client.get(url("invoice", "change", invoice.pk))
    line_formset = next(fs for fs in page.context["inline_admin_formsets"]
                        if fs.formset.model is InvoiceLine)

    response = admin_client.post(url("invoice", "change", invoice.pk), invoice_form_data(
        billing_name="Someone Else", notes="Paid at the desk",
        **{"lines-INITIAL_FORMS": 1, "lines-TOTAL_FORMS": 2,
           "lines-0-id": invoice.lines.get().pk, "lines-0-invoice": invoice.pk,
           "payments-INITIAL_FORMS": 1, "payments-TOTAL_FORMS": 1, "payments-0-id": paid.pk,
           "transactions-INITIAL_FORMS": 1, "transactions-TOTAL_FORMS": 1,
           "transactions-0-id": paid.transactions.get().pk},
        **new_line(1, "Sneaked in", "10.00"),
    ))

    assert set(page.context["adminform"].form.fields) == {"notes"}
    assert line_formset.formset.max_num == 0  # no "add another line"
    assert not line_formset.formset.can_delete
    assert response.status_code == 302
    after = Invoice.objects.get(pk=invoice.pk)
    assert after.notes == "Paid at the desk"
    assert after.billing_name == "Ada Lovelace"
    assert after.lines.count() == 1
    assert (after.status, after.amount_paid, after.total) == ("paid", 80, 80)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_saving_the_form_never_overwrites_a_payment_recorded_meanwhile(admin_user):
    """The change form locks the invoice when it loads it on a POST, so it saves over
    the row as it is, not over a copy read before a payment landed."""
    invoice = factories.make_invoice()
    client = Client()
    client.force_login(admin_user)
    responses: list[Any] = []

    def save_notes() -> None:
        try:
            responses.append(client.post(url("invoice", "change", invoice.pk), invoice_form_data(
                notes="Called the patient",
                **{"lines-INITIAL_FORMS": 1, "lines-TOTAL_FORMS": 1,
                   "lines-0-id": invoice.lines.get().pk, "lines-0-invoice": invoice.pk},
            )))
        finally:
            connection.close()

    with transaction.atomic():
        Invoice.objects.select_for_update().get(pk=invoice.pk)  # as a service would
        editor = threading.Thread(target=save_notes)
        editor.start()
        deadline = time.monotonic() + 10
        while not blocked_on_locks():
            assert time.monotonic() < deadline, "the admin never waited for the lock"
            time.sleep(0.01)
            with connection.cursor() as cursor:
                # pg_stat_activity is a snapshot taken once per transaction; refresh it.
                cursor.execute("SELECT pg_stat_clear_snapshot()")
        factories.pay_cash(invoice, "30.00", by=admin_user)
    editor.join(timeout=30)

    assert [r.status_code for r in responses] == [302]
    invoice.refresh_from_db()
    assert (invoice.notes, invoice.amount_paid, invoice.amount_due) == (
        "Called the patient", 30, 50)


def test_only_drafts_can_be_deleted(admin_client, draft):
    issued = factories.make_invoice()

    assert admin_client.get(url("invoice", "delete", issued.pk)).status_code == 403
    assert "delete_selected" not in action_choices(admin_client, "invoice")
    response = admin_client.post(url("invoice", "delete", draft.pk), {"post": "yes"})

    assert response.status_code == 302
    assert list(Invoice.objects.all()) == [issued]


# -- invoice actions ------------------------------------------------------------------------

def test_issue_action_numbers_the_drafts_in_the_order_they_were_made(admin_client):
    first = factories.make_invoice(issue=False)
    second = factories.make_invoice(issue=False)

    response = run_action(admin_client, "invoice", "issue_drafts", [second, first])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("open", "open")
    assert first.number.endswith("00001")
    assert second.number.endswith("00002")
    assert messages_of(response) == [f"Issued 2 invoices: {first.number}, {second.number}."]


def test_issue_action_reports_each_refusal_and_issues_the_rest(admin_client):
    empty = factories.make_invoice(lines=(), issue=False)
    good = factories.make_invoice(issue=False)

    response = run_action(admin_client, "invoice", "issue_drafts", [empty, good])

    empty.refresh_from_db()
    good.refresh_from_db()
    assert empty.status == "draft"
    assert good.status == "open"
    errors, success = messages_of(response)
    assert f"Draft invoice #{empty.pk} has no lines" in errors
    assert success == f"Issued 1 invoice: {good.number}."


def test_void_asks_for_confirmation_first(admin_client, invoice):
    response = run_action(admin_client, "invoice", "void_invoices", [invoice])

    assert response.status_code == 200
    assert "Void these invoices?" in response.text
    assert invoice.number in response.text
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_void_is_refused_when_money_was_received_and_voids_the_others(
        admin_client, nothing_changes):
    part_paid = factories.make_invoice()
    factories.pay_cash(part_paid, "30.00")
    unpaid = factories.make_invoice()
    part_paid.refresh_from_db()

    with nothing_changes(part_paid):
        response = run_action(admin_client, "invoice", "void_invoices", [part_paid],
                              post="yes", reason="")
    [error] = messages_of(response)
    assert error.startswith(f"Invoice {part_paid.number} has received ")

    response = run_action(admin_client, "invoice", "void_invoices", [part_paid, unpaid],
                          post="yes", reason="Booked twice")

    errors, success = messages_of(response)
    assert "has received" in errors
    assert success == f"Voided 1 invoice: {unpaid.number}."
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.close_reason) == ("void", "Booked twice")
    assert Invoice.objects.get(pk=part_paid.pk).status == "open"


def test_write_off_keeps_money_received(admin_client):
    invoice = factories.make_invoice()
    factories.pay_cash(invoice, "30.00")

    response = run_action(admin_client, "invoice", "write_off_invoices", [invoice],
                          post="yes", reason="Patient moved abroad")

    invoice.refresh_from_db()
    assert response.redirect_chain == [(url("invoice", "changelist"), 302)]
    assert (invoice.status, invoice.amount_paid) == ("uncollectible", 30)
    assert invoice.close_reason == "Patient moved abroad"


def test_void_and_write_off_need_the_void_permission(staff_client, invoice):
    clerk = staff_client("carepay.view_invoice", "carepay.change_invoice")

    assert action_choices(clerk, "invoice") == {"issue_drafts"}
    response = run_action(clerk, "invoice", "void_invoices", [invoice], post="yes")

    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert messages_of(response) == ["No action selected."]


def test_void_actions_are_offered_with_the_void_permission(staff_client, invoice):
    client = staff_client("carepay.view_invoice", "carepay.void_invoice")

    assert action_choices(client, "invoice") == {"void_invoices", "write_off_invoices"}
    run_action(client, "invoice", "void_invoices", [invoice], post="yes")

    invoice.refresh_from_db()
    assert invoice.status == "void"


# -- recording a payment ---------------------------------------------------------------------

def test_record_payment_form_offers_staff_methods_and_the_amount_due(admin_client, invoice):
    change = admin_client.get(url("invoice", "change", invoice.pk))
    response = admin_client.get(url("invoice", "record_payment", invoice.pk))

    assert url("invoice", "record_payment", invoice.pk) in change.text
    assert response.status_code == 200
    form = response.context["form"]
    assert form.fields["backend"].choices == [("cash", "Cash"), ("terminal", "Card terminal")]
    assert form["amount"].value() == Decimal("80.00")
    assert "£80.00" in response.text


def test_record_payment_offers_only_methods_that_take_the_currency(admin_client):
    euros = factories.make_invoice(currency="EUR")

    response = admin_client.get(url("invoice", "record_payment", euros.pk))

    assert response.context["form"].fields["backend"].choices == [("cash", "Cash")]


def test_record_payment_records_through_the_service(admin_client, admin_user, invoice):
    page = url("invoice", "record_payment", invoice.pk)
    response = admin_client.post(page, form_as_shown(
        admin_client, page, backend="terminal", amount="50.00", reference="T-1234",
        notes="Visa"), follow=True)

    payment = Payment.objects.get()
    assert (payment.backend, payment.amount, payment.reference, payment.status) == (
        "terminal", 50, "T-1234", "succeeded")
    assert payment.recorded_by == admin_user
    assert payment.transactions.get().amount == 50
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("open", 30)
    assert response.redirect_chain[-1][0] == url("invoice", "change", invoice.pk)
    assert messages_of(response) == [
        f"Recorded £50.00 (terminal) on {invoice.number}."]


def test_record_payment_refuses_more_than_is_due(admin_client, invoice, nothing_changes):
    page = url("invoice", "record_payment", invoice.pk)
    data = form_as_shown(admin_client, page, backend="cash", amount="80.01")
    with nothing_changes(invoice):
        response = admin_client.post(page, data)

    assert response.status_code == 200
    assert "is more than the" in response.context["form"].errors["amount"][0]
    assert "is more than the" in response.text
    assert not Payment.objects.exists()


def test_record_payment_on_a_paid_invoice_goes_back_with_an_error(admin_client, invoice, paid):
    response = admin_client.get(url("invoice", "record_payment", invoice.pk), follow=True)

    assert response.redirect_chain[-1][0] == url("invoice", "change", invoice.pk)
    assert "payments can only be recorded on open or overdue invoices" in \
        messages_of(response)[0]
    assert Payment.objects.count() == 1


def test_record_payment_needs_the_permission(staff_client, invoice):
    clerk = staff_client("carepay.view_invoice")

    change = clerk.get(url("invoice", "change", invoice.pk))
    form = clerk.get(url("invoice", "record_payment", invoice.pk))
    post = clerk.post(url("invoice", "record_payment", invoice.pk),
                      {"backend": "cash", "amount": "80.00"})

    assert change.status_code == 200
    assert url("invoice", "record_payment", invoice.pk) not in change.text
    assert (form.status_code, post.status_code) == (403, 403)
    assert not Payment.objects.exists()


def test_record_payment_with_the_permission(staff_client, invoice):
    receptionist = staff_client("carepay.view_invoice", "carepay.record_payment")

    page = url("invoice", "record_payment", invoice.pk)
    receptionist.post(page, form_as_shown(receptionist, page, backend="cash"))

    invoice.refresh_from_db()
    assert invoice.status == "paid"


# -- payments ------------------------------------------------------------------------------

def test_payments_cannot_be_added_changed_or_deleted(admin_client, paid):
    assert admin_client.get(url("payment", "add")).status_code == 403
    assert admin_client.post(url("payment", "change", paid.pk), {"notes": "x"}).status_code \
        == 403
    assert admin_client.post(url("payment", "delete", paid.pk), {"post": "yes"}).status_code \
        == 403
    assert factories.reload(paid).notes == ""


def test_refund_needs_the_permission(staff_client, paid):
    clerk = staff_client("carepay.view_payment")

    change = clerk.get(url("payment", "change", paid.pk))
    form = clerk.get(url("payment", "refund", paid.pk))
    post = clerk.post(url("payment", "refund", paid.pk), {"amount": "10.00", "reason": "x"})

    assert change.status_code == 200
    assert url("payment", "refund", paid.pk) not in change.text
    assert (form.status_code, post.status_code) == (403, 403)
    assert not Transaction.objects.refunds().exists()


def test_refund_with_the_permission(staff_client, paid):
    partner = staff_client("carepay.view_payment", "carepay.refund_payment")

    change = partner.get(url("payment", "change", paid.pk))
    form = partner.get(url("payment", "refund", paid.pk))
    response = partner.post(url("payment", "refund", paid.pk), form_as_shown(
        partner, url("payment", "refund", paid.pk), amount="30.00",
        reason="Shorter appointment"), follow=True)

    assert url("payment", "refund", paid.pk) in change.text
    assert form.context["form"]["amount"].value() == Decimal("80.00")
    refund = Transaction.objects.refunds().get()
    assert (refund.amount, refund.note, refund.created_by.username) == (
        30, "Shorter appointment", "clerk")
    paid.refresh_from_db()
    assert (paid.status, paid.refundable_amount) == ("partially_refunded", 50)
    assert messages_of(response) == [f"Refunded £30.00 on {paid.invoice.number}."]


def test_refund_refuses_more_than_is_refundable(admin_client, paid, nothing_changes):
    data = form_as_shown(admin_client, url("payment", "refund", paid.pk), amount="80.01")
    with nothing_changes(paid):
        response = admin_client.post(url("payment", "refund", paid.pk), data)

    assert response.status_code == 200
    assert "that can still be refunded" in response.context["form"].errors["amount"][0]


def test_approve_action_puts_the_money_in_the_ledger(admin_client, admin_user, invoice):
    submitted = awaiting_approval(invoice)

    response = run_action(admin_client, "payment", "approve_payments", [submitted])

    submitted.refresh_from_db()
    invoice.refresh_from_db()
    assert (submitted.status, submitted.decided_by) == ("succeeded", admin_user)
    assert submitted.transactions.get().amount == 80
    assert invoice.status == "paid"
    assert messages_of(response) == ["Approved 1 payment."]


def test_approve_action_reports_payments_not_awaiting_approval(admin_client, invoice, paid):
    response = run_action(admin_client, "payment", "approve_payments", [paid])

    assert messages_of(response) == [
        f"£80.00 by cash on {invoice.number}: This payment is succeeded, not awaiting "
        "approval."]
    assert paid.transactions.count() == 1


def test_reject_requires_a_reason(admin_client, invoice):
    submitted = awaiting_approval(invoice)

    confirm = run_action(admin_client, "payment", "reject_payments", [submitted])
    without_reason = run_action(admin_client, "payment", "reject_payments", [submitted],
                                post="yes", reason="  ")
    submitted.refresh_from_db()
    still_waiting = submitted.status
    rejected = run_action(admin_client, "payment", "reject_payments", [submitted],
                          post="yes", reason="No such transfer on our statement")

    assert confirm.status_code == 200
    assert "BT-2026-001" in confirm.text
    assert without_reason.status_code == 200
    assert without_reason.context["form"].errors["reason"] == ["This field is required."]
    assert still_waiting == "awaiting_approval"
    assert rejected.redirect_chain == [(url("payment", "changelist"), 302)]
    submitted.refresh_from_db()
    assert (submitted.status, submitted.decision_notes) == (
        "failed", "No such transfer on our statement")
    assert Invoice.objects.get(pk=invoice.pk).status == "open"


def test_a_submitted_transfer_shows_its_proof_only_through_carepay(
        admin_client, settings, tmp_path, invoice, patient):
    settings.MEDIA_ROOT = tmp_path
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})
    submitted = submit(invoice, by=patient, paid_on=today(), proof=pdf_proof())

    page = admin_client.get(url("payment", "change", submitted.pk))
    proof_url = reverse("carepay:payment_proof", args=[submitted.public_id])
    run_action(admin_client, "payment", "approve_payments", [submitted])

    assert f'<a href="{proof_url}">Download</a>' in page.text
    assert submitted.proof.name not in page.text  # the stored (media) name never shows
    assert admin_client.get(proof_url).status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == "succeeded"


def test_approving_needs_the_permission(staff_client, invoice):
    submitted = awaiting_approval(invoice)
    clerk = staff_client("carepay.view_payment")

    assert action_choices(clerk, "payment") == set()
    run_action(clerk, "payment", "approve_payments", [submitted])

    submitted.refresh_from_db()
    assert submitted.status == "awaiting_approval"


def test_approving_with_the_permission(staff_client, invoice):
    submitted = awaiting_approval(invoice)
    approver = staff_client("carepay.view_payment", "carepay.approve_payment")

    assert action_choices(approver, "payment") == {
        "approve_payments", "approve_payments_recording_overpayment", "reject_payments"}
    run_action(approver, "payment", "approve_payments", [submitted])

    submitted.refresh_from_db()
    assert submitted.status == "succeeded"


# -- the ledger and webhook log are read-only --------------------------------------------------

def test_the_ledger_is_read_only(admin_client, paid, nothing_changes):
    charge = paid.transactions.get()

    with nothing_changes(charge):
        change = admin_client.post(url("transaction", "change", charge.pk),
                                   {"amount": "1.00", "note": "edited"})
        delete = admin_client.post(url("transaction", "delete", charge.pk), {"post": "yes"})
        add = admin_client.get(url("transaction", "add"))

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert action_choices(admin_client, "transaction") == set()


def test_webhook_events_are_read_only(admin_client, one_of_each):
    event = one_of_each["webhookevent"]

    change = admin_client.post(url("webhookevent", "change", event.pk), {"status": "ignored"})
    filtered = admin_client.get(url("webhookevent", "changelist"), {"needs_attention__exact": 1})

    assert change.status_code == 403
    assert WebhookEvent.objects.get().status == "received"
    assert list(filtered.context["cl"].result_list) == [event]

