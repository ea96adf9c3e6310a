"""The payer portal (design §13): the invoice list's status tabs, search, pagination,
summary cards and Pay now; the invoice page's explanations; one payer never sees
another's anything; the list's queries do not grow with the number of invoices."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from django_carepay import services
from django_carepay.backends import UpdateKind
from django_carepay.models import Invoice, InvoiceLine, Payment, Transaction
from django_carepay.views.portal import STATUS_FILTERS
from tests import factories
from tests.backends.bank_transfer.support import (
    CLINIC_TRANSFER,
    configure_backends,
    pdf_proof,
    submit,
)

pytestmark = pytest.mark.django_db

LIST = reverse("carepay:invoice_list")


def detail_url(invoice):
    return reverse("carepay:invoice_detail", args=[invoice.public_id])


def pay_url(invoice, alias="online"):
    return reverse("carepay:pay", args=[invoice.public_id, alias])


def listed(response):
    return [row["invoice"].number for row in response.context["rows"]]


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def with_transfer(settings):
    """A second payer method: the clinic's bank transfer, as ``"transfer"``."""
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})


def invoice_for(customer, amount="80.00", description="GP consultation", **kwargs):
    return factories.make_invoice(
        customer=customer, lines=[{"description": description, "unit_price": amount}],
        **kwargs)


@pytest.fixture
def every_state(patient, other_patient):
    """One of the patient's invoices in each state, plus a draft and someone else's."""
    today = timezone.localdate()
    made = {
        "open": invoice_for(patient),
        "part_paid": invoice_for(patient),
        "overdue": invoice_for(patient, due_date=today - timedelta(days=3)),
        "paid": invoice_for(patient),
        "part_refunded": invoice_for(patient, "65.00"),
        "refunded": invoice_for(patient),
        "void": invoice_for(patient),
        "written_off": invoice_for(patient),
    }
    services.mark_overdue(today=today)
    factories.pay_cash(made["part_paid"], "30.00")
    factories.pay_cash(made["paid"])
    services.refund_payment(factories.pay_cash(made["part_refunded"]), amount="25.00")
    services.refund_payment(factories.pay_cash(made["refunded"]))
    services.void_invoice(made["void"])
    services.write_off_invoice(made["written_off"])
    invoice_for(patient, issue=False)  # a draft: never listed
    invoice_for(other_patient)  # not theirs
    return {key: factories.reload(invoice) for key, invoice in made.items()}


class TestStatusTabs:
    EXPECTED = {
        "outstanding": ["overdue", "open", "part_paid"],
        "open": ["open", "part_paid"],
        "overdue": ["overdue"],
        "paid": ["part_refunded", "paid"],
        "refunded": ["refunded", "part_refunded"],
        "void": ["written_off", "void"],
        "all": ["written_off", "void", "refunded", "part_refunded", "paid", "overdue",
                "part_paid", "open"],
    }

    @pytest.mark.parametrize("status", [f.key for f in STATUS_FILTERS])
    def test_each_status_lists_exactly_its_invoices(self, patient_client, every_state,
                                                     status):
        response = patient_client.get(LIST, {"status": status})

        assert response.status_code == 200
        assert sorted(listed(response)) == sorted(
            every_state[key].number for key in self.EXPECTED[status])
        assert response.context["tab"].key == status

    def test_outstanding_is_the_default_oldest_due_first(self, patient_client, every_state):
        response = patient_client.get(LIST)

        assert response.context["tab"].key == "outstanding"
        assert listed(response)[0] == every_state["overdue"].number

    def test_the_tabs_count_what_they_show(self, patient_client, every_state):
        response = patient_client.get(LIST)

        assert response.context["counts"] == {
            key: len(keys) for key, keys in self.EXPECTED.items()}
        page = response.content.decode()
        assert re.search(r'aria-current="page">Outstanding <span class="cp-count">3</span>',
                         page)

    def test_empty_tabs_are_left_out_unless_asked_for(self, patient, patient_client):
        invoice_for(patient)

        shown = [t["key"] for t in patient_client.get(LIST).context["tabs"] if t["shown"]]
        asked = patient_client.get(LIST, {"status": "void"})

        assert shown == ["outstanding", "open", "all"]
        assert [t["key"] for t in asked.context["tabs"] if t["shown"]] == [
            "outstanding", "open", "void", "all"]
        assert "No void invoices" in asked.content.decode()

    @pytest.mark.parametrize("status", ["draft", "OPEN", "", "<script>", "paid'--"])
    def test_an_unknown_status_shows_the_default(self, patient_client, every_state, status):
        response = patient_client.get(LIST, {"status": status})

        assert response.status_code == 200
        assert response.context["tab"].key == "outstanding"
        assert "<script>" not in response.content.decode().split("<main>")[1]


