"""The settings snippet and the ``carepay_settings`` fixture."""

from __future__ import annotations

import copy

from django.conf import settings
from django.core import mail
from django.core.management import call_command

from django_carepay.backends import get_backend
from django_carepay.testing import (
    CAREPAY_TEST_SETTINGS,
    TEST_SETTINGS,
    carepay_test_settings,
    make_invoice,
    pay_invoice,
)


def test_the_test_backends_are_added_to_the_hosts_and_nothing_passed_in_changes():
    host = {"BACKENDS": {"card": {"BACKEND": "x.Y"},
                         "cash": {"BACKEND": "host.Cash"}},
            "DEFAULT_CURRENCY": "EUR", "ADAPTER": "host.Adapter"}
    before = copy.deepcopy(host)
    merged = carepay_test_settings(host)
    assert list(merged["BACKENDS"]) == ["card", "cash", "bank_transfer", "online"]
    assert merged["BACKENDS"]["cash"] == CAREPAY_TEST_SETTINGS["BACKENDS"]["cash"]
    assert merged["DEFAULT_CURRENCY"] == "EUR"  # the host's, kept
    assert merged["ADAPTER"] == "host.Adapter"
    assert merged["SITE_URL"] == "https://testserver"  # filled in: the host had none
    assert host == before
    merged["BACKENDS"]["online"]["OPTIONS"]["label"] = "changed"
    assert CAREPAY_TEST_SETTINGS["BACKENDS"]["online"]["OPTIONS"]["label"] == "Card (test)"


def test_without_a_host_setting_the_snippet_is_the_whole_setting():
    assert carepay_test_settings() == CAREPAY_TEST_SETTINGS


def test_the_snippet_passes_the_system_checks(settings, capsys):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)
    call_command("check", "--fail-level", "WARNING")  # raises on any message


def test_the_fixture_applies_the_snippet_for_one_test(carepay_settings, django_user_model,
                                                       django_capture_on_commit_callbacks):
    assert carepay_settings.EMAIL_BACKEND == settings.EMAIL_BACKEND \
        == TEST_SETTINGS["EMAIL_BACKEND"]
    assert carepay_settings.CAREPAY["BACKENDS"]["bank_transfer"]["BACKEND"].endswith(
        "BankTransferBackend")
    # The host's own backends (tests/settings.py's) are still there.
    assert get_backend("terminal").label == "Card terminal"
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    payer = django_user_model.objects.create_user("payer", email="payer@example.com")
    invoice = make_invoice(customer=payer)
    with django_capture_on_commit_callbacks(execute=True):
        pay_invoice(invoice, backend="bank_transfer", by=clerk)
    assert invoice.status == "paid"
    # carepay's e-mails land in the locmem outbox.
    assert ["payer@example.com"] in [message.to for message in mail.outbox]


def test_the_fixture_is_undone_after_the_test():
    assert "bank_transfer" not in settings.CAREPAY["BACKENDS"]
