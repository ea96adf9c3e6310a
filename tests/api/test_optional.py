"""The API is an optional extra: carepay imports and serves its pages without Django REST
framework, and nothing outside ``django_carepay.api`` imports it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "django_carepay"
ROOT = PACKAGE.parents[1]

WITHOUT_DRF = """
import importlib.abc, sys

class NoDRF(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"rest_framework", "drf_spectacular"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoDRF())
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                    "django.contrib.sessions", "django.contrib.admin",
                    "django.contrib.messages", "django_carepay"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    ROOT_URLCONF="django_carepay.urls", SECRET_KEY="x",
    CAREPAY={"SITE_URL": "https://example.com"},
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True, "OPTIONS": {"context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages"]}}])
django.setup()
import django_carepay.admin, django_carepay.services, django_carepay.urls
from django_carepay.models import IdempotencyRecord
from django.core.management import call_command
call_command("check", "carepay")
try:
    import django_carepay.api.urls
except ModuleNotFoundError as exc:
    print("api needs:", exc.name.split(".")[0])
"""


def test_carepay_works_without_django_rest_framework():
    result = subprocess.run([sys.executable, "-c", WITHOUT_DRF], capture_output=True,
                            text=True, cwd=ROOT, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert result.returncode == 0, result.stderr
    assert "api needs: rest_framework" in result.stdout


def test_only_the_api_imports_django_rest_framework():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "api" in path.relative_to(PACKAGE).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in {"rest_framework", "drf_spectacular"} or ".api" in n
                   for n in names):
                offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
