"""An invoice's PDF: what it says, A4 pages, stored once, drafts watermarked."""

from __future__ import annotations

from datetime import date

import pytest

from django_carepay import documents
from django_carepay.documents import stored
from django_carepay.models import Invoice
from tests import factories

from .conftest import pdf_pages, pdf_text, stored_files

pytestmark = pytest.mark.django_db


def test_an_issued_invoice_says_everything_a_bill_must(billed):
    content = documents.invoice_pdf(billed)
    text = pdf_text(content)

    assert billed.number in text
    assert "Riverside Medical Practice" in text  # the issuer, from the adapter
    assert "12 Riverside Walk" in text
    assert "Ada Lovelace" in text and "1 Analytical Row" in text  # billed to
    for description, day, provider in [("GP consultation", "3 Nov 2026", "Dr Omar Haddad"),
                                       ("Blood test", "5 Nov 2026", "Nurse Jane Smith")]:
        line = next(row for row in text.splitlines() if description in row)
        assert day in line and provider in line
    assert "Subtotal £131.00" in text
    assert "Tax £16.00" in text
    assert "Total £147.00" in text
    assert "Amount due £147.00" in text
    assert "PAY ONLINE" in text and "https://clinic.example.com/billing/link/" in text
    assert "Page 1 of 1" in text
    assert "DRAFT" not in text
    [page] = pdf_pages(content)
    assert (round(page.mediabox.width), round(page.mediabox.height)) == (595, 842)


def test_an_issued_invoice_is_rendered_once_and_the_same_bytes_ever_after(
        billed, media, monkeypatch):
    first = documents.invoice_pdf(billed)
    [path] = stored_files(media)
    assert Invoice.objects.get(pk=billed.pk).document.name == billed.document.name
    assert path.read_bytes() == first

    monkeypatch.setattr(stored, "render_invoice_pdf", pytest.fail)  # never again
    assert documents.invoice_pdf(factories.reload(billed)) == first
    assert stored_files(media) == [path]


def test_a_sixty_line_invoice_runs_to_two_pages_with_the_header_on_both(patient):
    lines = [{"description": f"Physiotherapy session {i}", "unit_price": "45.00",
              "service_date": date(2026, 10, 1 + i % 28), "provider_name": "Dr Lee"}
             for i in range(1, 61)]
    invoice = factories.make_invoice(customer=patient, lines=lines)

    pages = pdf_pages(documents.render_invoice_pdf(invoice))

    assert len(pages) == 2
    first, second = (page.extract_text() for page in pages)
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "DESCRIPTION" in second and invoice.number in second  # headers repeat
    assert "Physiotherapy session 60" in second and "Amount due £2,700.00" in second


def test_a_draft_is_watermarked_and_never_stored(patient, media):
    draft = factories.make_invoice(customer=patient, issue=False)

    text = pdf_text(documents.invoice_pdf(draft))

    assert "DRAFT" in text and "Draft invoice" in text
    assert "PAY ONLINE" not in text
    assert stored_files(media) == []
    assert factories.reload(draft).document.name == ""


def test_the_second_of_two_renderings_keeps_the_first_ones_file(billed, media, monkeypatch):
    """Two requests render at once: the one that stores first wins; the other deletes
    its own file and serves the winner's bytes (threads on PostgreSQL: test_races)."""
    calls = []

    def render_while_another_request_stores(invoice, **kwargs):
        calls.append(invoice)
        if len(calls) == 1:  # the other request finishes first, in the meantime
            documents.invoice_pdf(factories.reload(invoice))
            return b"%PDF-the loser's rendering"
        return b"%PDF-the winner's rendering"

    monkeypatch.setattr(stored, "render_invoice_pdf", render_while_another_request_stores)

    assert documents.invoice_pdf(billed) == b"%PDF-the winner's rendering"
    [path] = stored_files(media)
    assert path.read_bytes() == b"%PDF-the winner's rendering"
    assert billed.document.name == factories.reload(billed).document.name
