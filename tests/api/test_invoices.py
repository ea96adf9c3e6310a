"""GET invoices/, invoices/<uuid>/ and methods/: what a payer (or staff) may see."""

from __future__ import annotations

import pytest

from django_carepay import services
from django_carepay.models import Invoice, Payment
from tests import factories
from tests.api.conftest import api, grant

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


class TestList:
    def test_only_the_requesters_issued_invoices(self, payer, patient, other_patient,
                                                 gb_invoice):
        factories.make_invoice(customer=patient, issue=False)
        factories.make_invoice(customer=other_patient)

        response = payer.get(api("invoices"))

        assert response.status_code == 200
        assert response.json()["count"] == 1
        row = response.json()["results"][0]
        assert row["id"] == str(gb_invoice.public_id)
        assert row["number"] == gb_invoice.number
        assert (row["total"], row["amount_due"], row["currency"]) == ("80.00", "80.00", "GBP")
        assert row["billing"]["country"] == "GB"
        assert row["is_payable"] is True

    def test_status_filters(self, payer, patient, gb_invoice):
        paid = factories.make_invoice(customer=patient)
        factories.pay_cash(paid)
        void = factories.make_invoice(customer=patient)
        services.void_invoice(void)

        assert ids(payer.get(api("invoices"))) == [str(gb_invoice.public_id)]
        assert ids(payer.get(api("invoices"), {"status": "paid"})) == [str(paid.public_id)]
        assert ids(payer.get(api("invoices"), {"status": "void"})) == [str(void.public_id)]
        assert len(ids(payer.get(api("invoices"), {"status": "all"}))) == 3

    def test_search_by_number_or_line(self, payer, patient, gb_invoice):
        other = factories.make_invoice(customer=patient, lines=[
            {"description": "Travel vaccination", "unit_price": "45.00"}])

        assert ids(payer.get(api("invoices"), {"q": "vaccin"})) == [str(other.public_id)]
        assert ids(payer.get(api("invoices"), {"q": gb_invoice.number})) == [
            str(gb_invoice.public_id)]

    def test_25_a_page(self, payer, patient):
        for _ in range(27):
            factories.make_invoice(customer=patient)

        first = payer.get(api("invoices")).json()
        second = payer.get(api("invoices"), {"page": 2}).json()

        assert (first["count"], len(first["results"]), len(second["results"])) == (27, 25, 2)
        assert first["next"].endswith("page=2")
        assert payer.get(api("invoices"), {"page": 3}).json()["code"] == "not_found"

    def test_a_bad_filter_is_400(self, payer):
        response = payer.get(api("invoices"), {"status": "everything"})

        assert response.status_code == 400
        assert response.json()["code"] == "invalid_choice"
        assert response.json()["field"] == "status"

    def test_anonymous_is_refused(self, client):
        response = client.get(api("invoices"))

        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"


class TestDetail:
    def test_lines_and_payments(self, payer, gb_invoice):
        factories.pay_cash(gb_invoice, "30.00")
        factories.start_online(gb_invoice)  # pending: listed; a cancelled one is not

        body = payer.get(api("invoice", gb_invoice.public_id)).json()

        assert body["lines"] == [{
            "description": "GP consultation", "quantity": "1.000", "unit_price": "80.00",
            "tax_rate": "0.000", "tax_amount": "0.00", "line_total": "80.00",
            "service_date": None, "provider_name": ""}]
        assert [(p["method"], p["status"], p["amount"]) for p in body["payments"]] == [
            ("cash", "succeeded", "30.00"), ("online", "pending", "50.00")]
        assert body["amount_due"] == "50.00"

    def test_another_payers_invoice_is_404(self, client, other_patient, gb_invoice):
        client.force_login(other_patient)
        response = client.get(api("invoice", gb_invoice.public_id))
        assert (response.status_code, response.json()["code"]) == (404, "not_found")

    def test_a_draft_is_404_to_its_customer(self, payer, draft):
        assert payer.get(api("invoice", draft.public_id)).status_code == 404

    def test_anonymous_is_refused_whether_it_exists_or_not(self, client, gb_invoice):
        for public_id in (gb_invoice.public_id, "00000000-0000-4000-8000-000000000000"):
            response = client.get(api("invoice", public_id))
            assert response.status_code in (401, 403)
            assert response.json()["code"] == "not_authenticated"

    def test_a_payment_link_opens_it_in_that_session(self, client, gb_invoice):
        client.get(services.payment_link(gb_invoice).removeprefix("https://clinic.example.com"))
        assert client.get(api("invoice", gb_invoice.public_id)).status_code == 200

    def test_staff_who_may_view_invoices(self, client, staff, gb_invoice):
        client.force_login(staff)
        assert client.get(api("invoice", gb_invoice.public_id)).status_code == 404
        grant(staff, "view_invoice")
        staff = type(staff).objects.get(pk=staff.pk)  # permissions are cached per object
        client.force_login(staff)
        assert client.get(api("invoice", gb_invoice.public_id)).status_code == 200


