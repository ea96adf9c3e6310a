"""carepay's pytest plugin: fixtures for host projects' tests.

Registered through the ``pytest11`` entry point, so pytest loads it wherever
django-carepay is installed. It defines fixtures only, and they need pytest-django
(``settings``, ``db``); until a test asks for one, the plugin does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .settings import TEST_SETTINGS, carepay_test_settings
from .signals import CapturedSignals, capture_signals


@pytest.fixture
def carepay_settings(settings: Any) -> Any:
    """pytest-django's ``settings`` with :data:`~django_carepay.testing.TEST_SETTINGS`
    applied for the test: e-mail to ``mail.outbox``, a local memory cache, and the
    host's ``CAREPAY`` with the test backends ``"cash"``, ``"bank_transfer"`` and
    ``"online"`` added (see :func:`~django_carepay.testing.carepay_test_settings`)."""
    for name, value in TEST_SETTINGS.items():
        if name != "CAREPAY":
            setattr(settings, name, value)
    settings.CAREPAY = carepay_test_settings(getattr(settings, "CAREPAY", None))
    return settings


@pytest.fixture
def carepay_signals() -> Iterator[CapturedSignals]:
    """Every carepay signal sent during the test, recorded by
    :func:`~django_carepay.testing.capture_signals`."""
    with capture_signals() as captured:
        yield captured


@pytest.fixture
def invoice_factory(db: Any) -> Callable[..., Any]:
    """:func:`~django_carepay.testing.make_invoice`, with database access:
    ``invoice_factory(customer=user, subject=appointment)`` is an open invoice of
    80.00; ``issue=False`` a draft."""
    from .billing import make_invoice

    return make_invoice
