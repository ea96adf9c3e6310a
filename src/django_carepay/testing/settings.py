"""A settings snippet that makes carepay testable without any provider or mail server.

Use it in a host's test settings module::

    from django_carepay.testing import TEST_SETTINGS

    globals().update(TEST_SETTINGS)   # or pick the keys you want

or per test with the ``carepay_settings`` pytest fixture, which applies
:func:`carepay_test_settings` on top of the host's own ``CAREPAY``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: ``CAREPAY`` for tests: one backend of each kind carepay ships that needs no
#: provider. ``"cash"`` (staff record it), ``"bank_transfer"`` (the payer submits, staff
#: approve) and ``"online"`` (the demo provider: an online payment confirmed without
#: any money moving). ``SITE_URL`` lets e-mailed links be built outside a request.
CAREPAY_TEST_SETTINGS: dict[str, Any] = {
    "BACKENDS": {
        "cash": {
            "BACKEND": "django_carepay.backends.manual.ManualBackend",
            "OPTIONS": {"label": "Cash"},
        },
        "bank_transfer": {
            "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
            "OPTIONS": {
                "label": "Bank transfer",
                "account": {"Account name": "Test Ltd", "Sort code": "00-00-00",
                            "Account number": "12345678"},
            },
        },
        "online": {
            "BACKEND": "django_carepay.backends.dummy.DummyBackend",
            "OPTIONS": {"label": "Card (test)"},
        },
    },
    "DEFAULT_CURRENCY": "GBP",
    "SITE_URL": "https://testserver",
}

#: Django settings for tests: e-mails kept in ``django.core.mail.outbox`` and a local
#: memory cache (the demo provider keeps its state in the cache), with
#: :data:`CAREPAY_TEST_SETTINGS`.
TEST_SETTINGS: dict[str, Any] = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    "CAREPAY": CAREPAY_TEST_SETTINGS,
}


def carepay_test_settings(base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (a host's ``CAREPAY``) with the test backends of
    :data:`CAREPAY_TEST_SETTINGS` added.

    The host's other settings and backends are kept; a host backend whose alias is
    ``"cash"``, ``"bank_transfer"`` or ``"online"`` is replaced by the test one.
    ``DEFAULT_CURRENCY`` and ``SITE_URL`` are filled in only where ``base`` has none.
    Nothing passed in is changed.
    """
    result = copy.deepcopy(dict(base or {}))
    test = copy.deepcopy(CAREPAY_TEST_SETTINGS)
    result["BACKENDS"] = {**result.get("BACKENDS", {}), **test.pop("BACKENDS")}
    for key, value in test.items():
        if not result.get(key):
            result[key] = value
    return result