class TestSearch:
    def test_by_number_or_line_description_in_any_case(self, patient, patient_client):
        knee = invoice_for(patient, description="Knee X-ray")
        flu = invoice_for(patient, description="Flu vaccination")

        by_word = patient_client.get(LIST, {"q": "x-RAY", "status": "all"})
        by_number = patient_client.get(LIST, {"q": flu.number.lower(), "status": "all"})

        assert listed(by_word) == [knee.number]
        assert listed(by_number) == [flu.number]
        assert "1 invoice matches “x-RAY”." in by_word.content.decode()

    def test_an_invoice_with_several_matching_lines_is_listed_once(self, patient,
                                                                   patient_client):
        invoice = factories.make_invoice(customer=patient, lines=[
            {"description": "Blood test", "unit_price": "20.00"},
            {"description": "Blood pressure check", "unit_price": "15.00"},
        ])

        response = patient_client.get(LIST, {"q": "blood"})

        assert listed(response) == [invoice.number]
        assert response.context["counts"]["outstanding"] == 1

    def test_counts_follow_the_search_and_others_invoices_never_match(
            self, patient, other_patient, patient_client):
        invoice_for(patient, description="Physio session")
        invoice_for(other_patient, description="Physio session")

        response = patient_client.get(LIST, {"q": "physio"})

        assert response.context["counts"]["all"] == 1

    def test_nothing_found_says_what_to_do(self, patient, patient_client):
        invoice_for(patient)

        page = patient_client.get(LIST, {"q": "dentist"}).content.decode()

        assert "No invoices found" in page
        assert "Clear search" in page

    def test_a_very_long_search_is_cut_not_refused(self, patient_client):
        response = patient_client.get(LIST, {"q": "a" * 5000})

        assert response.status_code == 200
        assert response.context["terms"] == "a" * 100


def bulk_invoices(customer, count, *, start=0, currency="GBP", status=Invoice.Status.OPEN,
                  paid=Decimal(0)):
    """``count`` issued invoices, created in bulk (not through the services: only the
    list's reads are under test here), each with one line."""
    now = timezone.now()
    invoices = Invoice.objects.bulk_create([
        Invoice(number=f"BULK-{currency}-{start + i:06d}", status=status, currency=currency,
                customer=customer, billing_name="Ada Lovelace", issued_at=now,
                due_date=timezone.localdate() + timedelta(days=i % 40 - 10),
                subtotal=Decimal("80.00"), total=Decimal("80.00"), amount_paid=paid)
        for i in range(count)
    ])
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, description=f"Consultation {i}",
                    unit_price=Decimal("80.00"), line_total=Decimal("80.00"))
        for i, invoice in enumerate(invoices)
    ])
    return invoices


class TestPagination:
    @pytest.fixture
    def thirty(self, patient):
        return bulk_invoices(patient, 30)

    def test_25_a_page(self, patient_client, thirty):
        first = patient_client.get(LIST)
        second = patient_client.get(LIST, {"page": 2})

        assert len(first.context["rows"]) == 25
        assert len(second.context["rows"]) == 5
        assert set(listed(first)).isdisjoint(listed(second))
        page = first.content.decode()
        assert "Page 1 of 2" in page
        assert 'href="?status=outstanding&amp;page=2" rel="next"' in page

    @pytest.mark.parametrize(("page", "number"), [
        ("999", 2), ("-1", 2), ("abc", 1), ("", 1), ("1.5", 1), ("0", 2)])
    def test_a_bad_page_shows_the_last_or_first_never_an_error(
            self, patient_client, thirty, page, number):
        response = patient_client.get(LIST, {"page": page})

        assert response.status_code == 200
        assert response.context["page_obj"].number == number

    def test_links_keep_the_status_and_search(self, patient_client, thirty):
        page = patient_client.get(LIST, {"status": "all", "q": "Consultation"}).content.decode()

        assert 'href="?status=all&amp;q=Consultation&amp;page=2" rel="next"' in page
        assert 'href="?status=outstanding&amp;q=Consultation"' in page


