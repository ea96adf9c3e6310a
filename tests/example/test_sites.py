"""The example project's sites (riverside/sites.py): the clinic and Riverside Cloud read
as two sites behind one login; each user lands on, and only navigates, their own."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

if not apps.is_installed("riverside"):
    pytest.skip("add 'riverside' to INSTALLED_APPS in tests/settings.py to test the "
                "example project's sites", allow_module_level=True)

from clinic.billing import bill_appointment
from clinic.models import Appointment
from riverside.sites import CLINIC, SAAS, DemoSite, NavLink
from saas.billing import sign_up
from saas.demo import ensure_plans

from django_carepay import services
from django_carepay.models import Invoice

from .support import example_settings

PASSWORD = "pw"


@pytest.fixture
def example(settings, tmp_path):
    for name, value in example_settings(tmp_path).items():
        setattr(settings, name, value)


def user(django_user_model, username, *perms, is_staff=False):
    person = django_user_model.objects.create_user(
        username, email=f"{username}@example.com", password=PASSWORD,
        first_name=username.title(), is_staff=is_staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        person.user_permissions.add(Permission.objects.get(
            content_type__app_label=app_label, codename=codename))
    return person


@pytest.fixture
def patient(example, django_user_model):
    olivia = user(django_user_model, "olivia")
    appointment = Appointment.objects.create(
        patient=olivia, clinician="Dr Amelia Hart", reason="Persistent cough",
        fee=Decimal("65.00"), starts_at=timezone.now())
    bill_appointment(appointment)
    return olivia


@pytest.fixture
def customer(example, django_user_model):
    hannah = user(django_user_model, "hannah")
    sign_up(owner=hannah, name="Hollis & Wren", plan=ensure_plans()["starter"], country="GB")
    return hannah


@pytest.fixture
def finance(example, django_user_model):
    return user(django_user_model, "frank", "carepay.approve_payment", "carepay.view_dashboard",
                "carepay.view_invoice", "carepay.record_payment", is_staff=True)


@pytest.fixture
def reception(example, django_user_model):
    return user(django_user_model, "rita", "carepay.record_payment", "carepay.view_invoice",
                is_staff=True)


def nav(html: str) -> list[str]:
    """The labels of the site's navigation, the current one starred."""
    block = re.search(r'<nav class="site-nav".*?</nav>', html, flags=re.S)
    if block is None:
        return []
    return [label + ("*" if current else "")
            for current, label in re.findall(r'<a href="[^"]*"( aria-current="page")?>([^<]*)</a>',
                                             block.group(0))]


def site_of(html: str) -> str:
    [key] = re.findall(r'<body class="site site-(\w+)">', html)
    return key


