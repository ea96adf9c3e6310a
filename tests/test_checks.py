"""System checks report configuration mistakes before any money moves."""

from django.conf import settings
from django.core.checks import Error, run_checks
from django.test import override_settings

MANUAL = "django_carepay.backends.manual.ManualBackend"
DUMMY = "django_carepay.backends.dummy.DummyBackend"


def carepay_messages(**overrides):
    with override_settings(CAREPAY={**settings.CAREPAY, **overrides}):
        return [m for m in run_checks(tags=["carepay"]) if m.id.startswith("carepay.")]


def ids(messages):
    return [m.id for m in messages]


def test_the_test_settings_pass():
    assert carepay_messages() == []


def test_unknown_backend_path():
    [message] = carepay_messages(BACKENDS={"card": {"BACKEND": "acme.payments.Card"}})

    assert message.id == "carepay.E001"
    assert isinstance(message, Error)
    assert "CAREPAY['BACKENDS']['card']['BACKEND'] = 'acme.payments.Card'" in message.msg


def test_backend_without_a_path():
    [message] = carepay_messages(BACKENDS={"card": {"OPTIONS": {}}})

    assert message.id == "carepay.E001"
    assert "has no 'BACKEND'" in message.msg


def test_backend_entry_that_is_not_a_dict():
    assert ids(carepay_messages(BACKENDS={"cash": MANUAL})) == ["carepay.E002"]


def test_unknown_option():
    [message] = carepay_messages(BACKENDS={
        "cash": {"BACKEND": MANUAL, "OPTIONS": {"label": "Cash", "secret_key": "x"}},
    })

    assert message.id == "carepay.E003"
    assert "unknown option(s) secret_key" in message.msg
    assert message.hint == "ManualBackend accepts: countries, currencies, label."


def test_bad_backend_currency():
    [message] = carepay_messages(BACKENDS={
        "cash": {"BACKEND": MANUAL, "OPTIONS": {"currencies": ["GBP", "XYZ"]}},
    })

    assert message.id == "carepay.E004"
    assert "['currencies']: 'XYZ' is not an ISO 4217 currency code" in message.msg


def test_currencies_given_as_a_string():
    [message] = carepay_messages(BACKENDS={
        "cash": {"BACKEND": MANUAL, "OPTIONS": {"currencies": "GBP"}},
    })

    assert message.id == "carepay.E004"
    assert message.msg == (
        "CAREPAY['BACKENDS']['cash']['OPTIONS']['currencies'] must be a list of codes, "
        "not 'GBP'."
    )


def test_bad_dummy_outcome():
    [message] = carepay_messages(BACKENDS={
        "online": {"BACKEND": DUMMY, "OPTIONS": {"outcome": "maybe"}},
    })

    assert message.id == "carepay.E004"
    assert "'maybe'" in message.msg


def test_bad_default_currency():
    [message] = carepay_messages(DEFAULT_CURRENCY="POUNDS")

    assert message.id == "carepay.E005"
    assert "CAREPAY['DEFAULT_CURRENCY']" in message.msg


def test_bad_adapter():
    [message] = carepay_messages(ADAPTER="acme.NoSuchAdapter")

    assert message.id == "carepay.E006"


def test_every_problem_is_reported_at_once():
    messages = carepay_messages(DEFAULT_CURRENCY="XYZ", BACKENDS={
        "card": {"BACKEND": "acme.payments.Card"},
        "cash": {"BACKEND": MANUAL, "OPTIONS": {"colour": "green"}},
    })

    assert sorted(ids(messages)) == ["carepay.E001", "carepay.E003", "carepay.E005"]


def test_deploy_checks_pass_for_manual_backends():
    manual = {alias: spec for alias, spec in settings.CAREPAY["BACKENDS"].items()
              if spec["BACKEND"] == MANUAL}
    with override_settings(CAREPAY={**settings.CAREPAY, "BACKENDS": manual},
                           EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           DEFAULT_FROM_EMAIL="billing@riverside-practice.co.uk"):
        messages = run_checks(tags=["carepay"], include_deployment_checks=True)

    assert [m for m in messages if m.id.startswith("carepay.")] == []
