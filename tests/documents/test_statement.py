"""A payer's statement of account: open items aged as of a date, the payments and
refunds of the last 12 months, the balance per currency; only ever the payer's own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from django_carepay import documents, services
from django_carepay.documents.statement import bucket_for, build_statement, period_start
from tests import factories

from .conftest import pdf_pages, pdf_text

pytestmark = pytest.mark.django_db

#: Days overdue at each bucket edge, and the bucket each falls in.
EDGES = [(-5, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"),
         (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "90+"), (400, "90+")]


def owing(customer, days_overdue: int, as_of: date, *, price: str = "80.00",
          currency: str = "GBP"):
    """An open invoice of ``customer`` that is ``days_overdue`` days past due on ``as_of``."""
    return factories.make_invoice(
        customer=customer, currency=currency, due_date=as_of - timedelta(days=days_overdue),
        lines=[{"description": "GP consultation", "unit_price": price}],
    )


@pytest.mark.parametrize(("days", "bucket"), EDGES)
def test_bucket_edges(days, bucket):
    assert bucket_for(days) == bucket


def test_the_period_is_the_twelve_months_ending_on_as_of():
    assert period_start(date(2026, 11, 29)) == date(2025, 11, 30)
    assert period_start(date(2028, 2, 29)) == date(2027, 3, 1)


def test_open_items_are_aged_at_the_bucket_edges_as_of_a_date(patient):
    as_of = timezone.localdate() + timedelta(days=200)
    for days, _bucket in EDGES:
        owing(patient, days, as_of)

    [section] = build_statement(patient, as_of=as_of).sections

    assert [(item.days_overdue, item.bucket) for item in section.items] == [
        (max(days, 0), bucket) for days, bucket in reversed(EDGES)]
    ageing = {key: amount for key, _label, amount in section.ageing}
    assert {key: str(amount) for key, amount in ageing.items()} == {
        "current": "160.00", "1-30": "160.00", "31-60": "160.00", "61-90": "160.00",
        "90+": "160.00"}
    assert str(section.balance) == "800.00"


def test_the_pdf_lists_open_items_buckets_payments_refunds_and_balances(
        patient, other_patient, staff):
    today = timezone.localdate()
    current = owing(patient, -10, today)
    late = owing(patient, 45, today, price="120.00")
    paid_part = factories.pay_cash(late, "50.00")
    services.refund_payment(paid_part, amount="20.00", by=staff)
    euros = owing(patient, 95, today, price="30.00", currency="EUR")
    settled = owing(patient, 0, today, price="10.00")
    factories.pay_cash(settled)
    theirs = owing(other_patient, 5, today, price="999.00")

    content = documents.render_statement_pdf(patient, as_of=today)
    text = pdf_text(content)

    assert "Statement of account" in text and "Riverside Medical Practice" in text
    assert "Ada Lovelace" in text
    assert current.number in text and late.number in text and euros.number in text
    assert settled.number in text  # its payment is in the period, though it is not open
    assert "Current" in text and "31-60 days" in text and "Over 90 days" in text
    assert "Payment" in text and "£50.00" in text and "Refund" in text and "-£20.00" in text
    assert "Balance GBP £170.00" in text  # £80 + (£120 - £50 + £20)
    assert "Balance EUR €30.00" in text
    assert theirs.number not in text and "999" not in text
    [page] = pdf_pages(content)[:1]
    assert (round(page.mediabox.width), round(page.mediabox.height)) == (595, 842)

    only_gbp = pdf_text(documents.render_statement_pdf(patient, currency="GBP", as_of=today))
    assert late.number in only_gbp and euros.number not in only_gbp
    assert "EUR" not in only_gbp


def test_movements_older_than_twelve_months_are_left_out(patient):
    today = timezone.localdate()
    invoice = owing(patient, 0, today, price="100.00")
    factories.pay_cash(invoice, "40.00")

    [now] = build_statement(patient, as_of=today).sections
    [later] = build_statement(patient, as_of=today + timedelta(days=400)).sections

    assert [str(m.amount) for m in now.movements] == ["40.00"]
    assert later.movements == [] and str(later.balance) == "60.00"
    assert later.items[0].bucket == "90+"


def test_the_payer_sees_their_own_statement_page_and_pdf(client, patient, other_patient):
    mine = owing(patient, 3, timezone.localdate())
    theirs = owing(other_patient, 3, timezone.localdate())
    client.force_login(patient)

    page = client.get(reverse("carepay:statement"))
    listing = client.get(reverse("carepay:invoice_list"))
    pdf = client.get(reverse("carepay:statement_pdf"), {"currency": "GBP"})

    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html and theirs.number not in html and "1-30 days" in html
    assert reverse("carepay:statement") in listing.content.decode()
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    text = pdf_text(pdf.content)
    assert mine.number in text and theirs.number not in text


def test_an_unknown_currency_parameter_is_a_404(client, patient):
    client.force_login(patient)
    assert client.get(reverse("carepay:statement_pdf"), {"currency": "nope"}).status_code == 404


@pytest.mark.parametrize("name", ["carepay:statement", "carepay:statement_pdf"])
def test_anonymous_visitors_are_sent_to_log_in(client, patient, name):
    owing(patient, 3, timezone.localdate())

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_figures_take_the_same_queries_however_many_items(patient, django_assert_num_queries):
    today = timezone.localdate()
    for days in (1, 40):
        factories.pay_cash(owing(patient, days, today), "10.00")
    with django_assert_num_queries(3):
        build_statement(patient, as_of=today)
    for days in (2, 70, 100, 120):
        factories.pay_cash(owing(patient, days, today), "10.00")
    with django_assert_num_queries(3):
        [section] = build_statement(patient, as_of=today).sections
    assert len(section.items) == len(section.movements) == 6


@pytest.mark.parametrize("name", ["carepay:statement", "carepay:statement_pdf"])
def test_staff_who_may_view_invoices_see_a_customers_statement(client, staff, patient,
                                                              other_patient, name):
    from django.contrib.auth.models import Permission

    mine = owing(patient, 3, timezone.localdate())
    client.force_login(staff)
    url = reverse(name)

    refused = client.get(url, {"customer": patient.pk})  # no carepay.view_invoice yet
    staff.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    staff = type(staff).objects.get(pk=staff.pk)  # fresh permission cache
    client.force_login(staff)
    shown = client.get(url, {"customer": patient.pk})
    unknown = client.get(url, {"customer": 10**9})

    assert refused.status_code == 404
    assert shown.status_code == 200
    body = pdf_text(shown.content) if name.endswith("_pdf") else shown.content.decode()
    assert mine.number in body
    assert unknown.status_code == 404


def test_a_payer_cannot_ask_for_someone_elses_statement(client, patient, other_patient):
    owing(other_patient, 3, timezone.localdate())
    client.force_login(patient)

    assert client.get(reverse("carepay:statement"),
                      {"customer": other_patient.pk}).status_code == 404
