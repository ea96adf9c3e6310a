"""Fixtures for the report tests: the bank transfer configured, and "today" frozen."""

from __future__ import annotations

from collections.abc import Iterator

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
