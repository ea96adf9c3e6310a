"""``Invoice.billing_language``: the payer's language, part of the billing snapshot.
Every e-mail to the payer is written in it, whoever sends it and whatever language is
active then — a clerk's English console, a webhook's request (which carries no
language), the reminders' cron job, a task worker — and its PDF with it; staff's
e-mails keep the active language. Blank keeps the old rule (the active language)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone, translation

from django_carepay import services
from django_carepay.adapter import DefaultCarepayAdapter
from django_carepay.exceptions import InvalidInput
from django_carepay.models import Invoice
from tests import factories
from tests.emails.support import html_of, sent

pytestmark = pytest.mark.django_db

LINES = [{"description": "GP consultation", "unit_price": "65.00"}]


@pytest.fixture
def german_invoice(patient: Any) -> Invoice:
    draft = services.create_invoice(customer=patient, lines=LINES,
                                    billing={"language": "de"})
    return services.issue_invoice(draft)


def test_a_receipt_goes_in_the_payers_language_and_the_staff_notice_in_the_clerks(
        german_invoice, staff, settings, django_capture_on_commit_callbacks):
    settings.CAREPAY = {**settings.CAREPAY, "STAFF_NOTIFICATION_EMAILS": ["desk@example.com"]}
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        services.record_payment(german_invoice, backend="cash", by=staff)

    [receipt] = sent("payment_receipt")
    assert receipt.subject.startswith("Quittung: 65,00")
    assert 'lang="de"' in html_of(receipt)
    # The text body's values line up under the German labels, not the English ones.
    rows = [line for line in receipt.body.splitlines()
            if line.startswith(("Datum:", "Zahlungsart:", "Quittungsnr.:"))]
    assert len(rows) == 3
    assert {len(row) - len(row.split(":", 1)[1].lstrip()) for row in rows} == \
        {len("Quittungsnr.:") + 2}
    [notice] = sent("staff_payment_received")
    assert notice.subject.startswith("Payment received")


def test_a_reminder_from_cron_is_in_the_payers_language(german_invoice,
                                                        django_capture_on_commit_callbacks):
    Invoice.objects.filter(pk=german_invoice.pk).update(
        due_date=timezone.localdate() - timedelta(days=7))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("carepay_send_reminders", verbosity=0)

    [reminder] = sent("invoice_reminder")
    assert reminder.subject.startswith(f"Überfällig: Rechnung {german_invoice.number}, 65,00")


def test_without_one_the_active_language_is_kept(invoice, staff,
                                                 django_capture_on_commit_callbacks):
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        services.record_payment(invoice, backend="cash", by=staff)

    assert sent("payment_receipt")[0].subject.startswith("Quittung: ")


def test_a_language_the_site_does_not_have_is_refused_and_nothing_is_made(patient):
    with override_settings(LANGUAGES=[("en-gb", "English"), ("de", "Deutsch")]), \
            pytest.raises(InvalidInput) as refused:
        services.create_invoice(customer=patient, lines=LINES, billing={"language": "fr"})

    assert refused.value.field == "billing_language"
    assert "en-gb, de" in str(refused.value)
    assert not Invoice.objects.exists()


def test_the_adapter_fills_it_when_the_invoice_is_issued(patient, settings):
    settings.CAREPAY = {**settings.CAREPAY,
                        "ADAPTER": f"{__name__}.CustomerLanguageAdapter"}
    draft = services.create_invoice(customer=patient, lines=LINES)

    assert services.issue_invoice(draft).billing_language == "de"
    kept = services.create_invoice(customer=patient, lines=LINES,
                                   billing={"language": "EN-GB"})
    assert kept.billing_language == "en-gb"  # as given (normalised), not overwritten
    assert services.issue_invoice(kept).billing_language == "en-gb"


class CustomerLanguageAdapter(DefaultCarepayAdapter):
    """A host whose customers have a preferred language (here: all German)."""

    def billing_details(self, invoice: Invoice) -> dict[str, str]:
        return {**super().billing_details(invoice), "billing_language": "de"}


class OddLanguageAdapter(DefaultCarepayAdapter):
    """A host whose customer profiles hold languages the site may not have."""

    language = " DE-at "

    def billing_details(self, invoice: Invoice) -> dict[str, str]:
        return {"billing_language": self.language}


@pytest.mark.parametrize(("given", "kept"), [(" DE-at ", "de"), ("xx", "")])
def test_an_adapters_language_is_mapped_to_the_sites_or_left_out(patient, settings, caplog,
                                                                 given, kept):
    settings.CAREPAY = {**settings.CAREPAY, "ADAPTER": f"{__name__}.OddLanguageAdapter"}
    settings.LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
    OddLanguageAdapter.language = given
    draft = services.create_invoice(customer=patient, lines=LINES)

    issued = services.issue_invoice(draft)  # a preference never stops an invoice

    assert issued.status == Invoice.Status.OPEN and issued.billing_language == kept
    assert ("not among LANGUAGES" in caplog.text) == (kept == "")


def test_the_kept_pdfs_are_the_payers_whoever_opens_them_first(
        german_invoice, staff, django_capture_on_commit_callbacks):
    import io

    import pypdf

    from django_carepay import documents

    def text(pdf: bytes) -> str:
        return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)

    with translation.override("en-gb"):  # a clerk opens it first in the English console
        first = documents.invoice_pdf(german_invoice)
        with django_capture_on_commit_callbacks(execute=True):
            services.email_invoice(german_invoice)
        payment = services.record_payment(german_invoice, backend="cash", by=staff)
        receipt = documents.receipt_pdf(payment)

    [mail] = sent("invoice_issued")
    assert mail.attachments[0][1] == first  # the same kept bytes
    assert "Rechnung" in text(first) and "65,00" in text(first)
    assert "Quittung" in text(receipt) or "Zahlungsbestätigung" in text(receipt)


def test_staff_choose_it_on_a_draft_in_the_admin(admin_client, patient):
    draft = factories.make_invoice(customer=patient, issue=False)
    url = f"/admin/carepay/invoice/{draft.pk}/change/"
    page = admin_client.get(url)
    assert b'<option value="de">' in page.content

    form = page.context["adminform"].form
    data = {**{name: form.initial.get(name) or "" for name in form.fields},
            "billing_language": "xx"}
    bound = type(form)(data=data, instance=draft)
    assert "billing_language" in bound.errors  # not one of the choices


def test_the_api_shows_it_in_the_billing_snapshot(client, patient, german_invoice):
    client.force_login(patient)
    answer = client.get(f"/api/billing/invoices/{german_invoice.public_id}/")

    assert answer.status_code == 200, answer.content
    assert answer.json()["billing"]["language"] == "de"


def test_the_console_shows_staff_which_language_the_payer_is_written_in(
        client, german_invoice, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(clerk)
    page = client.get(f"/billing/staff/invoices/{german_invoice.public_id}/")

    assert page.status_code == 200
    assert 'Language</dt><dd lang="de">Deutsch</dd>' in page.content.decode()