class TestSummaryCards:
    def test_outstanding_overdue_and_paid_this_year_per_currency(self, patient,
                                                                 patient_client):
        today = timezone.localdate()
        with time_machine.travel(timezone.now() - timedelta(days=400)):
            last_year = invoice_for(patient, "40.00")
            factories.pay_cash(last_year)  # paid in an earlier year: not counted
        invoice_for(patient, "80.00")  # open: £80 outstanding
        late = invoice_for(patient, "80.00", due_date=today - timedelta(days=1))
        services.mark_overdue(today=today)
        factories.pay_cash(late, "30.00")  # overdue: £50 left
        refunded = invoice_for(patient, "65.00")
        services.refund_payment(factories.pay_cash(refunded), amount="25.00")
        invoice_for(patient, "100.00", currency="EUR")

        response = patient_client.get(LIST)

        cards = {s.currency: s for s in response.context["summary"]}
        assert set(cards) == {"EUR", "GBP"}
        gbp, eur = cards["GBP"], cards["EUR"]
        assert (gbp.outstanding, gbp.outstanding_count) == (Decimal("130.00"), 2)
        assert (gbp.overdue, gbp.overdue_count) == (Decimal("50.00"), 1)
        # £30 + £65 received this year, £25 of it refunded.
        assert (gbp.paid, gbp.paid_count, gbp.refunded) == (
            Decimal("70.00"), 2, Decimal("25.00"))
        assert (eur.outstanding, eur.overdue, eur.paid) == (
            Decimal("100.00"), Decimal(0), Decimal(0))
        page = response.content.decode()
        for text in ("£130.00", "£50.00", "£70.00", "€100.00", f"Paid in {today.year}",
                     "2 invoices to pay", "1 invoice past its due date",
                     "after £25.00 refunded to you"):
            assert text in page

    def test_no_invoices_no_cards_and_an_empty_state_that_explains(self, patient_client):
        response = patient_client.get(LIST)

        assert response.context["summary"] == []
        page = response.content.decode()
        assert "You have no invoices." in page
        assert "we will e-mail you a link to pay it" in page

    def test_all_paid_up(self, patient, patient_client):
        factories.pay_cash(invoice_for(patient))

        page = patient_client.get(LIST).content.decode()

        assert "You're all paid up" in page
        assert "See all invoices" in page


class TestPayNow:
    def test_only_payable_rows_and_straight_to_the_one_method(self, patient, patient_client,
                                                              every_state):
        page = patient_client.get(LIST, {"status": "all"}).content.decode()

        for key in ("open", "part_paid", "overdue"):
            assert f'cp-pay-now" href="{pay_url(every_state[key])}"' in page
        for key in ("paid", "part_refunded", "refunded", "void", "written_off"):
            assert every_state[key].number in page
            assert pay_url(every_state[key]) not in page
        assert page.count("cp-pay-now") == 3

    def test_with_several_methods_it_opens_the_choice(self, patient, patient_client,
                                                      with_transfer):
        invoice = invoice_for(patient)

        page = patient_client.get(LIST).content.decode()

        assert f'cp-pay-now" href="{detail_url(invoice)}#pay"' in page

    def test_a_transfer_being_checked_replaces_pay_now(self, patient, patient_client,
                                                       with_transfer):
        invoice = invoice_for(patient)
        submit(invoice, by=patient)

        page = patient_client.get(LIST).content.decode()

        assert "cp-pay-now" not in page
        assert "Transfer being checked" in page

    def test_every_row_has_its_pdf(self, patient_client, every_state):
        page = patient_client.get(LIST, {"status": "all"}).content.decode()

        for invoice in every_state.values():
            assert reverse("carepay:invoice_pdf", args=[invoice.public_id]) in page