def reverses(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def log_in(client, person):
    response = client.post(reverse("login"), {"username": person.username,
                                              "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    return response


# -- landing after the log-in ----------------------------------------------------------

def test_a_patient_lands_on_the_clinic_home_and_sees_only_its_navigation(client, patient):
    response = log_in(client, patient)

    assert response.redirect_chain[-1][0] == reverse("clinic:home")
    html = response.content.decode()
    assert site_of(html) == "clinic"
    assert nav(html) == ["My appointments*", "My invoices", "Statement"]
    assert "Persistent cough" in html
    assert "Riverside Cloud" not in html
    assert "/saas/" not in html


def test_a_customer_lands_on_riverside_cloud_and_never_on_the_clinic_home(client, customer):
    response = log_in(client, customer)

    assert response.redirect_chain[-1][0] == reverse("saas:accounts")
    html = response.content.decode()
    assert site_of(html) == "saas"
    assert nav(html) == ["Accounts*", "New account", "Sign-up app (API)", "Billing",
                         "Statement"]
    assert "Hollis &amp; Wren" in html
    assert "Riverside Medical Practice" not in html
    # Even asked for by its address, the clinic's home sends them to their own.
    response = client.get(reverse("clinic:home"), follow=True)
    assert response.redirect_chain == [(reverse("saas:accounts"), 302)]
    assert "appointments" not in response.content.decode()


def test_staff_land_on_the_clinic_with_the_console_links_that_exist(client, finance):
    html = log_in(client, finance).content.decode()

    assert site_of(html) == "clinic"
    # The console's pages appear as their URLs are merged (staff invoices, dashboard).
    expected = ["Home*", *(["Invoices"] if reverses("carepay:staff_invoices") else []),
                "Approvals", *(["Dashboard"] if reverses("carepay:dashboard") else []), "Admin"]
    assert nav(html) == expected
    assert "My appointments" not in html
    # The home page offers the same pages as tiles.
    assert reverse("carepay:approvals") in html.split('<main id="main"')[1]


def test_console_pages_show_one_navigation_the_sites(client, finance):
    """The clinic's header links the console's pages, so carepay's own navigation
    (carepay/staff/includes/nav.html) is emptied by the example's override."""
    log_in(client, finance)
    html = client.get(reverse("carepay:approvals")).content.decode()
    assert "Approvals*" in nav(html)
    assert "cp-subnav" not in html
    main = html.split('<main id="main"')[1]
    assert f'href="{reverse("carepay:dashboard")}"' not in main


def test_reception_does_not_see_the_approvals_they_may_not_open(client, reception):
    html = log_in(client, reception).content.decode()
    assert "Approvals" not in nav(html)
    assert "Admin" in nav(html)


def test_the_front_door_lists_both_sites_and_who_logs_in_to_each(client, example, settings):
    settings.DEBUG = True  # the demo logins are shown under `make demo` only
    html = client.get("/").content.decode()

    assert site_of(html) == "riverside"
    assert nav(html) == []
    clinic, cloud = html.split('id="site-saas"')
    assert "Riverside Medical Practice" in clinic and "<code>patient1</code>" in clinic
    assert "<code>finance</code>" in clinic
    assert "<code>customer1</code>" in cloud and "<code>patient1</code>" not in cloud
    login = client.get(reverse("login")).content.decode()
    assert site_of(login) == "riverside"
    assert "Riverside Medical Practice" in login and "Riverside Cloud" in login


# -- carepay's pages in the viewer's site ---------------------------------------------

def test_billing_pages_wear_the_site_of_whoever_views_them(client, patient, customer, finance):
    client.force_login(patient)
    html = client.get(reverse("carepay:invoice_list")).content.decode()
    assert site_of(html) == "clinic"
    assert nav(html) == ["My appointments", "My invoices*", "Statement"]
    invoice = Invoice.objects.get(customer=patient)
    html = client.get(reverse("carepay:invoice_detail", args=[invoice.public_id])).content.decode()
    assert nav(html) == ["My appointments", "My invoices*", "Statement"]
    assert "clinic/demo.css" in html and "saas/saas.css" not in html

    client.force_login(customer)
    html = client.get(reverse("carepay:invoice_list")).content.decode()
    assert site_of(html) == "saas"
    assert nav(html) == ["Accounts", "New account", "Sign-up app (API)", "Billing*",
                         "Statement"]
    # carepay's own accent follows the site's colours.
    assert "--cp-accent: #4338ca;" in html

    client.force_login(finance)
    html = client.get(reverse("carepay:approvals")).content.decode()
    assert site_of(html) == "clinic"
    assert "Approvals*" in nav(html)


def test_a_payment_link_shows_the_invoice_in_the_site_that_billed_it(client, patient,
                                                                     customer):
    cloud_invoice = Invoice.objects.get(customer=customer)
    response = client.get(services.payment_link(cloud_invoice), follow=True)
    assert response.redirect_chain[-1][0] == reverse("carepay:invoice_detail",
                                                     args=[cloud_invoice.public_id])
    html = response.content.decode()
    assert site_of(html) == "saas"
    assert cloud_invoice.number in html

    clinic_invoice = Invoice.objects.get(customer=patient)
    html = client.get(services.payment_link(clinic_invoice), follow=True).content.decode()
    assert site_of(html) == "clinic"
    assert "Riverside Cloud" not in html


def test_pages_of_no_site_are_the_front_doors_for_visitors(client, example):
    html = client.get("/no-such-page/").content.decode()
    assert site_of(html) == "riverside"


# -- the registry -----------------------------------------------------------------------

def test_a_nav_link_to_a_page_not_built_yet_is_left_out(rf, finance):
    site = DemoSite(key="school", name="School", tagline="", description="", home="home",
                    theme={}, logo="", nav=(
                        NavLink(label="Lessons", url_name="carepay:lessons_not_yet"),
                        NavLink(label="Approvals", url_name="carepay:approvals"),
                    ))
    request = rf.get(reverse("carepay:approvals"))
    request.user = finance
    assert site.nav_for(request) == [
        {"label": "Approvals", "url": reverse("carepay:approvals"), "current": True,
         "description": ""}]


def test_every_site_has_a_home_and_its_own_colours_for_carepay(example):
    for site in (CLINIC, SAAS):
        assert site.home_url()
        assert site.theme["--cp-accent"] == site.theme["--site-brand"]
    assert CLINIC.theme["--site-brand"] != SAAS.theme["--site-brand"]
