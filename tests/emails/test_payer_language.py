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


def test_staff_can_set_it_on_a_draft_in_the_admin(admin_client, patient):
    draft = factories.make_invoice(customer=patient, issue=False)
    page = admin_client.get(f"/admin/carepay/invoice/{draft.pk}/change/")

    assert b'name="billing_language"' in page.content
    assert b'<option value="de">' in page.content
