"""A new invoice from the console: a draft with lines for a customer (and the record it
bills for), then issued and e-mailed from its page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from django_carepay.models import Invoice
from tests import factories
from tests.testapp.models import Appointment
from tests.views.staff.support import form, invoice_url

pytestmark = pytest.mark.django_db

CREATE = "/billing/staff/invoices/new/"


def lines(*rows: dict[str, str], extra: int = 1) -> dict[str, str]:
    data = {"lines-TOTAL_FORMS": str(len(rows) + extra), "lines-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"lines-{i}-{k}": v for k, v in row.items()})
    for i in range(len(rows), len(rows) + extra):  # a blank row, as the page sends it
        data.update({f"lines-{i}-quantity": "1", f"lines-{i}-tax_rate": "0"})
    return data


CONSULT = {"description": "GP consultation", "quantity": "1", "unit_price": "65.00",
           "tax_rate": "0", "service_date": "2026-03-02", "provider_name": "Dr Hart"}
REPORT = {"description": "Medical report", "quantity": "2", "unit_price": "20",
          "tax_rate": "20", "service_date": "", "provider_name": ""}


def test_the_page(clerk_client):
    response = clerk_client.get(CREATE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="customer"' in page and 'value="GBP"' in page
    assert page.count('name="lines-') >= 3 * 6


def test_a_draft_with_two_lines_then_issued_and_emailed(clerk_client, clerk, patient,
                                                        mailoutbox,
                                                        django_capture_on_commit_callbacks):
    response = clerk_client.post(CREATE, {"customer": "ADA@example.com", "currency": "gbp",
                                          "due_date": "", **lines(CONSULT, REPORT)})

    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert response["Location"] == invoice_url(invoice)
    assert (invoice.status, invoice.customer, invoice.currency) == (
        Invoice.Status.DRAFT, patient, "GBP")
    assert [(line.description, line.line_total, line.tax_amount, line.provider_name)
            for line in invoice.lines.order_by("position")] == [
        ("GP consultation", Decimal("65.00"), Decimal("0.00"), "Dr Hart"),
        ("Medical report", Decimal("40.00"), Decimal("8.00"), "")]
    assert invoice.total == Decimal("113.00")

    page = clerk_client.get(invoice_url(invoice)).content.decode()
    assert "Issue and e-mail to ada@example.com" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(invoice_url(invoice, "issue"),
                                     form("issue", invoice, send_email="on"))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    [message] = mailoutbox
    assert invoice.number in message.subject and message.to == ["ada@example.com"]


def test_someone_without_an_account(clerk_client):
    response = clerk_client.post(CREATE, {"customer": "", "billing_name": "Walk-in Patient",
                                          "billing_email": "walkin@example.com",
                                          "currency": "GBP", **lines(CONSULT)})
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert (invoice.customer, invoice.billing_email) == (None, "walkin@example.com")


def test_for_a_subject(clerk_client, patient):
    appointment = factories.make_appointment()
    content_type = ContentType.objects.get_for_model(Appointment)
    response = clerk_client.post(CREATE, {
        "customer": "ada", "currency": "GBP", "subject_type": str(content_type.pk),
        "subject_id": str(appointment.pk), **lines(CONSULT)})
    assert response.status_code == 302
    assert Invoice.objects.get().subject == appointment


@pytest.mark.parametrize(("data", "field"), [
    ({"customer": "nobody"}, "customer"),
    ({"customer": ""}, "customer"),
    ({"currency": "XXY"}, "currency"),
    ({"subject_id": "999999"}, "subject_id"),
])
def test_refusals_next_to_their_field(clerk_client, patient, data, field, nothing_changes):
    content_type = ContentType.objects.get_for_model(Appointment)
    post = {"customer": "ada", "currency": "GBP", "subject_type": "", "subject_id": "",
            **lines(CONSULT), **data}
    if "subject_id" in data:
        post["subject_type"] = str(content_type.pk)
    with nothing_changes():
        response = clerk_client.post(CREATE, post)
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_a_line_refused_by_the_service_shows_on_its_row(clerk_client, patient,
                                                        nothing_changes):
    with nothing_changes():
        response = clerk_client.post(CREATE, {
            "customer": "ada", "currency": "GBP",
            **lines(CONSULT, {**REPORT, "unit_price": "20.001"})})
    assert response.status_code == 400
    formset = response.context["lines"]
    assert formset.forms[0].errors == {}
    assert list(formset.forms[1].errors) == ["unit_price"]


def test_at_least_one_line(clerk_client, patient, nothing_changes):
    with nothing_changes():
        response = clerk_client.post(CREATE, {"customer": "ada", "currency": "GBP",
                                              **lines(extra=3)})
    assert response.status_code == 400
    assert "Add at least one line." in response.content.decode()


def test_two_accounts_with_one_email_ask_for_the_username(clerk_client, django_user_model,
                                                          patient, nothing_changes):
    django_user_model.objects.create_user("ada2", email="ada@example.com")
    with nothing_changes():
        response = clerk_client.post(CREATE, {"customer": "ada@example.com",
                                              "currency": "GBP", **lines(CONSULT)})
    assert response.status_code == 400
    assert "type the username instead" in str(response.context["form"].errors["customer"])


def test_the_create_page_is_in_the_console_navigation(clerk_client):
    nav = clerk_client.get(CREATE).context["carepay_staff_nav"]
    assert [item["url"] for item in nav if item["current"]] == [
        reverse("carepay:staff_invoice_create")]


def test_the_payers_language_is_chosen_among_the_sites(clerk_client, patient, settings):
    settings.LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
    page = clerk_client.get(CREATE).content.decode()
    assert 'name="billing_language"' in page and '<option value="de">Deutsch</option>' in page

    response = clerk_client.post(CREATE, {"customer": "ada", "currency": "GBP",
                                          "billing_language": "de", **lines(CONSULT)})

    assert response.status_code == 302
    assert Invoice.objects.get().billing_language == "de"
    refused = clerk_client.post(CREATE, {"customer": "ada", "currency": "GBP",
                                         "billing_language": "fr", **lines(CONSULT)})
    assert refused.status_code == 400 and Invoice.objects.count() == 1


def test_without_a_languages_setting_the_field_is_not_offered(clerk_client):
    # tests/settings.py leaves LANGUAGES at Django's default list of about a hundred.
    assert 'name="billing_language"' not in clerk_client.get(CREATE).content.decode()