class TestInvoicePage:
    def test_lines_issuer_and_billed_to(self, patient, patient_client, settings):
        invoice = factories.make_invoice(customer=patient, lines=[
            {"description": "Consultation", "unit_price": "80.00", "tax_rate": "20",
             "provider_name": "Dr Hart", "service_date": timezone.localdate()}],
            billing={"address": "1 Lovelace Row\nLondon"})

        page = patient_client.get(detail_url(invoice)).content.decode()

        for text in ("Dr Hart", date_format(timezone.localdate()), "Ada Lovelace",
                     "1 Lovelace Row<br>London", "£16.00", "£96.00", "20%",
                     reverse("carepay:invoice_pdf", args=[invoice.public_id])):
            assert text in page

    def test_payment_history_columns(self, patient, patient_client, staff):
        invoice = invoice_for(patient)
        services.record_payment(invoice, backend="cash", amount="30.00",
                                reference="Till 42", by=staff)

        response = patient_client.get(detail_url(invoice))

        [row] = response.context["history"]
        assert (row.amount, row.method, row.reference, row.paid_by, row.recorded_by) == (
            Decimal("30.00"), "Cash", "Till 42", "Ada Lovelace", "reception")
        page = response.content.decode()
        for heading in ("Date", "Amount", "Method", "Reference", "Paid by", "Recorded by",
                        "Status", "Receipt"):
            assert f'<th scope="col">{heading}</th>' in page or \
                f'<th scope="col" class="cp-num">{heading}</th>' in page
        assert reverse("carepay:receipt_pdf", args=[row.payment.public_id]) in page

    def test_an_online_payment_was_recorded_online(self, patient, patient_client):
        invoice = invoice_for(patient)
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment))

        [row] = patient_client.get(detail_url(invoice)).context["history"]

        assert (row.method, row.recorded_by, row.paid_by) == (
            "Online (test)", "Online", "Ada Lovelace")

    def test_an_abandoned_online_attempt_is_not_history(self, patient, patient_client):
        invoice = invoice_for(patient)
        factories.start_online(invoice)

        response = patient_client.get(detail_url(invoice))

        assert response.context["history"] == []
        assert "No payments yet." in response.content.decode()

    def test_a_partly_refunded_invoice_explains_itself(self, patient, patient_client):
        invoice = invoice_for(patient, "65.00")
        services.refund_payment(factories.pay_cash(invoice), amount="25.00",
                                reason="Goodwill: a long wait")

        page = patient_client.get(detail_url(invoice)).content.decode()

        assert "Paid £65.00, refunded £25.00." in page
        assert "You have nothing more to pay." in page
        assert '<td data-label="Amount" class="cp-num">£25.00</td>' in page
        # The reason is staff's note (services may append discrepancies): not shown.
        assert "Goodwill: a long wait" not in page
        assert 'id="pay"' not in page

    def test_an_overpaid_invoice_explains_the_refund_to_come(self, patient, patient_client):
        invoice = invoice_for(patient)
        payment = factories.start_online(invoice)
        factories.pay_cash(invoice)  # paid at the desk while the card went through
        services.apply_provider_update(factories.provider_update(payment))

        page = patient_client.get(detail_url(invoice)).content.decode()

        assert "You paid £80.00 more than this invoice asks for. We will refund £80.00 " \
               "to you" in page

    def test_an_overdue_invoice_says_so(self, patient, patient_client):
        due = timezone.localdate() - timedelta(days=3)
        invoice = invoice_for(patient, due_date=due)
        services.mark_overdue()

        page = patient_client.get(detail_url(invoice)).content.decode()

        assert f"This invoice was due on {date_format(due)}. Please pay £80.00 now." in page

    @pytest.mark.parametrize(("action", "text"), [
        (services.void_invoice, "This invoice has been cancelled. There is nothing to pay."),
        (services.write_off_invoice, "We are no longer asking for payment of this invoice."),
    ])
    def test_closed_invoices_say_nothing_is_asked(self, patient, patient_client, action,
                                                  text):
        invoice = invoice_for(patient)
        action(invoice)

        page = patient_client.get(detail_url(invoice)).content.decode()

        assert text in page
        assert pay_url(invoice) not in page


