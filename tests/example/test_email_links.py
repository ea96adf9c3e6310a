"""Links in the example project's e-mails reach the port the demo serves on: the
request's host and port while one is served, else CAREPAY_DEMO_BASE_URL, which
``make demo`` passes to seed_demo and runserver from ``PORT``."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path
from types import ModuleType

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

if not apps.is_installed("riverside"):
    pytest.skip("add 'riverside' to INSTALLED_APPS in tests/settings.py to test the "
                "example project's sites", allow_module_level=True)

from saas.demo import ensure_plans

from .support import example_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "example_project" / "example_project" / "settings.py"
LINK = re.compile(r"https?://[^\s\"'<>]+/billing/link/[^\s\"'<>]+")


def load_example_settings() -> ModuleType:
    """A fresh copy of the example project's settings, read under today's environment."""
    spec = importlib.util.spec_from_file_location("example_settings_copy", SETTINGS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def links(messages) -> list[str]:
    found = []
    for message in messages:
        found += LINK.findall(message.body)
        found += [link for body, _ in message.alternatives for link in LINK.findall(body)]
    return found


def test_make_demo_passes_its_port_to_seed_demo_and_runserver():
    if shutil.which("make") is None or not (ROOT / "Makefile").exists():
        pytest.skip("needs make and the repository's Makefile")
    commands = subprocess.run(["make", "-n", "demo", "PORT=8774"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.splitlines()
    for step in ("manage.py seed_demo", "manage.py runserver 127.0.0.1:8774"):
        [line] = [c for c in commands if step in c]
        assert "CAREPAY_DEMO_BASE_URL=http://127.0.0.1:8774 " in line


def test_the_base_url_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("CAREPAY_DEMO_BASE_URL", raising=False)
    monkeypatch.delenv("CAREPAY_SITE_URL", raising=False)
    assert load_example_settings().CAREPAY["SITE_URL"] == "http://127.0.0.1:8000"

    monkeypatch.setenv("CAREPAY_DEMO_BASE_URL", "http://127.0.0.1:8774/")
    assert load_example_settings().CAREPAY["SITE_URL"] == "http://127.0.0.1:8774"


def test_seed_demo_and_reminders_email_links_to_the_demos_port(
        db, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setenv("CAREPAY_DEMO_BASE_URL", "http://127.0.0.1:8774")
    for name, value in example_settings(tmp_path).items():
        setattr(settings, name, value)
    settings.CAREPAY = {**settings.CAREPAY,
                        "SITE_URL": load_example_settings().CAREPAY["SITE_URL"]}

    # E-mails leave on commit.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
        call_command("carepay_send_reminders", stdout=StringIO())

    subjects = {message.subject for message in mail.outbox}
    assert any(subject.startswith("Overdue: invoice") for subject in subjects), subjects
    sent = links(mail.outbox)
    assert sent, "no e-mail carried a payment link"
    assert all(link.startswith("http://127.0.0.1:8774/billing/link/") for link in sent), sent


def test_emails_sent_while_serving_a_request_link_to_its_host_and_port(
        transactional_db, settings, tmp_path, client, django_user_model):
    for name, value in example_settings(tmp_path).items():
        setattr(settings, name, value)
    settings.CAREPAY = {**settings.CAREPAY, "SITE_URL": "http://127.0.0.1:8000"}
    plans = ensure_plans()
    client.force_login(django_user_model.objects.create_user(
        "hannah", email="hannah@example.com", password="pw"))

    response = client.post(reverse("saas:signup"), {
        "name": "Hollis & Wren", "plan": plans["starter"].pk, "country": "GB",
    }, HTTP_HOST="127.0.0.1:8774")

    assert response.status_code == 302
    [invoice_mail] = [m for m in mail.outbox if m.to == ["hannah@example.com"]]
    sent = links([invoice_mail])
    assert sent and all(link.startswith("http://127.0.0.1:8774/billing/link/")
                        for link in sent), sent
