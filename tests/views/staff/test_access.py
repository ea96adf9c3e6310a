"""Every staff invoice page and action checks its permission: without it, a styled 403
and nothing changes; anonymous visitors are sent to log in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from django_carepay import permissions, services
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, configure_backends, submit
from tests.views.staff.conftest import make_staff
from tests.views.staff.support import form, invoice_url, line_url, payment_url, prefix

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, patient):
    """An open £80 invoice with £30 cash received and a £50 transfer awaiting approval,
    and a draft with one line."""
    configure_backends(settings, {"transfer": CLINIC_TRANSFER})
    invoice = factories.make_invoice(customer=patient)
    cash = factories.pay_cash(invoice, "30")
    transfer = submit(invoice, amount="50")
    draft = factories.make_invoice(customer=patient, issue=False)
    return {"invoice": invoice, "cash": cash, "transfer": transfer, "draft": draft,
            "line": draft.lines.get()}


LINE = {"description": "Blood test", "quantity": "1", "unit_price": "20", "tax_rate": "0"}

#: (name, the permission it needs, method, url(world), data(world))
ENDPOINTS: list[tuple[str, str, str, Callable[[dict[str, Any]], str],
                      Callable[[dict[str, Any]], dict[str, Any]]]] = [
    ("list", permissions.VIEW_INVOICE, "get",
     lambda w: reverse("carepay:staff_invoices"), lambda w: {}),
    ("detail", permissions.VIEW_INVOICE, "get",
     lambda w: invoice_url(w["invoice"]), lambda w: {}),
    ("create page", permissions.ADD_INVOICE, "get",
     lambda w: reverse("carepay:staff_invoice_create"), lambda w: {}),
    ("create", permissions.ADD_INVOICE, "post",
     lambda w: reverse("carepay:staff_invoice_create"),
     lambda w: {"customer": "ada", "currency": "GBP", "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "0", **{f"lines-0-{k}": v for k, v in LINE.items()}}),
    ("issue", permissions.CHANGE_INVOICE, "post",
     lambda w: invoice_url(w["draft"], "issue"), lambda w: form("issue", w["draft"])),
    ("send", permissions.CHANGE_INVOICE, "post",
     lambda w: invoice_url(w["invoice"], "send"), lambda w: form("send", w["invoice"])),
    ("add line", permissions.CHANGE_INVOICE, "post",
     lambda w: invoice_url(w["draft"], "add_line"),
     lambda w: form("newline", w["draft"], **LINE)),
    ("edit line", permissions.CHANGE_INVOICE, "post",
     lambda w: line_url(w["line"]), lambda w: form(f"line{w['line'].pk}", w["draft"], **LINE)),
    ("remove line", permissions.CHANGE_INVOICE, "post",
     lambda w: line_url(w["line"], "remove_line"), lambda w: form("remove", w["draft"])),
    ("record", permissions.RECORD_PAYMENT, "post",
     lambda w: invoice_url(w["invoice"], "record_payment"),
     lambda w: form("record", w["invoice"], backend="cash", amount="10",
                    paid_on="2026-01-05", allow_pending_transfers="on")),
    ("refund", permissions.REFUND_PAYMENT, "post",
     lambda w: payment_url(w["cash"], "refund"),
     lambda w: form(prefix(w["cash"], "refund"), w["invoice"], amount="5", reason="Goodwill")),
    ("void", permissions.VOID_INVOICE, "post",
     lambda w: invoice_url(w["draft"], "void"), lambda w: form("void", w["draft"], reason="x")),
    ("write off", permissions.VOID_INVOICE, "post",
     lambda w: invoice_url(w["invoice"], "write_off"),
     lambda w: form("writeoff", w["invoice"], reason="Moved abroad")),
    ("approve", permissions.APPROVE_PAYMENT, "post",
     lambda w: payment_url(w["transfer"], "approve"),
     lambda w: form(prefix(w["transfer"], "approve"), w["invoice"])),
    ("reject", permissions.APPROVE_PAYMENT, "post",
     lambda w: payment_url(w["transfer"], "reject"),
     lambda w: form(prefix(w["transfer"], "reject"), w["invoice"], reason="Not received")),
]
IDS = [e[0] for e in ENDPOINTS]


def call(client, endpoint, world):
    _name, _perm, method, url, data = endpoint
    return getattr(client, method)(url(world), data(world))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_staff_without_any_billing_permission_get_403_and_nothing_changes(
        client, staff, world, endpoint, nothing_changes):
    client.force_login(staff)
    with nothing_changes(*world.values()):
        response = call(client, endpoint, world)
    assert response.status_code == 403
    page = response.content.decode()
    assert "You can't do that here" in page and "Billing home" in page


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_patient_gets_403_on_staff_pages(client, patient, world, endpoint, nothing_changes):
    client.force_login(patient)
    with nothing_changes(*world.values()):
        assert call(client, endpoint, world).status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_every_other_permission_is_not_enough(client, django_user_model, world, endpoint,
                                              nothing_changes):
    """Staff holding every carepay permission but the one an endpoint needs (and, for
    actions, seeing invoices) are refused."""
    needed = endpoint[1]
    everything = {p for role in permissions.ROLES.values() for p in role}
    user = make_staff(django_user_model, "almost",
                      tuple(sorted(everything - {needed})))
    client.force_login(user)
    with nothing_changes(*world.values()):
        assert call(client, endpoint, world).status_code == 403


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e[2] == "post"
                                      and e[1] != permissions.ADD_INVOICE],
                         ids=[e[0] for e in ENDPOINTS if e[2] == "post"
                              and e[1] != permissions.ADD_INVOICE])
def test_actions_also_need_to_see_invoices(client, django_user_model, world, endpoint,
                                           nothing_changes):
    """The action's own permission without ``view_invoice``: the page an action
    re-renders on a refusal could not be shown, so the action is refused too."""
    user = make_staff(django_user_model, "blind", (endpoint[1],))
    client.force_login(user)
    with nothing_changes(*world.values()):
        assert call(client, endpoint, world).status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(client, world, endpoint,
                                                                  nothing_changes):
    with nothing_changes(*world.values()):
        response = call(client, endpoint, world)
    if endpoint[2] == "get":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"] or "login" in response["Location"]
    else:
        assert response.status_code == 403


def test_the_clerk_sees_only_the_actions_the_role_allows(client, clerk, world):
    client.force_login(clerk)
    page = client.get(invoice_url(world["invoice"])).content.decode()
    assert invoice_url(world["invoice"], "record_payment") in page
    assert invoice_url(world["invoice"], "send") in page
    assert payment_url(world["cash"], "refund") not in page
    assert payment_url(world["transfer"], "approve") not in page
    assert invoice_url(world["invoice"], "write_off") not in page


def test_the_manager_sees_every_action(client, manager, world):
    client.force_login(manager)
    page = client.get(invoice_url(world["invoice"])).content.decode()
    for url in (invoice_url(world["invoice"], "record_payment"),
                invoice_url(world["invoice"], "send"), payment_url(world["cash"], "refund"),
                payment_url(world["transfer"], "approve"),
                payment_url(world["transfer"], "reject"),
                invoice_url(world["invoice"], "write_off")):
        assert url in page, url
    # Money was received: the invoice cannot be voided, and the page says why.
    assert invoice_url(world["invoice"], "void") not in page
    assert "It cannot be voided: money was received on it." in page


def test_the_console_navigation_follows_the_permissions(client, clerk, manager):
    client.force_login(clerk)
    nav = client.get(reverse("carepay:staff_invoices")).context["carepay_staff_nav"]
    assert [str(item["label"]) for item in nav] == ["Invoices", "New invoice"]
    client.force_login(manager)
    nav = client.get(reverse("carepay:staff_invoices")).context["carepay_staff_nav"]
    assert [str(item["label"]) for item in nav] == ["Dashboard", "Invoices", "Approvals",
                                                     "New invoice"]


def test_the_console_navigation_is_an_include_a_project_can_empty(client, manager,
                                                                  settings, tmp_path):
    client.force_login(manager)
    page = client.get(reverse("carepay:staff_invoices"))
    assert "carepay/staff/includes/nav.html" in [t.name for t in page.templates]
    html = page.content.decode()
    assert html.count('class="cp-subnav"') == 1
    assert f'<a href="{reverse("carepay:staff_invoices")}" aria-current="page">' in html

    # A project whose header links the console overrides the include with nothing.
    override = tmp_path / "carepay" / "staff" / "includes"
    override.mkdir(parents=True)
    (override / "nav.html").write_text("")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    html = client.get(reverse("carepay:staff_invoices")).content.decode()
    assert "cp-subnav" not in html
    assert "Billing console" not in html


def test_services_are_not_reached_by_a_refused_post(client, staff, world, monkeypatch):
    """The permission check runs before the view: the service is never called."""
    called = []
    monkeypatch.setattr(services, "refund_payment", lambda *a, **k: called.append(a))
    client.force_login(staff)
    endpoint = next(e for e in ENDPOINTS if e[0] == "refund")
    assert call(client, endpoint, world).status_code == 403
    assert called == []


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_with_the_permission_the_same_request_is_served(client, manager, world, endpoint):
    """The requests above are valid: refused for the permission alone."""
    client.force_login(manager)
    response = call(client, endpoint, world)
    assert response.status_code == (200 if endpoint[2] == "get" else 302), \
        response.content.decode()[:3000]