class TestTransferBeingChecked:
    @pytest.fixture
    def submitted(self, patient, with_transfer):
        invoice = invoice_for(patient)
        return submit(invoice, by=patient)

    def test_the_invoice_says_so_with_amount_and_date(self, patient_client, submitted):
        page = patient_client.get(detail_url(submitted.invoice)).content.decode()

        day = date_format(timezone.localdate(submitted.created_at))
        assert (f"We received your transfer confirmation of £80.00 on {day}; it is being "
                "checked.") in page
        assert "£80.00 being checked" in page

    def test_the_methods_stay_behind_a_warning(self, patient_client, submitted):
        page = patient_client.get(detail_url(submitted.invoice)).content.decode()

        warning = page.index("Please don't pay twice.")
        disclosure = page.index("<summary>Pay another way anyway</summary>")
        method = page.index(pay_url(submitted.invoice))
        assert warning < disclosure < method
        assert page.index('<details class="cp-disclosure cp-pay-anyway">') < method \
            < page.index("</details>")

    def test_the_pay_page_warns_too(self, patient_client, submitted):
        page = patient_client.get(pay_url(submitted.invoice)).content.decode()

        assert "We are still checking your transfer of £80.00 for this invoice." in page

    def test_without_one_the_methods_are_plain(self, patient, patient_client, with_transfer):
        invoice = invoice_for(patient)

        page = patient_client.get(detail_url(invoice)).content.decode()

        assert "Pay another way anyway" not in page
        assert pay_url(invoice) in page and pay_url(invoice, "transfer") in page


class TestPayPages:
    def test_the_pay_page_shows_number_amount_and_due_date(self, patient, patient_client):
        invoice = invoice_for(patient)

        page = patient_client.get(pay_url(invoice)).content.decode()

        assert f"Pay invoice {invoice.number}" in page
        assert '<strong class="cp-amount-value">£80.00</strong>' in page
        assert date_format(invoice.due_date) in page

    def test_the_result_page_has_the_receipt_and_the_way_back(self, patient, patient_client):
        invoice = invoice_for(patient)
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment))

        page = patient_client.get(
            reverse("carepay:payment_return", args=[payment.public_id])).content.decode()

        assert "Payment received" in page
        assert reverse("carepay:receipt_pdf", args=[payment.public_id]) in page
        assert f'href="{LIST}">Back to my invoices' in page

    def test_a_link_payer_has_no_list_to_go_back_to(self, client, invoice):
        client.get(services.payment_link(invoice))
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(payment))

        page = client.get(
            reverse("carepay:payment_return", args=[payment.public_id])).content.decode()

        assert "Back to my invoices" not in page
        assert detail_url(invoice) in page

    def test_a_processing_payment_is_explained(self, patient, patient_client):
        invoice = invoice_for(patient)
        payment = factories.start_online(invoice)
        services.apply_provider_update(factories.provider_update(
            payment, UpdateKind.PROCESSING))  # a bank debit on its way

        page = patient_client.get(
            reverse("carepay:payment_return", args=[payment.public_id])).content.decode()

        assert "Payment processing" in page
        assert "You don't need to pay again" in page

    def test_a_payment_still_unpaid_is_not_called_processing(self, patient, patient_client):
        """Back from the provider's page without paying (Checkout's "back"): nothing is
        on its way, so the payer is asked to try again, never told not to pay."""
        invoice = invoice_for(patient)
        payment = factories.start_online(invoice)

        page = patient_client.get(
            reverse("carepay:payment_return", args=[payment.public_id])).content.decode()

        assert "Payment not completed" in page
        assert "You don't need to pay again" not in page


