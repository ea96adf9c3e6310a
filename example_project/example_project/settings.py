"""Settings for the example project: a GP clinic billing its appointments, a SaaS
(Riverside Cloud) billing its sign-ups, and a music school selling carts of lessons,
workshop seats and courses, all with carepay.

Made for ``make demo``: SQLite in ``example_project/db.sqlite3`` by default,
PostgreSQL (or any database) when ``DATABASE_URL`` is set, e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/carepay_demo``.

Environment variables: ``DJANGO_DEBUG`` (default on), ``DJANGO_SECRET_KEY`` (a demo
key by default), ``DJANGO_ALLOWED_HOSTS`` (comma-separated), ``DATABASE_URL``,
``CAREPAY_DEMO_BASE_URL`` (where the demo is served, for links e-mailed outside a
request; ``make demo`` sets it from ``PORT``).
"""

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_carepay.api.openapi_settings import CAREPAY_SCHEMA_SETTINGS

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
    # The front door and the site registry (riverside/sites.py): which site, clinic or
    # Riverside Cloud, each page and each user belongs to.
    "riverside",
    "clinic",
    "saas",
    # carepay's JSON API (the [api] extra) and its documentation pages, whose Swagger UI
    # and Redoc files are served from drf-spectacular-sidecar, not a CDN.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "school",
]

# Webhook deliveries are applied by a task worker: Django's tasks framework with the
# database backend (`make demo` runs `manage.py db_worker` beside the server). On
# Django 5.2 the framework is the django-tasks backport ([tasks] extra).
if importlib.util.find_spec("django_tasks_db") is not None:
    if importlib.util.find_spec("django.tasks") is None:
        INSTALLED_APPS.append("django_tasks")
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's choice (a cookie), else the browser's Accept-Language;
    # carepay's pages, e-mails, PDFs and API messages follow it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # E-mails sent while a request is served link to the host and port it came to.
    "riverside.middleware.CurrentRequestMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    # Project templates come first, so templates/carepay/layout.html puts carepay's
    # pages inside the layout of the viewer's site (templates/base.html).
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
# The front door sends each user to their own site's home (riverside.views.home).
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-gb"
# The languages the switcher in templates/base.html offers; carepay ships German
# (django_carepay/locale), the example's own strings are in example_project/locale.
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Proofs of payment uploaded with bank transfers. carepay serves them itself, to staff
# and to the payer only, so there is deliberately no MEDIA_URL route.
MEDIA_ROOT = BASE_DIR / "media"

