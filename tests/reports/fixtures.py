"""Fixtures for the report, dashboard and export tests: the bank transfer configured,
the hand-built history, and "today" frozen. Import them where needed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.reports import dataset


@pytest.fixture
def with_transfer(settings) -> None:
    """A GBP bank transfer as ``"transfer"`` (for payments awaiting approval)."""
    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {
        **settings.CAREPAY["BACKENDS"], "transfer": dataset.TRANSFER}}


@pytest.fixture
def history(db, staff, patient, with_transfer) -> dataset.History:
    return dataset.build(staff, customer=patient)


@pytest.fixture
def frozen_today() -> Iterator[None]:
    """It is 20 November 2026, 15:00 in London."""
    with time_machine.travel(dataset.NOW, tick=False):
        yield


def grant(user: Any, *codenames: str) -> Any:
    """Give ``user`` carepay's permissions ``codenames`` (e.g. ``"view_dashboard"``)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="carepay", codename__in=codenames))
    return user
