"""How a message leaves: the adapter hooks, the PDF seam, the settings and checks."""

from __future__ import annotations

import sys
import types

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_carepay import services
from django_carepay.adapter import DefaultCarepayAdapter
from django_carepay.conf import EMAIL_KINDS, carepay_settings
from tests import factories

pytestmark = pytest.mark.django_db

SENT: list[dict] = []


class OldStyleAdapter(DefaultCarepayAdapter):
    """A host adapter written before send_message: it overrides send_mail."""

    def send_mail(self, *, subject, message, recipient_list, html_message=None,
                  invoice=None, **kwargs):
        SENT.append({"subject": subject, "to": recipient_list, "html": html_message,
                     "invoice": invoice})


class TaggingAdapter(DefaultCarepayAdapter):
    def send_message(self, message, *, kind, invoice):
        message.bcc = ["archive@clinic.example.com"]
        message.extra_headers["X-Invoice"] = invoice.number
        message.send()


def test_an_adapter_overriding_send_mail_still_gets_every_message(settings, draft,
                                                                  django_capture_on_commit_callbacks):
    SENT.clear()
    settings.CAREPAY = {**settings.CAREPAY, "ADAPTER": f"{__name__}.OldStyleAdapter"}
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.issue_invoice(draft, send_email=True)

    [sent] = SENT
    assert sent["subject"] == f"Invoice {invoice.number}: £80.00 due"
    assert sent["to"] == ["ada@example.com"]
    assert sent["html"].startswith("<!DOCTYPE html>")
    assert sent["invoice"].pk == invoice.pk
    assert mail.outbox == []


def test_send_message_is_where_a_host_changes_a_message(settings, invoice,
                                                        django_capture_on_commit_callbacks):
    settings.CAREPAY = {**settings.CAREPAY, "ADAPTER": f"{__name__}.TaggingAdapter"}
    with django_capture_on_commit_callbacks(execute=True):
        factories.pay_cash(invoice)

    [receipt] = mail.outbox
    assert receipt.bcc == ["archive@clinic.example.com"]
    assert receipt.extra_headers == {"X-Carepay-Kind": "payment_receipt",
                                     "X-Invoice": invoice.number}


class TestPdfSeam:
    """``emails.attachments`` asks ``django_carepay.documents`` for the PDFs. Without it
    the e-mail goes without, and the log says why; with it, the bytes it renders are
    attached as they are (a stand-in module plays the documents in the later tests)."""

    def test_the_issued_invoice_carries_its_stored_pdf(self, draft,
                                                       django_capture_on_commit_callbacks):
        import io

        import pypdf

        from django_carepay.documents import invoice_pdf

        with django_capture_on_commit_callbacks(execute=True):
            invoice = services.issue_invoice(draft, send_email=True)

        [message] = mail.outbox
        [(name, content, mimetype)] = message.attachments
        assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
        assert content == invoice_pdf(invoice)  # the stored document, byte for byte
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
        assert invoice.number in text

    def test_without_documents_the_email_goes_without_a_pdf(self, draft, caplog, monkeypatch,
                                                            django_capture_on_commit_callbacks):
        monkeypatch.setitem(sys.modules, "django_carepay.documents", None)  # not importable
        with django_capture_on_commit_callbacks(execute=True):
            invoice = services.issue_invoice(draft, send_email=True)

        [message] = mail.outbox
        assert message.attachments == []
        assert f"No PDF attached to the e-mail for invoice {invoice.number}" in caplog.text

    @pytest.fixture
    def documents(self, monkeypatch):
        module = types.ModuleType("django_carepay.documents")
        module.invoice_pdf = lambda invoice: f"invoice {invoice.number}".encode()  # type: ignore[attr-defined]
        module.receipt_pdf = lambda payment: f"receipt {payment.public_id}".encode()  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "django_carepay.documents", module)
        return module

    def test_the_invoice_and_the_receipt_are_attached(self, documents, draft,
                                                      django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            invoice = services.issue_invoice(draft, send_email=True)
            payment = factories.pay_cash(invoice)

        issued, receipt = mail.outbox
        assert issued.attachments == [(f"{invoice.number}.pdf",
                                       f"invoice {invoice.number}".encode(),
                                       "application/pdf")]
        [(name, content, mimetype)] = receipt.attachments
        assert name.startswith(f"receipt-{invoice.number}-") and name.endswith(".pdf")
        assert (content, mimetype) == (f"receipt {payment.public_id}".encode(),
                                       "application/pdf")

    def test_a_pdf_that_fails_to_render_leaves_the_email_going(
            self, documents, draft, caplog, django_capture_on_commit_callbacks):
        def missing_weasyprint(invoice):
            raise ImportError("WeasyPrint is not installed: pip install django-carepay[pdf]")

        documents.invoice_pdf = missing_weasyprint
        with django_capture_on_commit_callbacks(execute=True):
            invoice = services.issue_invoice(draft, send_email=True)

        [message] = mail.outbox
        assert message.attachments == []
        assert f"invoice {invoice.number}: invoice_pdf failed" in caplog.text


class TestSettings:
    def test_every_kind_is_on_by_default(self):
        assert dict.fromkeys(EMAIL_KINDS, True) == carepay_settings.EMAILS
        assert carepay_settings.REMINDER_SCHEDULE == [-3, 0, 7, 14]

    def test_a_misspelt_kind_is_a_check_error(self, settings):
        settings.CAREPAY = {**settings.CAREPAY, "EMAILS": {"payment_reciept": False}}

        with pytest.raises(SystemCheckError, match=r"carepay\.E008.*payment_reciept"):
            call_command("check")

    def test_a_schedule_that_is_not_days_is_a_check_error(self, settings):
        settings.CAREPAY = {**settings.CAREPAY, "REMINDER_SCHEDULE": ["soon"]}

        with pytest.raises(SystemCheckError, match=r"carepay\.E009"):
            call_command("check")
