"""The example's single-page sign-up (saas/app.js on carepay's JSON API) in a real
Chromium: billing details, the methods for Pakistan, the transfer confirmed with a
proof (multipart), and the pending-payment banner."""

from __future__ import annotations

import copy
import re

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


def _signed_up_as_bilal(page, live_server, django_user_model, language=None):
    from saas.demo import ensure_plans

    ensure_plans()
    user = django_user_model.objects.create_user("bilal", password="pw")
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    if language:
        # The page in ``language`` as far as its script goes (its <html lang>, which
        # app.js formats and reads amounts by); the live server's middleware is fixed
        # for the session, so the server's own words stay in the tests' language.
        def in_language(route):
            html = route.fetch().text()
            route.fulfill(body=re.sub(r'<html lang="[^"]*"', f'<html lang="{language}"', html),
                          content_type="text/html")

        page.route("**/saas/app/", in_language)

    page.goto(f"{live_server.url}/saas/app/")
    page.wait_for_selector("#plan option[value=growth]", state="attached")
    page.fill("#account-name", "Indus Looms")
    page.select_option("#plan", "growth")
    page.select_option("#country", "PK")
    page.click("#billing-form button")
    page.wait_for_selector("#method-step:not([hidden])")


def test_signing_up_and_confirming_a_transfer_from_the_page(
        page, live_server, transactional_db, example_site, django_user_model):
    _signed_up_as_bilal(page, live_server, django_user_model)

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
        page, live_server, transactional_db, example_site, django_user_model):
    """The page's amount field shows and reads "27.500,00"-style amounts in German; the
    JSON API, strict, is sent "27500.00"."""
    _signed_up_as_bilal(page, live_server, django_user_model, language="de")
    page.check("input[name=method][value=bank_transfer_pk]")
    assert page.input_value("#amount") == "27500,00"

    page.fill("#amount", "27.500,00")
    page.click("#confirm-form button")

    page.wait_for_selector("#pending-banner li.info")
    payment = Payment.objects.get()
    assert (payment.status, str(payment.amount)) == ("awaiting_approval", "27500.000")


def test_an_amount_that_reads_two_ways_is_refused_not_guessed(
        page, live_server, transactional_db, example_site, django_user_model):
    _signed_up_as_bilal(page, live_server, django_user_model, language="de")
    page.check("input[name=method][value=bank_transfer_pk]")

    page.fill("#amount", "27.500")  # German thousands, or an English 27.5?
    page.click("#confirm-form button")

    page.wait_for_selector("#error:not([hidden])")
    assert "27.500" in page.text_content("#error") and "27500,00" in page.text_content("#error")
    assert page.evaluate("document.activeElement.id") == "amount"
    assert not Payment.objects.exists()  # nothing was sent
