"""The staff's invoice list: filters, search, pages, ordering, and a number of queries
that does not grow with the number of invoices (nor does the approvals queue's, nor
an invoice page's with its payments)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Invoice
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, configure_backends, submit
from tests.views.staff.support import invoice_url

pytestmark = pytest.mark.django_db

LIST = "/billing/staff/invoices/"


def numbers(response) -> list[str]:
    return [str(invoice) for invoice in response.context["invoices"]]


@pytest.fixture
def grace_invoices(other_patient):
    """Two invoices billed to Grace: one paid at the terminal, one with a flu jab line."""
    paid = factories.make_invoice(customer=other_patient)
    services.record_payment(paid, backend="terminal", by=None, reference="T-1")
    jab = factories.make_invoice(customer=other_patient, lines=[
        {"description": "Flu vaccination", "unit_price": "15"}])
    return paid, jab


class TestFilters:
    def test_newest_first_with_what_the_desk_needs(self, clerk_client, invoice, draft):
        response = clerk_client.get(LIST)
        assert response.status_code == 200
        assert response.context["invoices"][0] == invoice  # the same row, issued
        page = response.content.decode()
        assert invoice_url(invoice) in page
        assert "Ada Lovelace" in page and "ada@example.com" in page
        assert "£80.00" in page and "status-open" in page

    def test_status(self, clerk_client, patient, grace_invoices):
        paid, jab = grace_invoices
        draft = factories.make_invoice(customer=patient, issue=False)
        assert numbers(clerk_client.get(LIST, {"status": "paid"})) == [paid.number]
        assert set(numbers(clerk_client.get(LIST, {"status": "outstanding"}))) == {jab.number}
        assert numbers(clerk_client.get(LIST, {"status": "draft"})) == [str(draft)]

    def test_customer_by_username_or_email(self, clerk_client, invoice, grace_invoices):
        assert set(numbers(clerk_client.get(LIST, {"customer": "GRACE@example.com"}))) == {
            i.number for i in grace_invoices}
        assert numbers(clerk_client.get(LIST, {"customer": "ada"})) == [invoice.number]

    def test_backend_of_the_payments(self, clerk_client, invoice, grace_invoices):
        factories.pay_cash(invoice, "10")
        assert numbers(clerk_client.get(LIST, {"backend": "terminal"})) == [
            grace_invoices[0].number]
        assert numbers(clerk_client.get(LIST, {"backend": "cash"})) == [invoice.number]

    def test_issued_between(self, clerk_client, invoice):
        today = timezone.localdate()
        assert numbers(clerk_client.get(LIST, {"issued_from": today.isoformat()})) == [
            invoice.number]
        assert numbers(clerk_client.get(LIST, {
            "issued_to": (today - timedelta(days=1)).isoformat()})) == []

    @pytest.mark.parametrize("term", ["00001", "lovelace", "ADA@EXAMPLE"])
    def test_search_number_name_email_and_lines(self, clerk_client, invoice, grace_invoices,
                                                term):
        assert numbers(clerk_client.get(LIST, {"q": term})) == [invoice.number]

    def test_search_a_line_description(self, clerk_client, invoice, grace_invoices):
        assert numbers(clerk_client.get(LIST, {"q": "flu"})) == [grace_invoices[1].number]

    def test_a_filter_not_understood_is_said_and_ignored(self, clerk_client, invoice):
        response = clerk_client.get(LIST, {"status": "nonsense", "issued_from": "tomorrow"})
        assert response.status_code == 200
        assert numbers(response) == [invoice.number]
        assert "Some filters were not understood" in response.content.decode()

    def test_sorting(self, clerk_client, patient):
        small = factories.make_invoice(customer=patient, lines=[
            {"description": "Note", "unit_price": "5"}])
        large = factories.make_invoice(customer=patient, lines=[
            {"description": "Report", "unit_price": "500"}])
        assert numbers(clerk_client.get(LIST, {"sort": "total"})) == [large.number,
                                                                      small.number]
        assert numbers(clerk_client.get(LIST, {"sort": "oldest"})) == [small.number,
                                                                       large.number]


def make_invoices(count: int, customer) -> None:
    for _ in range(count):
        factories.make_invoice(customer=customer)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


class TestPagesAndQueries:
    def test_25_a_page_with_the_filters_kept(self, clerk_client, patient):
        make_invoices(30, patient)
        first = clerk_client.get(LIST, {"status": "open"})
        assert len(first.context["invoices"]) == 25
        assert "status=open&amp;page=2" in first.content.decode()
        second = clerk_client.get(LIST, {"status": "open", "page": "2"})
        assert len(second.context["invoices"]) == 5

    def test_the_list_costs_the_same_for_5_and_500_invoices(self, clerk_client, patient,
                                                            django_assert_max_num_queries):
        make_invoices(5, patient)
        few = count_queries(clerk_client, LIST + "?q=GP&backend=cash&status=open")
        few_plain = count_queries(clerk_client, LIST)
        make_invoices(495, patient)
        assert Invoice.objects.count() == 500
        with django_assert_max_num_queries(few_plain):
            clerk_client.get(LIST)
        assert count_queries(clerk_client, LIST) == few_plain
        assert count_queries(clerk_client, LIST + "?q=GP&backend=cash&status=open") == few
        # session, user, permissions, count, page
        assert few_plain <= 6

    def test_the_approvals_queue_costs_the_same_for_5_and_500(self, manager_client, settings,
                                                              patient):
        configure_backends(settings, {"transfer": CLINIC_TRANSFER})
        for _ in range(5):
            submit(factories.make_invoice(customer=patient), by=patient)
        few = count_queries(manager_client, reverse("carepay:approvals"))
        for _ in range(495):
            submit(factories.make_invoice(customer=patient), by=patient)
        assert count_queries(manager_client, reverse("carepay:approvals")) == few

    def test_an_invoice_page_costs_the_same_with_2_or_20_payments(self, manager_client,
                                                                  invoice):
        for _ in range(2):
            factories.pay_cash(invoice, "1")
        few = count_queries(manager_client, invoice_url(invoice))
        for _ in range(18):
            factories.pay_cash(invoice, "1")
        payment = invoice.payments.first()
        services.refund_payment(payment, reason="test")
        assert count_queries(manager_client, invoice_url(invoice)) == few
