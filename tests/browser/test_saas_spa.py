"""The example's single-page sign-up (saas/app.js on carepay's JSON API) in a real
Chromium: billing details, the methods for Pakistan, the transfer confirmed with a
proof (multipart), and the pending-payment banner."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from django_carepay.models import Payment
from tests.api.conftest import PNG

pytestmark = pytest.mark.browser


@pytest.fixture
def example_site(settings, tmp_path):
    """The example project's URLs, templates and CAREPAY (the dummy card backend)."""
    from example_project import settings as example

    config = copy.deepcopy(example.CAREPAY)
    config["BACKENDS"]["card"] = {"BACKEND": "django_carepay.backends.dummy.DummyBackend",
                                  "OPTIONS": {"label": "Card (demo)"}}
    settings.CAREPAY = config
    settings.MEDIA_ROOT = tmp_path
    for name in ("ROOT_URLCONF", "TEMPLATES", "LOGIN_URL"):
        setattr(settings, name, getattr(example, name))


def _signed_up_as_bilal(page, live_server, django_user_model, settings, language=None):
    from saas.demo import ensure_plans

    ensure_plans()
    user = django_user_model.objects.create_user("bilal", password="pw")
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    if language:
        # The live server's middleware is fixed for the session; with no language
        # chosen by it, a request is served in LANGUAGE_CODE: the page, its <html
        # lang> and its JavaScript catalogue (words and number formats) alike.
        settings.LANGUAGE_CODE = language
    page.goto(f"{live_server.url}/saas/app/")
    page.wait_for_selector("#plan option[value=growth]", state="attached")
    page.fill("#account-name", "Indus Looms")
    page.select_option("#plan", "growth")
    page.select_option("#country", "PK")
    page.click("#billing-form button")
    page.wait_for_selector("#method-step:not([hidden])")
    # The banner is filled before the methods show (app.js), so nothing moves them.
    assert page.is_visible("#pending-banner li")


def test_signing_up_and_confirming_a_transfer_from_the_page(
        page, live_server, transactional_db, example_site, django_user_model, settings):
    _signed_up_as_bilal(page, live_server, django_user_model, settings)

    # The amount in the page's language (en-gb here), as Intl formats it.
    assert "27,500.00 to pay" in page.text_content("#amount-due")
    assert "PKR" in page.text_content("#amount-due")
    page.check("input[name=method][value=bank_transfer_pk]")
    assert "PK36SCBL0000001123456702" in page.text_content("#instructions")
    assert page.input_value("#amount") == "27500.00"
    page.set_input_files("#proof", files=[{"name": "receipt.png", "mimeType": "image/png",
                                           "buffer": PNG}])
    page.click("#confirm-form button")

    page.wait_for_selector("#pending-banner li.info")
    assert "awaiting approval" in page.text_content("#pending-banner")
    payment = Payment.objects.get()
    assert (payment.status, str(payment.amount), payment.backend) == (
        "awaiting_approval", "27500.000", "bank_transfer_pk")
    assert payment.proof.name.endswith(".png")


def test_in_german_the_amount_is_typed_the_german_way(
        page, live_server, transactional_db, example_site, django_user_model, settings):
    """The page's amount field shows and reads "27.500,00"-style amounts in German; the
    JSON API, strict, is sent "27500.00"."""
    _signed_up_as_bilal(page, live_server, django_user_model, settings, language="de")
    page.check("input[name=method][value=bank_transfer_pk]")
    assert page.input_value("#amount") == "27500,00"

    page.fill("#amount", "27.500,00")
    page.click("#confirm-form button")

    page.wait_for_selector("#pending-banner li.info")
    payment = Payment.objects.get()
    assert (payment.status, str(payment.amount)) == ("awaiting_approval", "27500.000")


