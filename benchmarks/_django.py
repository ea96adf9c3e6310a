"""What every benchmark here does first: Django with carepay's test settings, one card
backend, on a throw-away copy of the database (created, then dropped)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]


def add_database_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url",
                        default=os.environ.get("DATABASE_URL",
                                               "postgres://postgres@127.0.0.1:5432/carepay"))


def setup(database_url: str) -> None:
    """Configure and start Django with tests.settings on ``database_url``."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


@contextmanager
def card_backend_on_a_test_database(*, test_database: str | None = None,
                                    **options: Any) -> Iterator[None]:
    """A Stripe backend aliased ``card`` with ``options``, on a throw-away database
    (named ``test_database``, else Django's test name)."""
    from django.conf import settings

    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {"card": {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend", "OPTIONS": options}}}
    with a_test_database(test_database):
        yield


@contextmanager
def a_test_database(name: str | None = None) -> Iterator[None]:
    """A throw-away copy of the database (created, then dropped), named ``name`` or
    Django's test name (``test_`` and the database's)."""
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    if name:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
