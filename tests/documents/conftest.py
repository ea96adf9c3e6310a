"""Fixtures for the PDF tests: a media root of the test's own, the clinic as issuer,
and an invoice whose every line has a service date and a provider.

Rendering costs ~0.1 s a PDF, so tests render as few as they can.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests import factories

LINES = [
    {"description": "GP consultation", "unit_price": "80.00", "tax_rate": "20",
     "service_date": date(2026, 11, 3), "provider_name": "Dr Omar Haddad"},
    {"description": "Blood test", "unit_price": "25.50", "quantity": "2",
     "service_date": date(2026, 11, 5), "provider_name": "Nurse Jane Smith"},
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """MEDIA_ROOT for this test (stored PDFs land under it), and the clinic's adapter,
    which names the practice as the issuer."""
    settings.MEDIA_ROOT = tmp_path
    settings.CAREPAY = {**settings.CAREPAY, "ADAPTER": "clinic.adapter.ClinicAdapter"}
    return tmp_path


@pytest.fixture
def billed(patient):
    """An open invoice billed to Ada at her address: £80 + 20% tax, and two at £25.50."""
    return factories.make_invoice(
        customer=patient, lines=LINES,
        billing={"address": "1 Analytical Row\nLondon N1 1AA", "country": "GB"},
    )


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def pdf_pages(content: bytes) -> list:
    assert content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(content)).pages


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pdf_pages(content))
