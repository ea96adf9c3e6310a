"""Payer pages: only your own invoices (or one reached through a signed link), and
paying online from the invoice page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories

pytestmark = pytest.mark.django_db


def detail_url(invoice):
    return reverse("carepay:invoice_detail", args=[invoice.public_id])


def pay_url(invoice, alias="online"):
    return reverse("carepay:pay", args=[invoice.public_id, alias])


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


class TestInvoiceList:
    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get(reverse("carepay:invoice_list"))

        assert response.status_code == 302
        assert response.url == f"{settings.LOGIN_URL}?next=/billing/"

    def test_lists_only_the_patients_issued_invoices(self, patient_client, patient,
                                                     other_patient, invoice):
        factories.make_invoice(customer=patient, issue=False)
        factories.make_invoice(customer=other_patient)

        response = patient_client.get(reverse("carepay:invoice_list"))

        assert response.status_code == 200
        assert list(response.context["invoices"]) == [invoice]
        assert invoice.number in response.content.decode()

    def test_an_empty_list(self, patient_client):
        response = patient_client.get(reverse("carepay:invoice_list"))

        assert "You have no invoices." in response.content.decode()


class TestInvoiceDetail:
    def test_the_patient_sees_their_invoice_and_how_to_pay(self, patient_client, invoice):
        response = patient_client.get(detail_url(invoice))

        assert response.status_code == 200
        page = response.content.decode()
        assert f"Invoice {invoice.number}" in page
        assert "GP consultation" in page
        assert "£80.00" in page
        assert pay_url(invoice) in page
        assert pay_url(invoice, "cash") not in page

    def test_another_users_invoice_is_404(self, client, other_patient, invoice):
        client.force_login(other_patient)

        assert client.get(detail_url(invoice)).status_code == 404

    def test_anonymous_is_404(self, client, invoice):
        assert client.get(detail_url(invoice)).status_code == 404

    def test_a_draft_is_404_even_to_its_customer(self, patient_client, draft):
        assert patient_client.get(detail_url(draft)).status_code == 404

    def test_an_unknown_invoice_is_404(self, patient_client):
        url = reverse("carepay:invoice_detail", args=["00000000-0000-0000-0000-000000000000"])

        assert patient_client.get(url).status_code == 404

    def test_a_paid_invoice_offers_no_payment(self, patient_client, invoice):
        factories.pay_cash(invoice)

        response = patient_client.get(detail_url(invoice))

        assert response.context["methods"] == []
        assert pay_url(invoice) not in response.content.decode()


class TestPaymentLink:
    def test_round_trip(self, invoice):
        link = services.payment_link(invoice)

        # No request: CAREPAY["SITE_URL"] (tests/settings.py) makes it absolute.
        assert link.startswith("https://clinic.example.com/billing/link/")
        token = link.removeprefix("https://clinic.example.com/billing/link/").rstrip("/")
        assert services.resolve_payment_link(token) == invoice

    def test_without_a_site_url_or_request_it_refuses(self, invoice, settings):
        settings.CAREPAY = {**settings.CAREPAY, "SITE_URL": None}

        with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
            services.payment_link(invoice)

    def test_absolute_with_a_request(self, invoice, rf):
        link = services.payment_link(invoice, request=rf.get("/"))

        assert link.startswith("http://testserver/billing/link/")

    def test_grants_access_in_that_session_only(self, client, invoice):
        response = client.get(services.payment_link(invoice))

        assert response.status_code == 302
        assert response.url == detail_url(invoice)
        assert client.get(detail_url(invoice)).status_code == 200

        stranger = type(client)()
        assert stranger.get(detail_url(invoice)).status_code == 404

    def test_a_tampered_token_is_404(self, client, invoice):
        link = services.payment_link(invoice)
        tampered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]

        response = client.get(tampered)

        assert response.status_code == 404
        assert "This payment link is not valid." in response.content.decode()
        assert client.get(detail_url(invoice)).status_code == 404

    def test_a_link_to_another_invoice_cannot_be_forged(self, client, invoice):
        other = factories.make_invoice()
        token = signing.dumps(str(other.public_id), salt="another.salt")

        response = client.get(reverse("carepay:invoice_link", args=[token]))

        assert response.status_code == 404

    def test_an_expired_link_is_404(self, client, invoice):
        with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
            link = services.payment_link(invoice)

        with override_settings(CAREPAY={**settings.CAREPAY, "PAYMENT_LINK_MAX_AGE": 3600}):
            response = client.get(link)

        assert response.status_code == 404
        assert "This payment link has expired; ask for a new one." in response.content.decode()
        assert client.get(detail_url(invoice)).status_code == 404

    def test_the_link_on_the_kept_invoice_pdf_still_opens_with_a_late_reminder(
            self, client, invoice):
        """The kept PDF is rendered at issue and attached to every reminder; its link
        holds until the lifetime after the end of the due date, not from issue."""
        from django_carepay.documents.render import pay_link

        link = pay_link(invoice)
        assert link.startswith("https://clinic.example.com/billing/link/")
        ordinary = services.payment_link(invoice)
        # The default schedule's last reminder, 14 days after the due date (44 after
        # issue): the document's link opens; an ordinary link of that day expired.
        reminder_day = timezone.now() + timedelta(days=(invoice.due_date - timezone.localdate()
                                                        ).days + 14)
        with time_machine.travel(reminder_day, tick=False):
            assert client.get(ordinary).status_code == 404
            assert client.get(link).status_code == 302
            assert client.get(detail_url(invoice)).status_code == 200

    def test_the_documents_link_expires_the_lifetime_after_the_due_date(self, client,
                                                                         invoice):
        from django_carepay.documents.render import pay_link

        link = pay_link(invoice)
        days = (invoice.due_date - timezone.localdate()).days + 32  # lifetime: 30 days
        with time_machine.travel(timezone.now() + timedelta(days=days), tick=False):
            response = client.get(link)
        assert response.status_code == 404
        assert "This payment link has expired; ask for a new one." in response.content.decode()

    def test_a_documents_link_cannot_be_forged_for_another_invoice(self, client, invoice):
        other = factories.make_invoice()
        token = signing.dumps(str(other.public_id), salt="django_carepay.payment_link.x")

        assert client.get(reverse("carepay:invoice_link", args=[token])).status_code == 404

    def test_a_link_to_a_draft_shows_nothing(self, client, draft):
        client.get(services.payment_link(draft))

        assert client.get(detail_url(draft)).status_code == 404


class TestPayOnline:
    def return_url(self, response):
        """The demo provider's Pay button (a POST): it pays, then sends the payer back."""
        return re.search(r'action="([^"]+)" id="dummy-pay-form"',
                         response.content.decode()).group(1)

    def test_pay_page_then_return_page_settles_the_invoice(self, patient_client, invoice):
        response = patient_client.get(pay_url(invoice))

        assert response.status_code == 200
        payment = Payment.objects.get()
        assert payment.status == Payment.Status.PENDING
        assert "£80.00" in response.content.decode()

        result = patient_client.post(self.return_url(response), follow=True)

        assert result.status_code == 200
        assert "Payment received" in result.content.decode()
        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
        stored = factories.reload(invoice)
        assert stored.status == Invoice.Status.PAID
        assert stored.amount_paid == invoice.total

    def test_reloading_the_pages_takes_the_money_once(self, patient_client, invoice):
        first = patient_client.get(pay_url(invoice))
        second = patient_client.get(pay_url(invoice))
        assert self.return_url(first) == self.return_url(second)

        patient_client.post(self.return_url(first), follow=True)
        patient_client.post(self.return_url(first), follow=True)

        assert Payment.objects.count() == 1
        assert Transaction.objects.count() == 1

    def test_paying_through_a_payment_link(self, client, invoice):
        client.get(services.payment_link(invoice))

        response = client.get(pay_url(invoice))
        client.post(self.return_url(response), follow=True)

        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_a_declined_payment_offers_a_retry(self, patient_client, invoice):
        response = patient_client.get(pay_url(invoice))
        failing = {"BACKEND": "django_carepay.backends.dummy.DummyBackend",
                   "OPTIONS": {"outcome": "failed"}}

        with override_settings(CAREPAY={**settings.CAREPAY, "BACKENDS": {
                **settings.CAREPAY["BACKENDS"], "online": failing}}):
            result = patient_client.post(self.return_url(response), follow=True)

        page = result.content.decode()
        assert "Payment not completed" in page
        assert "Your card was declined." in page
        assert detail_url(invoice) in page
        assert factories.reload(invoice).status == Invoice.Status.OPEN

    def test_a_staff_method_is_404(self, patient_client, invoice):
        assert patient_client.get(pay_url(invoice, "cash")).status_code == 404
        assert patient_client.get(pay_url(invoice, "paypal")).status_code == 404
        assert Payment.objects.count() == 0

    def test_another_users_invoice_is_404(self, client, other_patient, invoice):
        client.force_login(other_patient)

        assert client.get(pay_url(invoice)).status_code == 404
        assert Payment.objects.count() == 0

    def test_another_users_payment_result_is_404(self, patient_client, client, invoice,
                                                 other_patient):
        response = patient_client.get(pay_url(invoice))
        return_url = self.return_url(response)
        stranger = type(client)()
        stranger.force_login(other_patient)

        assert stranger.post(return_url, follow=True).status_code == 404
        assert Payment.objects.get().status == Payment.Status.PENDING

    def test_a_paid_invoice_cannot_be_paid_again(self, patient_client, invoice):
        factories.pay_cash(invoice)

        response = patient_client.get(pay_url(invoice))

        assert response.status_code == 409
        assert "payments can only be taken on open or overdue invoices" in \
            response.content.decode()
        assert Payment.objects.count() == 1
