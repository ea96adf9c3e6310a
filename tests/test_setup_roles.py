"""``carepay_setup_roles``: the billing groups, made once and kept up to date."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from django_carepay import permissions

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("carepay_setup_roles", *args, stdout=out)
    return out.getvalue()


def perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")}


def test_creates_the_two_roles():
    output = run()
    assert "Billing clerk: create with 7 permission(s)." in output
    assert perms("Billing clerk") == {
        "carepay.view_invoice", "carepay.view_invoiceline", "carepay.view_payment",
        "carepay.view_transaction", "carepay.add_invoice", "carepay.change_invoice",
        "carepay.record_payment"}
    assert perms("Billing manager") == perms("Billing clerk") | {
        "carepay.refund_payment", "carepay.approve_payment", "carepay.void_invoice",
        "carepay.view_dashboard"}


def test_running_twice_changes_nothing():
    run()
    before = {name: perms(name) for name in permissions.ROLES}
    output = run()
    assert output == "Billing clerk: up to date.\nBilling manager: up to date.\n"
    assert {name: perms(name) for name in permissions.ROLES} == before
    assert Group.objects.count() == 2


def test_brings_a_changed_group_back_and_keeps_the_hosts_own_permissions():
    run()
    clerk = Group.objects.get(name="Billing clerk")
    refund = Permission.objects.get(codename="refund_payment")
    sessions = Permission.objects.get(codename="view_session")
    clerk.permissions.remove(Permission.objects.get(codename="record_payment"))
    clerk.permissions.add(refund, sessions)

    output = run()

    assert "Billing clerk: add record_payment; remove refund_payment." in output
    assert perms("Billing clerk") == {*permissions.ROLES["Billing clerk"],
                                      "sessions.view_session"}


def test_dry_run_changes_nothing():
    output = run("--dry-run")
    assert "Billing clerk: would create with 7 permission(s)." in output
    assert "Dry run: nothing was changed." in output
    assert not Group.objects.exists()
