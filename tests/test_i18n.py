"""Internationalisation: carepay's templates are all marked for translation, the German
catalogue is complete and compiles, and pages, e-mails and PDFs come out in German
(German words, German number and date formats) when German is active."""

from __future__ import annotations

import gettext as gnu_gettext
import io
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core import mail
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

import django_carepay
from django_carepay import documents, services
from tests import factories

PACKAGE = Path(django_carepay.__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
CATALOGUE = PACKAGE / "locale" / "de" / "LC_MESSAGES" / "django.po"
EXAMPLE_CATALOGUE = (Path(__file__).resolve().parent.parent / "example_project" / "locale"
                     / "de" / "LC_MESSAGES" / "django.po")
CATALOGUES = [CATALOGUE, EXAMPLE_CATALOGUE]

# Runs of words a template may hold untranslated. Keep this short and say why.
ALLOWED = {
    "django-carepay",  # the product's name
    "Riverside Cloud",  # a brand name
    "Django administration",  # never rendered: Django's own admin title, translated by Django
}

# Attributes a reader sees (or a screen reader reads out); every other attribute (class,
# href, style, data-*, …) is markup, not text.
VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description")

_COMMENT = re.compile(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}", re.S)
_BLOCKTRANSLATE = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S
)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_DJANGO = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_ATTRIBUTE = re.compile(
    r"\b(" + "|".join(VISIBLE_ATTRIBUTES) + r")\s*=\s*(\"[^\"]*\"|'[^']*')", re.I
)
# Two or more alphabetic words in a row (an apostrophe inside a word, as in "don't", is
# part of it); words may be separated by spaces, line breaks or a comma. A "word" glued
# to a hyphen, dot, slash or underscore (class-names, file.names, url/paths) is not one.
_WORD = r"(?<![\w\-./:@])[A-Za-z][A-Za-z']*(?![\w\-./@])"
_SENTENCE = re.compile(_WORD + r"(?:[ \t\r\n,]+" + _WORD + r")+")


def untranslated(source: str) -> list[str]:
    """The runs of 2+ words in a template's text that no translate tag covers."""
    text = _COMMENT.sub(" ", source)
    text = _BLOCKTRANSLATE.sub(" | ", text)
    text = _SCRIPT_STYLE.sub(" | ", text)
    text = _DJANGO.sub(" | ", text)
    # Visible attributes' values are checked as text, before their tag is dropped.
    attributes = [m.group(2)[1:-1] for m in _ATTRIBUTE.finditer(text)]
    chunks = [_TAG.sub(" | ", text), *attributes]
    found = []
    for chunk in chunks:
        chunk = re.sub(r"&[a-z]+;|&#\d+;", " ", chunk)
        for match in _SENTENCE.finditer(chunk):
            run = " ".join(match.group(0).replace(",", " ").split())
            if run not in ALLOWED:
                found.append(run)
    return found


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


def test_the_scanner_finds_sentences_and_ignores_markup() -> None:
    source = (
        '{% load i18n %}<p class="big thing" title="Open it">Pay now</p>'
        "{# a comment here #}{% translate 'Fine text' %}"
        "{% blocktranslate %}Also fine {{ x }}{% endblocktranslate %}"
        "<script>let a = b c;</script>{{ value|default:'no value' }} Total"
    )
    assert untranslated(source) == ["Pay now", "Open it"]


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_no_untranslated_sentence(path: Path) -> None:
    assert untranslated(path.read_text()) == []


# -- The catalogues: complete, well-formed, compiled ------------------------------------


@pytest.mark.parametrize("po", CATALOGUES, ids=["carepay", "example_project"])
def test_every_message_has_a_german_translation_and_none_is_fuzzy(po: Path) -> None:
    catalogue = read_po(po.open("rb"))
    assert len(catalogue) > 10
    untranslated, fuzzy = [], []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("po", CATALOGUES, ids=["carepay", "example_project"])
def test_msgfmt_checks_the_placeholders_and_the_header(po: Path) -> None:
    """GNU gettext's own check (skipped without it, failed with CI=true: .ci/run
    installs it)."""
    if shutil.which("msgfmt") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("msgfmt (GNU gettext) is not installed and CI=true")
        pytest.skip("GNU gettext's msgfmt is not installed")
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-header", "-o", "/dev/null", str(po)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr


@pytest.mark.parametrize("po", CATALOGUES, ids=["carepay", "example_project"])
def test_the_shipped_mo_is_compiled_from_the_po(po: Path) -> None:
    """The .mo beside the .po (what Django reads) says what the .po says: recompile it
    (``django-admin compilemessages``) after editing a translation."""
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gnu_gettext.GNUTranslations(mo)
    for message in read_po(po.open("rb")):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for n, form in ((1, 0), (2, 1)):
                got = compiled.npgettext(message.context, *message.id, n) if message.context \
                    else compiled.ngettext(*message.id, n)
                assert got == message.string[form], message.id
        else:
            got = compiled.pgettext(message.context, message.id) if message.context \
                else compiled.gettext(message.id)
            assert got == message.string, message.id