# carepay's e-mails (invoices with their pay link, receipts, failures, refunds, transfer
# decisions, reminders, staff notices) are printed in the runserver console, text and
# HTML alike; `manage.py carepay_send_reminders` prints the reminders due today.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Where the demo is served, for links in e-mails sent outside a request: `make demo`
# passes CAREPAY_DEMO_BASE_URL=http://127.0.0.1:$(PORT) to seed_demo and runserver alike.
# CAREPAY_SITE_URL is its older name.
DEMO_BASE_URL = (os.environ.get("CAREPAY_DEMO_BASE_URL") or os.environ.get("CAREPAY_SITE_URL")
                 or "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = "billing@riverside-practice.example"

# Django REST framework, for carepay's JSON API at /api/billing/ and Riverside Cloud's
# at /saas/api/. The single-page sign-up (/saas/app/) uses the session and its CSRF
# token. HTTP Basic authentication is on for saas/api_client.py: a DEMO convenience
# (passwords on every request); a real project would use tokens or OAuth over HTTPS.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute", "user": "600/minute"},
    # For `manage.py spectacular`; carepay's views need no setting to be documented.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# `manage.py spectacular --validate --fail-on-warn` documents what /api/billing/schema/
# does: carepay's settings, plus the documentation pages' local files.
SPECTACULAR_SETTINGS = {
    **CAREPAY_SCHEMA_SETTINGS,
    "TITLE": "Riverside Cloud and Riverside Medical Practice: billing API",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

if os.environ.get("STRIPE_SECRET_KEY"):
    CARD_BACKEND = {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend",
        "OPTIONS": {
            "label": _("Card"),
            "secret_key": os.environ["STRIPE_SECRET_KEY"],
            "publishable_key": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
            "webhook_secret": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
            # A Stripe-compatible server instead of api.stripe.com (e.g. localstripe).
            **({"api_base": os.environ["STRIPE_API_BASE"]}
               if os.environ.get("STRIPE_API_BASE") else {}),
        },
    }
    CHECKOUT_BACKEND = {
        "BACKEND": "django_carepay.backends.stripe.StripeCheckoutBackend",
        "OPTIONS": {
            "label": _("Stripe Checkout"),
            "secret_key": os.environ["STRIPE_SECRET_KEY"],
            # One secret, or a list: the platform's endpoint and a Connect endpoint.
            "webhook_secret": [s for s in (os.environ.get("STRIPE_CHECKOUT_WEBHOOK_SECRET",
                                                           ""),
                                           os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET",
                                                          "")) if s],
            **({"api_base": os.environ["STRIPE_API_BASE"]}
               if os.environ.get("STRIPE_API_BASE") else {}),
        },
    }
else:
    CARD_BACKEND = {
        "BACKEND": "django_carepay.backends.dummy.DummyBackend",
        "OPTIONS": {"label": _("Card (demo)")},
    }
    CHECKOUT_BACKEND = {
        "BACKEND": "django_carepay.backends.dummy.DummyBackend",
        "OPTIONS": {"label": _("Stripe Checkout (demo)")},
    }

CAREPAY = {
    "BACKENDS": {
        "cash": {
            "BACKEND": "django_carepay.backends.manual.ManualBackend",
            "OPTIONS": {"label": _("Cash")},
        },
        "terminal": {
            "BACKEND": "django_carepay.backends.manual.ManualBackend",
            "OPTIONS": {"label": _("Card terminal")},
        },
        "cheque": {
            "BACKEND": "django_carepay.backends.manual.ManualBackend",
            "OPTIONS": {"label": _("Cheque"), "currencies": ["GBP"]},
        },
        # Online card payments: Stripe when its keys are in the environment, otherwise
        # the dummy provider, which confirms every payment without moving money.
        "card": CARD_BACKEND,
        # The music school's carts: Stripe Checkout (hosted page) when Stripe's keys are
        # in the environment, otherwise the demo provider standing in for it.
        "checkout": CHECKOUT_BACKEND,
        # Bank transfers: the payer pays from their bank, then tells us (reference,
        # proof); finance approves or rejects at /billing/staff/approvals/. One backend
        # per way of paying; the invoice page offers those whose currencies and
        # countries match the invoice (its billing country).
        "bank_transfer": {
            "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
            "OPTIONS": {
                "label": _("International bank transfer (SWIFT)"),
                "instructions": _(
                    "Send {{ amount_due }} by international transfer to the account below, "
                    "quoting <strong>{{ reference }}</strong> so we can match it to invoice "
                    "{{ invoice.number }}. Ask your bank to charge its fees to you (OUR), "
                    "or less than the amount due will arrive."
                ),
                "account": {
                    gettext_noop("Account name"): "Riverside Group Ltd",
                    gettext_noop("Bank"): "Barclays Bank UK PLC, London",
                    "IBAN": "GB33BUKB20201555555555",
                    "SWIFT/BIC": "BUKBGB22",
                },
                "currencies": ["GBP", "USD", "EUR"],
            },
        },
        "bank_transfer_uk": {
            "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
            "OPTIONS": {
                "label": _("UK bank transfer (Faster Payments)"),
                "instructions": _(
                    "Pay {{ amount_due }} from your UK bank account to the sort code and "
                    "account number below, with <strong>{{ reference }}</strong> as the "
                    "payment reference. Faster Payments usually arrive within minutes."
                ),
                "account": {
                    gettext_noop("Account name"): "Riverside Group Ltd",
                    gettext_noop("Sort code"): "20-20-15",
                    gettext_noop("Account number"): "55555555",
                },
                "countries": ["GB"],
                "currencies": ["GBP"],
            },
        },
        "bank_transfer_pk": {
            "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
            "OPTIONS": {
                "label": _("Bank transfer in Pakistan (IBFT)"),
                "instructions": _(
                    "Transfer {{ amount_due }} through IBFT or at any branch to the IBAN "
                    "below. Write <strong>{{ reference }}</strong> in the remarks (purpose "
                    "of payment) so we can match it to invoice {{ invoice.number }}; keep "
                    "the transaction receipt and upload it below."
                ),
                "account": {
                    gettext_noop("Account title"): "Riverside Group Ltd",
                    gettext_noop("Bank"): "Standard Chartered Bank (Pakistan) Ltd",
                    "IBAN": "PK36SCBL0000001123456702",
                },
                "countries": ["PK"],
                "currencies": ["PKR", "USD"],
            },
        },
        "sepa": {
            "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
            "OPTIONS": {
                "label": _("SEPA transfer"),
                "instructions": _(
                    "Send {{ amount_due }} by SEPA credit transfer to the IBAN below with "
                    "<strong>{{ reference }}</strong> as the remittance information."
                ),
                "account": {
                    gettext_noop("Beneficiary"): "Riverside Group Ltd",
                    "IBAN": "DE89370400440532013000",
                    "BIC": "COBADEFFXXX",
                },
                "countries": ["AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "NL", "PT"],
                "currencies": ["EUR"],
            },
        },
    },
    "DEFAULT_CURRENCY": "GBP",
    "INVOICE_NUMBER_FORMAT": "INV-{year}-{seq:05d}",
    # The clinic's policy, with Riverside Cloud issuing its own sign-ups' invoices.
    "ADAPTER": "saas.adapter.ExampleProjectAdapter",
    # Finance hears about every transfer waiting for approval, and whoever submitted or
    # recorded a payment may not approve it too.
    "STAFF_NOTIFICATION_EMAILS": ["frank.osei@example.com"],
    "REQUIRE_DISTINCT_APPROVER": True,
    # Every kind of e-mail is on (the default); reminders 3 days before the due date,
    # on it, and a week and a fortnight after (the default schedule, spelled out).
    "EMAILS": {},
    "REMINDER_SCHEDULE": [-3, 0, 7, 14],
    # Links e-mailed during a request use its host and port (saas.adapter); outside one
    # (reminders, seed_demo's receipts) they use this.
    "SITE_URL": DEMO_BASE_URL,
    # "task": the webhook view stores a delivery and answers at once; the worker
    # applies it (CAREPAY_WEBHOOK_PROCESSING=sync applies it in the request instead).
    "WEBHOOK_PROCESSING": os.environ.get(
        "CAREPAY_WEBHOOK_PROCESSING",
        "task" if importlib.util.find_spec("django_tasks_db") is not None else "sync"),
    # "sync": e-mails are printed (console backend) by the process that committed the
    # money; CAREPAY_EMAIL_SENDING=task queues them for the worker, which prints them.
    "EMAIL_SENDING": os.environ.get("CAREPAY_EMAIL_SENDING", "sync"),
}