class TestMethods:
    def test_the_methods_for_the_invoices_country(self, payer, pk_invoice):
        response = payer.get(api("methods"), {"invoice": pk_invoice.public_id})

        assert response.status_code == 200
        online, pk = response.json()
        assert (online["method"], online["kind"], online["account"]) == ("online", "online", [])
        assert pk["method"] == "bank_transfer_pk"
        assert pk["kind"] == "offline"
        assert pk["requires_approval"] is True
        assert pk["reference"] == pk_invoice.number
        assert pk["instructions"] == f"Quote {pk_invoice.number}."
        assert pk["account"] == [{"label": "IBAN", "value": "PK36SCBL0000001123456702"}]

    def test_another_country(self, payer, gb_invoice):
        gb = [m["method"] for m in payer.get(api("methods"),
                                             {"invoice": gb_invoice.public_id}).json()]
        pk = [m["method"] for m in payer.get(api("methods"), {
            "invoice": gb_invoice.public_id, "country": "pk"}).json()]

        assert gb == ["online", "bank_transfer_uk", "swift"]
        assert pk == ["online", "swift"]

    def test_nothing_to_pay_no_methods(self, payer, gb_invoice):
        factories.pay_cash(gb_invoice)
        assert payer.get(api("methods"), {"invoice": gb_invoice.public_id}).json() == []

    @pytest.mark.parametrize(("query", "code", "field"), [
        ({}, "required", "invoice"),
        ({"invoice": "nope"}, "invalid", "invoice"),
        ({"country": "PAK"}, "invalid", "country"),
    ])
    def test_bad_queries(self, payer, gb_invoice, query, code, field):
        query.setdefault("invoice", gb_invoice.public_id)
        if field == "invoice" and code == "required":
            del query["invoice"]
        response = payer.get(api("methods"), query)
        assert response.status_code == 400
        assert (response.json()["code"], response.json()["field"]) == (code, field)

    def test_another_payers_invoice_is_404(self, client, other_patient, gb_invoice):
        client.force_login(other_patient)
        response = client.get(api("methods"), {"invoice": gb_invoice.public_id})
        assert response.status_code == 404


class TestQueryCounts:
    """List, detail and the approvals queue cost the same queries for 5 as for 50."""

    def queries(self, client, url, limit, assert_max, **query):
        with assert_max(limit) as captured:
            response = client.get(url, query)
        assert response.status_code == 200
        return len(captured), response.json()

    def test_list(self, payer, patient, django_assert_max_num_queries):
        counted = []
        for n in (5, 50):
            while Invoice.objects.count() < n:
                factories.make_invoice(customer=patient)
            # session, user, count, page
            count, body = self.queries(payer, api("invoices"), 4,
                                       django_assert_max_num_queries, status="all")
            assert len(body["results"]) == min(n, 25)
            counted.append(count)
        assert counted[0] == counted[1]

    def test_detail(self, payer, patient, django_assert_max_num_queries):
        counted = []
        for n in (5, 50):
            invoice = factories.make_invoice(customer=patient, lines=[
                {"description": f"Line {i}", "unit_price": "1000.00"} for i in range(n)])
            for _ in range(n):
                factories.pay_cash(invoice, "1.00")
            # session, user, invoice, lines, payments
            count, body = self.queries(payer, api("invoice", invoice.public_id), 5,
                                       django_assert_max_num_queries)
            assert (len(body["lines"]), len(body["payments"])) == (n, n)
            counted.append(count)
        assert counted[0] == counted[1]

    def test_approvals(self, approver_client, patient, django_assert_max_num_queries):
        counted = []
        for n in (5, 50):
            while Payment.objects.count() < n:
                invoice = factories.make_invoice(customer=patient, billing={"country": "GB"})
                services.submit_transfer(invoice, backend="bank_transfer_uk",
                                         reference="BT-1", by=patient)
            # session, user, permissions (user, groups), count, page
            count, body = self.queries(approver_client, api("approvals"), 6,
                                       django_assert_max_num_queries)
            assert len(body["results"]) == min(n, 25)
            counted.append(count)
        assert counted[0] == counted[1]