# -- German pages, e-mails and PDFs -----------------------------------------------------

DUE = date(2026, 11, 29)


def _normal(text: str) -> str:
    """Text with no-break and narrow spaces as plain ones (Babel puts them in amounts)."""
    return re.sub(r"[\u00a0\u202f]", " ", text)


@pytest.fixture
def german():
    with translation.override("de"):
        yield


@pytest.fixture(autouse=True)
def _no_language_leaks():
    """A test here leaves the thread's language as it found it: the suite's other tests
    expect English."""
    before = translation.get_language()
    yield
    assert translation.get_language() == before


@pytest.fixture
def open_invoice(patient):
    """An open £65.00 invoice, due 29 November 2026, billed in the UK."""
    return factories.make_invoice(
        customer=patient, due_date=DUE, billing={"country": "GB"},
        lines=[{"description": "GP consultation", "unit_price": "65.00"}])


@pytest.mark.django_db
def test_the_payer_pages_are_german(client, patient, open_invoice, german):
    client.force_login(patient)
    listing = _normal(client.get(reverse("carepay:invoice_list")).content.decode())
    assert "Meine Rechnungen" in listing
    assert "65,00 £" in listing
    assert 'lang="de"' in listing or "Rechnung" in listing

    page = _normal(client.get(
        reverse("carepay:invoice_detail", args=[open_invoice.public_id])).content.decode())
    assert f"Rechnung {open_invoice.number}" in page
    assert "65,00 £" in page
    assert "29. November 2026" in page or "29.11.2026" in page
    assert "Amount due" not in page and "Pay now" not in page


@pytest.mark.django_db
def test_the_staff_invoice_page_is_german(client, django_user_model, open_invoice, german):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    page = _normal(client.get(
        reverse("carepay:staff_invoice", args=[open_invoice.public_id])).content.decode())
    assert "Offener Betrag" in page
    assert "65,00 £" in page
    assert "29. November 2026" in page or "29.11.2026" in page
    assert "Money movements" not in page


@pytest.mark.django_db
def test_the_invoice_email_is_german(patient, german, django_capture_on_commit_callbacks):
    draft = factories.make_invoice(
        customer=patient, due_date=DUE, issue=False,
        lines=[{"description": "GP consultation", "unit_price": "65.00"}])
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.issue_invoice(draft, send_email=True)
    [message] = mail.outbox
    assert _normal(message.subject).startswith(f"Rechnung {invoice.number}")
    body = _normal(message.body)
    assert "Sehr geehrte" in body or "Guten Tag" in body
    assert "ist fällig bis 29. November 2026" in body
    assert "Offener Betrag: 65,00 £" in body
    html = _normal(message.alternatives[0][0])
    assert 'lang="de"' in html and "Online bezahlen" in html


@pytest.mark.django_db
def test_the_invoice_pdf_is_german(open_invoice, german, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = documents.invoice_pdf(open_invoice)
    text = _normal("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages))
    assert f"Rechnung {open_invoice.number}" in text
    assert "Zwischensumme" in text and "Offener Betrag" in text
    assert "65,00 £" in text
    assert "29.11.2026" in text
    assert "Seite 1 von 1" in text
    assert "Subtotal" not in text and "Amount due" not in text


@pytest.mark.django_db
def test_an_api_error_message_follows_accept_language_and_keeps_its_code(
        settings, patient, open_invoice):
    """With LocaleMiddleware in the host, the refusal's message is in the request's
    language; its code, which programs read, never changes."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:2], "django.middleware.locale.LocaleMiddleware",
                           *settings.MIDDLEWARE[2:]]
    from django.test import Client

    from tests.api.conftest import TRANSFER_BACKENDS

    settings.CAREPAY = {**settings.CAREPAY,
                        "BACKENDS": {**settings.CAREPAY["BACKENDS"], **TRANSFER_BACKENDS}}
    factories.pay_cash(open_invoice)  # paid: nothing left to pay
    client = Client()
    client.force_login(patient)
    url = reverse("carepay-api:invoice_transfers", args=[open_invoice.public_id])
    body = {"method": "bank_transfer_uk", "reference": "BT-2026-001"}
    # LocaleMiddleware activates the request's language in this thread and leaves it
    # there (a server's next request activates its own): give the next test English.
    with translation.override(None):
        english = client.post(url, body, content_type="application/json",
                              HTTP_ACCEPT_LANGUAGE="en")
        german = client.post(url, body, content_type="application/json",
                             HTTP_ACCEPT_LANGUAGE="de")
    assert english.status_code == german.status_code == 409
    assert english.json()["code"] == german.json()["code"]
    assert english.json()["message"] == (
        f"Invoice {open_invoice.number} is paid; payments can only be taken on open or "
        "overdue invoices.")
    assert german.json()["message"] == (
        f"Rechnung {open_invoice.number} hat den Status „Bezahlt“; Zahlungen sind nur auf "
        "offenen oder überfälligen Rechnungen möglich.")
