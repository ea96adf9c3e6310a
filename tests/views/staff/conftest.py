"""Fixtures for the staff console's invoice pages: members of staff in each billing
role, and a client logged in as each."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from django_carepay import permissions


def make_staff(django_user_model: Any, username: str, perms: tuple[str, ...] = ()) -> Any:
    """A member of staff holding exactly ``perms`` (``"carepay.refund_payment"``, …)."""
    user = django_user_model.objects.create_user(
        username, email=f"{username}@clinic.example.com", password="pw", is_staff=True)
    for name in perms:
        app_label, _dot, codename = name.partition(".")
        user.user_permissions.add(Permission.objects.get(
            content_type__app_label=app_label, codename=codename))
    return user


@pytest.fixture
def clerk(django_user_model):
    """The front desk: the "Billing clerk" role's permissions."""
    return make_staff(django_user_model, "rita", permissions.ROLES["Billing clerk"])


@pytest.fixture
def manager(django_user_model):
    """Finance: the "Billing manager" role's permissions."""
    return make_staff(django_user_model, "frank", permissions.ROLES["Billing manager"])


@pytest.fixture
def viewer(django_user_model):
    """Staff who may see invoices and nothing more."""
    return make_staff(django_user_model, "victor", (permissions.VIEW_INVOICE,))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clerk_client(clerk):
    return logged_in(clerk)


@pytest.fixture
def manager_client(manager):
    return logged_in(manager)
