"""Shared fixtures for carepay's test suite.

The same tests run on SQLite (default) and on PostgreSQL (``DATABASE_URL``). Tests
marked ``@pytest.mark.postgres`` need real row locks and real threads, so they skip
themselves on any other database.

``HYPOTHESIS_PROFILE=reliability`` runs the property tests with 50 times hypothesis's
default examples (the reliability suite, docs/operations.md); unset, hypothesis's own
default (or its ``ci`` profile on CI) applies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection, models
from django.dispatch import Signal
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import factories

hypothesis_settings.register_profile(
    "reliability", max_examples=5000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True)
if os.environ.get("HYPOTHESIS_PROFILE"):
    hypothesis_settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (running on {connection.vendor}); set DATABASE_URL"
    )
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache (the demo provider keeps its state there)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("reception", password="pw", is_staff=True)


@pytest.fixture
def patient(django_user_model):
    return django_user_model.objects.create_user(
        "ada", email="ada@example.com", password="pw", first_name="Ada", last_name="Lovelace"
    )


@pytest.fixture
def other_patient(django_user_model):
    return django_user_model.objects.create_user("grace", email="grace@example.com",
                                                 password="pw")


@pytest.fixture
def appointment(db):
    return factories.make_appointment()


@pytest.fixture
def draft(patient, appointment):
    """A £80 draft invoice for ``appointment``, billed to ``patient``."""
    return factories.make_invoice(customer=patient, subject=appointment, issue=False)


@pytest.fixture
def invoice(draft):
    """The same invoice, issued: open, £80 due."""
    return factories.issue(draft)


def _field_values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.fixture
def nothing_changes(db) -> Callable[..., AbstractContextManager[None]]:
    """``with nothing_changes(invoice):`` asserts that no billing row was added,
    changed or removed, and that the in-memory objects passed were left as they were
    (a refused service must not half-update the caller's instance either)."""

    @contextmanager
    def check(*objects: models.Model) -> Iterator[None]:
        rows = factories.database_state()
        fields = [_field_values(obj) for obj in objects]
        yield
        assert factories.database_state() == rows
        assert [_field_values(obj) for obj in objects] == fields

    return check


@dataclass
class SignalRecorder:
    """What a receiver connected by :func:`receive` saw."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def last(self) -> dict[str, Any]:
        return self.calls[-1]


@pytest.fixture
def receive() -> Iterator[Callable[..., SignalRecorder]]:
    """Connect a receiver for the duration of the test.

    ``receive(signal, sender=Appointment)`` records every call; ``action`` (called
    with the same keyword arguments) lets a test run host code inside the signal,
    e.g. mark the appointment paid, or raise to prove the service rolls back.
    """
    connected: list[tuple[Signal, Callable[..., None], Any]] = []

    def connect(signal: Signal, *, sender: Any = None,
                action: Callable[..., None] | None = None) -> SignalRecorder:
        recorder = SignalRecorder()

        def receiver(sender: Any, **kwargs: Any) -> None:
            recorder.calls.append({"sender": sender, **kwargs})
            if action is not None:
                action(sender=sender, **kwargs)

        signal.connect(receiver, sender=sender, weak=False)
        connected.append((signal, receiver, sender))
        return recorder

    yield connect
    for signal, receiver, sender in connected:
        signal.disconnect(receiver, sender=sender)
