"""CSV exports of invoices and payments: permissions, filters, cells, streaming."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from django_carepay.views.staff import exports
from django_carepay.views.staff.exports import amount_cell, text_cell
from tests import factories
from tests.reports.dataset import TODAY
from tests.reports.fixtures import frozen_today, grant, history, with_transfer

pytestmark = pytest.mark.django_db

__all__ = ["frozen_today", "history", "with_transfer"]  # fixtures

INVOICES = "/billing/staff/exports/invoices.csv"
PAYMENTS = "/billing/staff/exports/payments.csv"


@pytest.fixture
def viewer(django_user_model):
    return grant(django_user_model.objects.create_user("clerk", password="pw", is_staff=True),
                 "view_invoice", "view_payment")


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def read(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_url_names():
    assert reverse("carepay:invoices_csv") == INVOICES
    assert reverse("carepay:payments_csv") == PAYMENTS


@pytest.mark.parametrize("url", [INVOICES, PAYMENTS])
def test_anonymous_visitors_are_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(("url", "needs", "other"), [
    (INVOICES, "view_invoice", "view_payment"), (PAYMENTS, "view_payment", "view_invoice")])
def test_each_export_needs_its_own_permission(client, staff, history, url, needs, other,
                                              django_assert_max_num_queries):
    grant(staff, other, "view_dashboard")
    client.force_login(staff)
    with django_assert_max_num_queries(4):  # the user and permissions only: nothing exported
        response = client.get(url)
    assert response.status_code == 403
    assert not isinstance(response, StreamingHttpResponse)
    assert 'class="carepay"' in response.content.decode()
    grant(staff, needs)
    assert client.get(url).status_code == 200


def test_invoices_header_rows_and_cells(viewer_client, history, frozen_today):
    response = viewer_client.get(INVOICES, {"from": "2026-11-01", "to": "2026-11-20"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="carepay-invoices-2026-11-01_2026-11-20.csv"')
    rows = read(response)
    assert list(rows[0]) == [header for header, _cell in exports.INVOICE_COLUMNS]
    # Issued 1-20 November, oldest first: B, C, D, V, E, M.
    numbers = [r["number"] for r in rows]
    expected = [history.invoices[k].number for k in ("B", "C", "D", "E", "V", "M")]
    assert sorted(numbers) == sorted(expected)
    d = next(r for r in rows if r["number"] == history.invoices["D"].number)
    assert (d["status"], d["currency"], d["total"], d["amount_paid"], d["amount_due"]) == (
        "paid", "GBP", "40.00", "80.00", "-40.00")  # overpaid: a plain negative number
    assert d["issued_on"] == "2026-11-10" and d["paid_on"] == "2026-11-10"
    c = next(r for r in rows if r["currency"] == "EUR" and r["status"] == "paid")
    assert c["total"] == "50.00" and c["due_date"] == "2026-12-05"
    assert [r["issued_on"] for r in rows] == sorted(r["issued_on"] for r in rows)


def test_invoices_filters_are_the_staff_lists(viewer_client, history, frozen_today, patient):
    def numbers(**query) -> set[str]:
        return {r["number"] for r in read(viewer_client.get(INVOICES, query))}

    inv = history.invoices
    assert numbers(status="void") == {inv["V"].number}
    assert numbers(status="outstanding", to="2026-10-31") == {
        inv[k].number for k in ("F", "G", "H", "I", "J", "K", "L")}
    assert numbers(customer=patient.pk) == {inv["A"].number}
    assert numbers(backend="online") == {inv["D"].number}
    assert numbers(backend="transfer") == {inv["E"].number}
    assert numbers(q="Patient M") == {inv["M"].number}
    assert numbers(q="visit K") == {inv["K"].number}  # a line's description
    assert numbers(q=inv["B"].number) == {inv["B"].number}
    drafts = read(viewer_client.get(INVOICES, {"status": "draft"}))
    assert [(r["number"], r["issued_on"]) for r in drafts] == [("", "")]


@pytest.mark.parametrize("query", [{"status": "nope"}, {"from": "2026-02-30"},
                                   {"from": "2026-11-20", "to": "2026-11-01"},
                                   {"customer": "x"}, {"backend": "bitcoin"}])
def test_invalid_filters_are_refused_never_widened(viewer_client, history, query):
    response = viewer_client.get(INVOICES, query)
    assert response.status_code == 400
    assert "These filters are not valid" in response.content.decode()


def test_payments_rows_and_filters(viewer_client, history, frozen_today, staff):
    rows = read(viewer_client.get(PAYMENTS, {"from": "2026-11-01", "to": "2026-11-20"}))
    assert list(rows[0]) == [header for header, _cell in exports.payment_columns()]
    assert len(rows) == 6  # A, B, C, D cash, D online, E
    b = next(r for r in rows if r["invoice_number"] == history.invoices["B"].number)
    assert (b["backend"], b["method"], b["status"], b["currency"], b["amount"],
            b["amount_received"], b["amount_refunded"], b["recorded_by"]) == (
        "cash", "Cash", "partially_refunded", "GBP", "100.00", "100.00", "30.00", staff.username)
    assert b["created_at"] == "2026-11-20T09:00:00+00:00"
    e = next(r for r in rows if r["backend"] == "transfer")
    assert (e["status"], e["reference"], e["method"]) == ("awaiting_approval", "RS-E",
                                                          "Bank transfer")
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)

    def count(**query) -> int:
        return len(read(viewer_client.get(PAYMENTS, query)))

    assert count(currency="eur") == 1
    assert count(backend="online") == 1
    assert count(status="awaiting_approval") == 1
    assert count(**{"from": "2026-11-20"}) == 1
    assert count() == 7  # L's October payment too
    response = viewer_client.get(PAYMENTS, {"currency": "XYZ"})
    assert response.status_code == 400


def test_formula_cells_are_defused(viewer_client, frozen_today):
    # (Tabs and carriage returns at the start are stripped by the services already;
    # test_cells covers them.)
    for text in ("=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\uff1d1+1"):
        factories.make_invoice(billing={"name": text, "email": "a@example.com"})
    rows = read(viewer_client.get(INVOICES))
    names = sorted(r["billing_name"] for r in rows)
    assert all(name.startswith("'") for name in names), names
    assert "'=HYPERLINK(\"http://evil\")" in names


def test_cells():
    assert text_cell("=1") == "'=1" and text_cell("Ada") == "Ada" and text_cell(None) == ""
    assert text_cell("a=b") == "a=b"
    assert text_cell("\tx") == "'\tx" and text_cell("\rx") == "'\rx"
    assert text_cell("-1") == "'-1" and text_cell("+1") == "'+1" and text_cell("@a") == "'@a"
    from decimal import Decimal
    assert amount_cell(Decimal("1234.500"), "GBP") == "1234.50"
    assert amount_cell(Decimal("500.000"), "JPY") == "500"
    assert amount_cell(Decimal("1.234"), "KWD") == "1.234"
    assert amount_cell(Decimal("-40.000"), "GBP") == "-40.00"
    assert amount_cell(Decimal("1E+3"), "GBP") == "1000.00"  # never scientific notation


def test_the_response_streams_in_chunks(viewer_client, staff, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    for _ in range(7):
        factories.make_invoice()
    response = viewer_client.get(INVOICES)
    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) == 4  # the header, then 3 + 3 + 1 rows
    assert chunks[0].decode().count("\n") == 1
    assert response.get("Content-Length") is None


def test_export_from_the_dashboard_period(viewer_client, history, frozen_today):
    response = viewer_client.get(PAYMENTS)
    assert response["Content-Disposition"].endswith('carepay-payments-all.csv"')
    response = viewer_client.get(PAYMENTS, {"from": TODAY.isoformat()})
    assert response["Content-Disposition"].endswith('carepay-payments-from-2026-11-20.csv"')