@pytest.mark.parametrize("language", ["de", "fr", "de-ch"])
def test_an_amount_that_reads_two_ways_is_refused_not_guessed(
        page, live_server, transactional_db, example_site, django_user_model, settings,
        language):
    _signed_up_as_bilal(page, live_server, django_user_model, settings, language=language)
    page.check("input[name=method][value=bank_transfer_pk]")

    page.fill("#amount", "27.500")  # German thousands, or an English 27.5?
    page.click("#confirm-form button")

    page.wait_for_selector("#error:not([hidden])")
    assert "27.500" in page.text_content("#error") and "1234,50" in page.text_content("#error")
    assert page.evaluate("document.activeElement.id") == "amount"
    # The message is under the amount, which it describes, not below the page.
    assert page.evaluate("document.getElementById('amount').parentElement"
                         ".nextElementSibling.id") == "error"
    assert page.get_attribute("#amount", "aria-invalid") == "true"
    assert page.get_attribute("#amount", "aria-describedby") == "error"
    assert not Payment.objects.exists()  # nothing was sent

    page.fill("#amount", "27500,00")
    page.click("#confirm-form button")
    page.wait_for_selector("#pending-banner li.info")
    assert page.is_hidden("#error")
    assert page.get_attribute("#amount", "aria-invalid") is None


# The page reads a typed amount exactly as carepay's forms do: its readAmount() (in
# app.js) against django_carepay.money.parse_localized_amount, in Chromium, for each
# language's separators, on inputs that are fine, refused as no number, or ambiguous.
TYPED = ["27500", "27500,00", "27500.00", "27.500", "27,500", "27.500,00", "27,500.00",
         "1.234.567,89", "1,234,567.89", "1.23,50", "1,23.50", "27 500,00", "27\u00a0500,00",
         " 95,5 ", "-5,00", "+5", "1,2,3", "1.2.3", "27500,", "95.00", "95,00",
         "\u0662\u0667\u0665\u0660\u0660\u066b\u0665\u0660",  # Arabic-Indic digits and mark
         "abc", ""]
APP_JS = (Path(__file__).resolve().parents[2] / "example_project" / "saas" / "static" / "saas"
          / "app.js")


def _read_amount_source() -> str:
    text = APP_JS.read_text()
    start = text.index("  function readAmount(")
    return text[start:text.index("\n  }\n", start) + 4]


@pytest.mark.parametrize("language", ["en-gb", "de", "fr", "de-ch"])
def test_the_page_reads_amounts_as_carepays_forms_do(page, language):
    from django.utils import translation
    from django.utils.formats import get_format

    from django_carepay.exceptions import InvalidAmount
    from django_carepay.money import parse_localized_amount

    with translation.override(language):
        marks = [str(get_format("DECIMAL_SEPARATOR")), str(get_format("THOUSAND_SEPARATOR"))]
        expected = {}
        for typed in TYPED:
            try:
                expected[typed] = str(parse_localized_amount(typed))
            except InvalidAmount as refused:
                expected[typed] = "ambiguous" if refused.code == "ambiguous" else "refused"
    page.set_content("<html></html>")
    read = page.evaluate("""([source, marks, typed]) => {
        const [decimalMark, thousandsMark] = marks.map((m) => m.normalize("NFKC"));
        const gettext = (s) => s, t = (s) => s;
        const readAmount = new Function("decimalMark", "thousandsMark", "gettext", "t",
            source + "; return readAmount;")(decimalMark, thousandsMark, gettext, t);
        return typed.map((x) => { const r = readAmount(x); return r.error ? r.error : r.amount; });
    }""", [_read_amount_source(), marks, TYPED])
    for typed, got in zip(TYPED, read, strict=True):
        want = expected[typed]
        if want == "ambiguous":
            assert "two different amounts" in got, (language, typed, got)
        elif want == "refused":  # refused on the page, or sent for the strict API to refuse
            assert "not a number" in got or _api_refuses(got), (language, typed, got)
        else:
            assert not _api_refuses(got) and str(_api(got)) == want, (language, typed, got)


def _api(text):
    from django_carepay.money import parse_amount

    return parse_amount(text)


def _api_refuses(text) -> bool:
    from django_carepay.exceptions import InvalidAmount

    try:
        _api(text)
    except InvalidAmount:
        return True
    return False
