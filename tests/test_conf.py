"""The CAREPAY setting: every key documented, and a key carepay does not know reported."""

import pytest
from django.conf import settings
from django.core.checks import Error, run_checks
from django.test import override_settings

from django_carepay.conf import DEFAULTS, CarepaySettings, carepay_settings


def carepay_messages(carepay):
    with override_settings(CAREPAY=carepay):
        return [m for m in run_checks(tags=["carepay"]) if m.id.startswith("carepay.")]


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_a_documented_property(key):
    prop = getattr(CarepaySettings, key)

    assert isinstance(prop, property)
    assert prop.__doc__ and "default" in prop.__doc__.lower()


def test_the_test_settings_have_no_unknown_key():
    assert carepay_settings.unknown_keys() == []


@pytest.mark.parametrize(("typo", "meant"), [
    ("BACKEND", "BACKENDS"),
    ("DEFAULT_CURENCY", "DEFAULT_CURRENCY"),
    ("default_currency", "DEFAULT_CURRENCY"),
    ("PAYMENT_TERM_DAYS", "PAYMENT_TERMS_DAYS"),
])
def test_a_typo_is_an_error_naming_the_key_it_resembles(typo, meant):
    [message] = carepay_messages({**settings.CAREPAY, typo: "x"})

    assert isinstance(message, Error)
    assert message.id == "carepay.E007"
    assert message.msg == f"CAREPAY[{typo!r}] is not a carepay setting."
    assert message.hint.startswith(f"Did you mean {meant!r}? The settings are: ")
    for key in DEFAULTS:
        assert key in message.hint


def test_a_key_like_no_setting_still_lists_the_settings():
    [message] = carepay_messages({**settings.CAREPAY, "WIDGETS": 3})

    assert message.id == "carepay.E007"
    assert message.hint.startswith("The settings are: ADAPTER, BACKENDS, ")


def test_each_unknown_key_is_reported_and_the_known_ones_are_not():
    messages = carepay_messages({**settings.CAREPAY, "BACKEND": {}, "SITEURL": "x"})

    assert sorted(m.msg for m in messages) == [
        "CAREPAY['BACKEND'] is not a carepay setting.",
        "CAREPAY['SITEURL'] is not a carepay setting.",
    ]


def test_an_unknown_key_changes_nothing_else():
    before = carepay_settings.DEFAULT_CURRENCY
    assert before != "EUR"

    with override_settings(CAREPAY={**settings.CAREPAY, "DEFAULT_CURENCY": "EUR"}):
        after = carepay_settings.DEFAULT_CURRENCY
    assert after == before
