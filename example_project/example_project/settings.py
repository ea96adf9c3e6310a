"""Settings for the example project: a GP clinic billing its appointments with carepay.

Made for ``make demo``: SQLite in ``example_project/db.sqlite3`` by default,
PostgreSQL (or any database) when ``DATABASE_URL`` is set, e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/carepay_demo``.

Environment variables: ``DJANGO_DEBUG`` (default on), ``DJANGO_SECRET_KEY`` (a demo
key by default), ``DJANGO_ALLOWED_HOSTS`` (comma-separated), ``DATABASE_URL``.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" mean true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# The demo runs with DEBUG on so runserver serves static files and shows errors.
DEBUG = env_flag("DJANGO_DEBUG", default=True)
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "django-insecure-carepay-demo-only-never-use-in-production"
)
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_carepay",
    "clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    # Project templates come first, so templates/carepay/layout.html puts carepay's
    # pages inside the clinic's own layout.
    "DIRS": [BASE_DIR / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60,
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# E-mails (invoices with their pay link) are printed in the runserver console.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "billing@riverside-practice.example"

if os.environ.get("STRIPE_SECRET_KEY"):
    CARD_BACKEND = {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend",
        "OPTIONS": {
            "label": "Card",
            "secret_key": os.environ["STRIPE_SECRET_KEY"],
            "publishable_key": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
            "webhook_secret": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
            # A Stripe-compatible server instead of api.stripe.com (e.g. localstripe).
            **({"api_base": os.environ["STRIPE_API_BASE"]}
               if os.environ.get("STRIPE_API_BASE") else {}),
        },
    }
else:
    CARD_BACKEND = {
        "BACKEND": "django_carepay.backends.dummy.DummyBackend",
        "OPTIONS": {"label": "Card (demo)"},
    }

CAREPAY = {
    "BACKENDS": {
        "cash": {
            "BACKEND": "django_carepay.backends.manual.ManualBackend",
            "OPTIONS": {"label": "Cash"},
        },
        "terminal": {
            "BACKEND": "django_carepay.backends.manual.ManualBackend",
            "OPTIONS": {"label": "Card terminal"},
        },
        # Online card payments: Stripe when its keys are in the environment, otherwise
        # the dummy provider, which confirms every payment without moving money.
        "card": CARD_BACKEND,
    },
    "DEFAULT_CURRENCY": "GBP",
    "INVOICE_NUMBER_FORMAT": "INV-{year}-{seq:05d}",
    "ADAPTER": "clinic.adapter.ClinicAdapter",
    # Used for links e-mailed outside a request (invoice e-mails).
    "SITE_URL": os.environ.get("CAREPAY_SITE_URL", "http://127.0.0.1:8000"),
}