class TestNotYours:
    """patient2 (other_patient) reaches nothing of patient1's: the styled 404."""

    @pytest.fixture
    def theirs(self, patient, with_transfer, media_root):
        invoice = invoice_for(patient)
        received = factories.pay_cash(invoice, "30.00")
        transfer = submit(invoice, amount="10.00", by=patient, proof=pdf_proof())
        online = factories.start_online(invoice)
        return {"invoice": invoice, "received": received, "transfer": transfer,
                "online": online}

    @pytest.fixture
    def media_root(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path

    def urls(self, theirs):
        invoice = theirs["invoice"]
        return [
            detail_url(invoice),
            reverse("carepay:invoice_pdf", args=[invoice.public_id]),
            pay_url(invoice),
            pay_url(invoice, "transfer"),
            reverse("carepay:receipt_pdf", args=[theirs["received"].public_id]),
            reverse("carepay:payment_return", args=[theirs["online"].public_id]),
            reverse("carepay:payment_proof", args=[theirs["transfer"].public_id]),
        ]

    def test_another_patient_gets_the_styled_404_everywhere(self, client, other_patient,
                                                           theirs, nothing_changes):
        client.force_login(other_patient)

        with nothing_changes(theirs["invoice"]):
            for url in self.urls(theirs):
                response = client.get(url)
                assert response.status_code == 404, url
                assert "We couldn't find that" in response.content.decode(), url
            response = client.post(pay_url(theirs["invoice"], "transfer"), {
                "reference": "x", "amount": "10", "paid_on": str(timezone.localdate())})
            assert response.status_code == 404

    def test_anonymous_gets_the_styled_404(self, client, theirs):
        for url in self.urls(theirs):
            response = client.get(url)
            assert response.status_code == 404, url
            assert "We couldn't find that" in response.content.decode(), url

    def test_a_tampered_link_gets_the_styled_link_page(self, client, theirs):
        link = services.payment_link(theirs["invoice"])

        response = client.get(link[:-4] + "AAAA/")

        assert response.status_code == 404
        page = response.content.decode()
        assert "This payment link doesn't work" in page
        assert 'class="carepay"' in page

    def test_their_invoice_is_in_no_list_or_card(self, client, other_patient, theirs):
        client.force_login(other_patient)

        response = client.get(LIST, {"status": "all"})

        assert response.context["rows"] == []
        assert response.context["summary"] == []
        assert theirs["invoice"].number not in response.content.decode()


class TestQueryCount:
    """The list costs the same queries with 5 invoices as with 500."""

    #: Session, user, the tabs' counts, the page's count, its rows, the two summaries.
    MAX_QUERIES = 7

    def queries(self, client, **params):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, params)
        assert response.status_code == 200
        return len(captured), response

    @pytest.mark.parametrize("params", [{}, {"status": "all"}, {"q": "Consultation"},
                                        {"status": "paid"}, {"status": "all", "page": "2"}])
    def test_constant_in_the_number_of_invoices(self, patient, patient_client,
                                                django_assert_max_num_queries, params):
        bulk_invoices(patient, 3)
        bulk_invoices(patient, 2, start=3, status=Invoice.Status.PAID, paid=Decimal("80.00"))
        with django_assert_max_num_queries(self.MAX_QUERIES):
            few, _ = self.queries(patient_client, **params)

        bulk_invoices(patient, 295, start=5)
        bulk_invoices(patient, 100, start=300, currency="EUR")
        paid = bulk_invoices(patient, 100, start=500, status=Invoice.Status.PAID,
                             paid=Decimal("80.00"))
        Payment.objects.bulk_create([
            Payment(invoice=invoice, backend="online", amount=Decimal("80.00"),
                    currency="GBP", status=Payment.Status.AWAITING_APPROVAL)
            for invoice in Invoice.objects.filter(currency="GBP", status="open")[:50]])
        payments = Payment.objects.bulk_create([
            Payment(invoice=invoice, backend="cash", amount=Decimal("80.00"),
                    amount_received=Decimal("80.00"), currency="GBP",
                    status=Payment.Status.SUCCEEDED) for invoice in paid])
        Transaction.objects.bulk_create([
            Transaction(invoice=p.invoice, payment=p, kind="charge", amount=p.amount,
                        currency="GBP", backend="cash") for p in payments])
        assert Invoice.objects.filter(customer=patient).count() == 500
        assert Invoice.objects.filter(customer=patient, status="paid").count() == 102

        with django_assert_max_num_queries(self.MAX_QUERIES):
            many, response = self.queries(patient_client, **params)

        assert many == few
        assert response.context["counts"]["all"] == 500
