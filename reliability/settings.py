"""The test host's settings (``tests.settings``) as a deployment serves them: DEBUG
off, persistent database connections, the Stripe backend aliased ``card`` pointed at
localstripe, and the webhook mode of the run.

Read from the environment, so gunicorn, ``db_worker`` and the driver agree:

* ``DATABASE_URL``: the storm's throw-away PostgreSQL database;
* ``CAREPAY_STORM_STRIPE_URL``: localstripe's address;
* ``CAREPAY_STORM_MODE``: ``sync`` or ``task`` (``CAREPAY["WEBHOOK_PROCESSING"]``;
  task mode queues in the database: ``django_tasks_db``, run by ``db_worker``).
"""

import os
from typing import Any

from tests.settings import *  # noqa: F403
from tests.settings import CAREPAY, DATABASES

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# A deployment keeps its connections (tests.settings opens one per request).
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

#: localstripe takes any test key; the driver signs deliveries with this secret.
STRIPE_SECRET_KEY = "sk_test_carepay_storm"
PUBLISHABLE_KEY = "pk_test_carepay_storm"
WEBHOOK_SECRET = "whsec_carepay_storm_3b9e1f"
MODE = os.environ.get("CAREPAY_STORM_MODE", "sync")
STRIPE_URL = os.environ.get("CAREPAY_STORM_STRIPE_URL", "http://127.0.0.1:9")

_BACKENDS: dict[str, Any] = dict(CAREPAY["BACKENDS"])  # type: ignore[arg-type]
CAREPAY = {
    **CAREPAY,
    "BACKENDS": {**_BACKENDS, "card": {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend",
        # As tests.backends.stripe.support.card_backend_options builds them (that
        # module imports models, which settings cannot), with a few retries as
        # production has them (localstripe is one busy process).
        "OPTIONS": {"label": "Card", "secret_key": STRIPE_SECRET_KEY,
                    "publishable_key": PUBLISHABLE_KEY, "webhook_secret": WEBHOOK_SECRET,
                    "api_base": STRIPE_URL, "max_network_retries": 2}}},
    "WEBHOOK_PROCESSING": MODE,
}
if MODE == "task":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Every 5xx and carepay's own warnings on stderr (gunicorn's error log), for the report.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s "
                                       "%(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "django_carepay": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django_tasks": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django_tasks_db": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
