"""Every page of the example project, scanned with axe-core (WCAG 2 A and AA) as the
demo role who would see it: no serious or critical violation anywhere.

One live server for the module, serving the example project (its sites' layouts around
carepay's pages) on the data ``manage.py seed_demo`` makes; each role is logged in once.
A page is one line of :data:`PAGES`; an entry whose URL name does not exist yet (the
staff console pages issue 15 adds) is skipped, saying so, until it does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse

if not apps.is_installed("riverside"):
    pytest.skip("add 'riverside' to INSTALLED_APPS in tests/settings.py to scan the "
                "example project's pages", allow_module_level=True)

from django_carepay import services
from django_carepay.models import Invoice
from tests.example.support import example_settings

# Each test runs in a transaction rolled back after it (and so asks for the test
# database); what the module's fixture seeds is committed, for the server's thread.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@dataclass(frozen=True)
class Demo:
    """The seeded demo behind a live server, with a logged-in session per user."""

    url: str
    sessions: dict[str, str]


def log_in(username: str) -> str:
    """A logged-in session for ``username``: its cookie's value."""
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Demo]:
    """The example project, seeded, served for the whole module; emptied afterwards
    as a transactional test leaves the database."""
    from pytest_django.live_server_helper import LiveServer

    overrides = override_settings(**example_settings(tmp_path_factory.mktemp("media")))
    overrides.enable()
    try:
        with django_db_blocker.unblock():
            call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
            sessions = {name: log_in(name) for name in {p.username for p in PAGES} - {None}}
            server = LiveServer("localhost")
            try:
                yield Demo(url=server.url, sessions=sessions)
            finally:
                server.stop()
                call_command("flush", interactive=False, verbosity=0)
    finally:
        overrides.disable()


# -- how each page is found --------------------------------------------------------------

Opener = Callable[[Any, Demo], Any]  # (page, demo) -> the navigation's response


def url(name: str, *args: Any) -> Callable[[], str]:
    return lambda: reverse(name, args=args)


def invoice_of(username: str, status: str = Invoice.Status.OPEN) -> Invoice:
    invoice = (Invoice.objects.filter(customer__username=username, status=status)
               .order_by("issued_at", "id").first())
    assert invoice is not None, f"seed_demo gave {username} no {status} invoice"
    return invoice


def pay_and_return(page: Any, demo: Demo) -> Any:
    """The result page: pay an open invoice with the demo card, land on the result."""
    invoice = invoice_of("patient5")
    page.goto(demo.url + reverse("carepay:pay", args=[invoice.public_id, "card"]))
    with page.expect_navigation(url="**/return/**") as navigation:
        page.click("#dummy-pay")
    return navigation.value


@dataclass(frozen=True)
class Page:
    """A page to scan: who opens it, where, and the status it answers with."""

    name: str
    username: str | None
    path: Callable[[], str] | None = None
    status: int = 200
    open: Opener | None = None

    def visit(self, page: Any, demo: Demo) -> Any:
        if self.open is not None:
            return self.open(page, demo)
        assert self.path is not None
        try:
            path = self.path()
        except NoReverseMatch as exc:
            pytest.skip(f"{self.name}: its URL does not exist yet ({exc})")
        return page.goto(demo.url + path)


PAGES = [
    Page("front door", None, url("home")),
    Page("log-in", None, url("login")),
    # The clinic: a patient's pages.
    Page("clinic home", "patient1", url("clinic:home")),
    Page("payer invoice list", "patient1", url("carepay:invoice_list")),
    Page("payer invoice detail", "patient2",
         lambda: reverse("carepay:invoice_detail", args=[invoice_of("patient2").public_id])),
    Page("pay page (demo card)", "patient2",
         lambda: reverse("carepay:pay", args=[invoice_of("patient2").public_id, "card"])),
    Page("payment result", "patient5", open=pay_and_return),
    Page("statement", "patient4", url("carepay:statement")),
    Page("403: a patient opens the approvals queue", "patient1", url("carepay:approvals"),
         status=403),
    Page("404: an invoice that is not there", "patient1",
         url("carepay:invoice_detail", uuid.uuid4()), status=404),
    # Riverside Cloud: a customer's pages.
    Page("cloud accounts", "customer3", url("saas:accounts")),
    Page("cloud sign-up", "customer1", url("saas:signup")),
    Page("cloud billing", "customer3", url("carepay:invoice_list")),
    Page("pay page (bank transfer)", "customer3",
         lambda: reverse("carepay:pay", args=[invoice_of("customer3").public_id, "sepa"])),
    # A visitor with a payment link.
    Page("invoice from a payment link", None,
         lambda: urlsplit(services.payment_link(invoice_of("customer3"))).path),
    # The staff console.
    Page("staff home", "finance", url("clinic:home")),
    Page("approvals queue", "finance", url("carepay:approvals")),
    Page("staff invoice list", "finance", url("carepay:staff_invoices")),
    Page("staff invoice detail", "finance",
         lambda: reverse("carepay:staff_invoice", args=[invoice_of("patient2").public_id])),
    Page("staff invoice create", "finance", url("carepay:staff_invoice_create")),
    Page("dashboard", "finance", url("carepay:dashboard")),
]


@pytest.mark.parametrize("entry", PAGES, ids=[entry.name for entry in PAGES])
def test_no_serious_or_critical_accessibility_violations(entry, demo, page, axe_check):
    if entry.username is not None:
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                   "value": demo.sessions[entry.username], "url": demo.url}])
    response = entry.visit(page, demo)

    assert response is not None and response.status == entry.status, (
        f"{entry.name}: {page.url} answered {response.status if response else None}")
    assert "/accounts/login/" not in page.url or entry.username is None
    axe_check(page, where=f"{entry.name} ({page.url})")
