"""Serving the example project from the test suite: its URLs, templates, middleware and
``CAREPAY`` setting, for the client tests here and the browser tests (tests/browser/)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

#: The settings that make the test project serve the example project's pages.
SERVED = ("ROOT_URLCONF", "TEMPLATES", "MIDDLEWARE", "LOGIN_URL", "LOGIN_REDIRECT_URL",
          "LOGOUT_REDIRECT_URL", "LOCALE_PATHS")


def example_carepay() -> dict[str, Any]:
    """The example project's CAREPAY, with the dummy provider as its card backend
    whatever the environment says (it picks Stripe when STRIPE_SECRET_KEY is set)."""
    from example_project import settings as example_settings

    config: dict[str, Any] = copy.deepcopy(example_settings.CAREPAY)
    from django.utils.translation import gettext_lazy

    config["BACKENDS"]["card"] = {"BACKEND": "django_carepay.backends.dummy.DummyBackend",
                                  "OPTIONS": {"label": gettext_lazy("Card (demo)")}}
    return config


def example_settings(media_root: Path) -> dict[str, Any]:
    """Everything to override for the test project to be the example project."""
    from example_project import settings as example

    return {**{name: getattr(example, name) for name in SERVED},
            "CAREPAY": example_carepay(), "MEDIA_ROOT": str(media_root)}
