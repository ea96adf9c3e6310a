"""Go-live: each deploy check fires on settings that have its problem and stays quiet
on settings that do not; ``carepay_golive`` prints the checklist from them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_carepay.golive import CHECKLIST, evaluate

MANUAL = {"BACKEND": "django_carepay.backends.manual.ManualBackend"}
STRIPE = "django_carepay.backends.stripe.StripeBackend"

#: Settings with nothing for carepay's deploy checks to report.
READY: dict = {
    "DEBUG": False,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DEFAULT_FROM_EMAIL": "Billing <billing@riverside-practice.co.uk>",
    "CAREPAY": {**settings.CAREPAY, "BACKENDS": {"cash": MANUAL},
                "SITE_URL": "https://pay.riverside-practice.co.uk"},
}


def stripe(secret="sk_live_carepay_1", **options):
    return {"BACKEND": STRIPE, "OPTIONS": {
        "secret_key": secret, "publishable_key": secret.replace("sk_", "pk_"),
        "webhook_secret": "whsec_1", **options}}


#: Keys of CAREPAY a test may change (the rest are top-level settings).
CAREPAY_KEYS = ("BACKENDS", "SITE_URL", "FROM_EMAIL")


def deploy_ids(**changes):
    carepay = {**READY["CAREPAY"],
               **{k: changes.pop(k) for k in CAREPAY_KEYS if k in changes}}
    with override_settings(**{**READY, **changes, "CAREPAY": carepay}):
        return {m.id for m in run_checks(include_deployment_checks=True)
                if m.id.startswith("carepay.")}


def test_ready_settings_are_quiet():
    assert deploy_ids() == set()


@pytest.mark.parametrize(("check_id", "problem"), [
    ("carepay.E040", {"BACKENDS": {"card": {
        "BACKEND": "django_carepay.backends.dummy.DummyBackend"}}}),
    ("carepay.W040", {"SITE_URL": "http://pay.riverside-practice.co.uk"}),
    ("carepay.W041", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
    ("carepay.W041", {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
    ("carepay.W042", {"DEFAULT_FROM_EMAIL": "webmaster@localhost"}),
    ("carepay.W042", {"FROM_EMAIL": "billing@example.com"}),
    ("carepay.W010", {"BACKENDS": {"card": stripe("sk_test_carepay_1")}}),
    ("carepay.W012", {"BACKENDS": {"card": stripe(api_base="http://127.0.0.1:12111")}}),
    ("carepay.W013", {"BACKENDS": {"card": stripe(),
                                   "checkout": stripe("sk_test_carepay_2")}}),
    ("carepay.E014", {"BACKENDS": {"card": stripe(publishable_key="pk_test_x")}}),
    ("carepay.E013", {"BACKENDS": {"card": stripe(webhook_secret="")}}),
    ("carepay.E015", {"BACKENDS": {"card": stripe(webhook_secret=["whsec_1", ""])}}),
])
def test_each_check_fires_on_its_problem(check_id, problem):
    assert check_id in deploy_ids(**problem)


@pytest.mark.parametrize("quiet", [
    {"BACKENDS": {"card": stripe(), "checkout": stripe("sk_live_carepay_2")}},
    {"BACKENDS": {"card": stripe(api_base="https://api.stripe.com/")}},
    {"BACKENDS": {"card": stripe(webhook_secret=["whsec_1", "whsec_connect"])}},
    {"EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend"},
])
def test_good_variants_stay_quiet(quiet):
    assert deploy_ids(**quiet) == set()


def test_weasyprint_missing_is_reported(monkeypatch):
    from django_carepay.documents import engine

    monkeypatch.setattr(engine, "weasyprint_installed", lambda: False)
    assert "carepay.W043" in deploy_ids()


def test_every_check_has_a_hint_saying_what_to_change():
    problems = {"SITE_URL": "http://x.example", "DEFAULT_FROM_EMAIL": "webmaster@localhost",
                "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
                "BACKENDS": {"card": stripe(api_base="http://127.0.0.1:1"),
                             "demo": {"BACKEND": "django_carepay.backends.dummy.DummyBackend"},
                             "checkout": stripe("sk_test_carepay_3")}}
    carepay = {**READY["CAREPAY"], **{k: problems.pop(k) for k in ("SITE_URL", "BACKENDS")}}
    with override_settings(**{**READY, **problems, "CAREPAY": carepay}):
        messages = [m for m in run_checks(include_deployment_checks=True)
                    if m.id.startswith("carepay.")]
    assert {m.id for m in messages} >= {"carepay.E040", "carepay.W040", "carepay.W041",
                                        "carepay.W042", "carepay.W010", "carepay.W012",
                                        "carepay.W013"}
    assert all(m.hint for m in messages)


def test_each_check_belongs_to_one_item():
    ids = [i for section in CHECKLIST for item in section.items for i in item.check_ids]
    assert len(ids) == len(set(ids))


def test_the_checklist_ticks_from_the_checks():
    with override_settings(**{**READY, "EMAIL_BACKEND":
                              "django.core.mail.backends.console.EmailBackend"}):
        results = {r.item.title: r for _s, rs in evaluate() for r in rs}
    assert results["E-mail is delivered (not printed or kept in memory)"].state == "problem"
    assert results["No demo provider takes payments"].state == "ok"
    assert results["Database backups are taken and a restore was tried"].state == "manual"


def test_the_command_prints_the_checklist_and_fails_on_demand():
    out = StringIO()
    with override_settings(**{**READY, "EMAIL_BACKEND":
                              "django.core.mail.backends.console.EmailBackend"}):
        call_command("carepay_golive", stdout=out)
        with pytest.raises(CommandError, match="go-live item"):
            call_command("carepay_golive", "--fail", stdout=StringIO())
    text = out.getvalue()
    assert "✘         E-mail is delivered" in text
    assert "→ Set EMAIL_BACKEND" in text
    assert "✔         No demo provider takes payments" in text
    assert "· manual  A real payment and its refund went through end to end" in text
