"""Settings for carepay's test suite. ``DATABASE_URL`` selects PostgreSQL."""

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

import dj_database_url

# The example project's host apps (clinic, saas) are installed too; make them
# importable however these settings are loaded (pytest, mypy's Django plugin).
EXAMPLE_PROJECT = str(Path(__file__).resolve().parent.parent / "example_project")
if EXAMPLE_PROJECT not in sys.path:
    sys.path.append(EXAMPLE_PROJECT)

SECRET_KEY = "carepay-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Europe/London"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_carepay",
    "tests.testapp",
    "riverside",  # the example project's sites and front door (tests/example/test_sites.py)
    "clinic",  # the example project's host app (tests/example/)
    "saas",  # the example project's SaaS app (tests/example/test_saas.py)
    "school",  # the example project's music school (tests/example/test_school.py)
]

# Task mode's tests (tests/tasks/) run the database task backend and its worker; the
# [tasks] extra brings them (on Django 6 the framework itself is Django's).
if importlib.util.find_spec("django_tasks_db") is not None:
    if importlib.util.find_spec("django.tasks") is None:
        INSTALLED_APPS.append("django_tasks")  # the backport: resets on setting_changed
    INSTALLED_APPS.append("django_tasks_db")
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
                     if importlib.util.find_spec("django.tasks") is None
                     else "django.tasks.backends.immediate.ImmediateBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///:memory:"), conn_max_age=0
    )
}
if os.environ.get("SERVER_SIDE_BINDING") and "postgresql" in DATABASES["default"]["ENGINE"]:
    # As a host may run it: Django's server-side parameter binding (psycopg then
    # prepares a statement run five times on a connection).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME")} \
        if os.environ.get("SQLITE_TEST_NAME") else {}

STATIC_URL = "/static/"
# Stored PDFs of tests that do not set their own land here, not in the working tree.
MEDIA_ROOT = tempfile.mkdtemp(prefix="carepay-test-media-")
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "billing@example.com"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CAREPAY = {
    "BACKENDS": {
        "cash": {"BACKEND": "django_carepay.backends.manual.ManualBackend",
                 "OPTIONS": {"label": "Cash"}},
        "terminal": {"BACKEND": "django_carepay.backends.manual.ManualBackend",
                     "OPTIONS": {"label": "Card terminal", "currencies": ["GBP"]}},
        "online": {"BACKEND": "django_carepay.backends.dummy.DummyBackend",
                   "OPTIONS": {"label": "Online (test)"}},
    },
    "DEFAULT_CURRENCY": "GBP",
    "SITE_URL": "https://clinic.example.com",
}

# Test-only templates (registration/login.html for the browser tests' log-in page).
TEMPLATES[0]["DIRS"] = [Path(__file__).resolve().parent / "templates"]
