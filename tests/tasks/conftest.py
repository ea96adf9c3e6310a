"""Fixtures for the operations tests: localstripe's card backend, and task mode."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import override_settings

from tests.backends.stripe.support import (
    card_backend,
    card_payment,
    localstripe,
    localstripe_url,
    paid_intent,
    server_client,
)

__all__ = ["card_backend", "card_payment", "localstripe", "localstripe_url", "paid_intent",
           "server_client"]

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def task_mode(card_backend) -> Iterator[None]:
    """``CAREPAY["WEBHOOK_PROCESSING"] = "task"`` (tasks run by the immediate backend,
    in the request, unless a test sets ``TASKS`` too)."""
    with override_settings(CAREPAY={**settings.CAREPAY, "WEBHOOK_PROCESSING": "task"}):
        yield


@pytest.fixture
def database_tasks(task_mode) -> Iterator[None]:
    """Task mode with the database backend: a delivery waits for a worker."""
    pytest.importorskip("django_tasks_db")
    with override_settings(TASKS=DATABASE_TASKS):
        yield
