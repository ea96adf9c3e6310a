"""Fixtures of the JSON API's tests: bank transfer methods, clients, URLs."""

from __future__ import annotations

import importlib.util

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from django_carepay.models import IdempotencyRecord, Payment
from tests import factories

# schemathesis is in the dev dependency group (make test, CI); tox's test environments
# go without it, and without the fuzzing.
collect_ignore = [] if importlib.util.find_spec("schemathesis") else ["test_fuzz.py"]

#: The test settings' backends plus three bank transfer methods: the UK's (GBP, GB
#: payers), Pakistan's (PKR and USD, PK payers) and an international one (any country).
TRANSFER_BACKENDS = {
    "bank_transfer_uk": {
        "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
        "OPTIONS": {"label": "UK bank transfer", "countries": ["GB"], "currencies": ["GBP"],
                    "account": {"Sort code": "20-20-15", "Account number": "55555555"}},
    },
    "bank_transfer_pk": {
        "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
        "OPTIONS": {"label": "Bank transfer in Pakistan (IBFT)", "countries": ["PK"],
                    "currencies": ["PKR", "USD"],
                    "account": {"IBAN": "PK36SCBL0000001123456702"},
                    "instructions": "Quote {{ reference }}."},
    },
    "swift": {
        "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
        "OPTIONS": {"label": "International transfer", "currencies": ["GBP", "USD"]},
    },
}

#: A one-pixel PNG: a proof of payment carepay accepts.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00"
       b"\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(autouse=True)
def _transfer_methods(settings, tmp_path):
    settings.CAREPAY = {**settings.CAREPAY,
                        "BACKENDS": {**settings.CAREPAY["BACKENDS"], **TRANSFER_BACKENDS}}
    settings.MEDIA_ROOT = tmp_path


def api(name: str, *args: object) -> str:
    return reverse(f"carepay-api:{name}", args=args)


@pytest.fixture
def gb_invoice(patient):
    """£80 due from ``patient``, billed in the UK."""
    return factories.make_invoice(customer=patient, billing={"country": "GB"})


@pytest.fixture
def pk_invoice(patient):
    """PKR 8,000 due from ``patient``, billed in Pakistan."""
    return factories.make_invoice(
        customer=patient, currency="PKR", billing={"country": "PK"},
        lines=[{"description": "Starter plan: first month", "unit_price": "8000.00"}])


@pytest.fixture
def payer(client, patient):
    client.force_login(patient)
    return client


def grant(user, *codenames: str) -> None:
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="carepay",
                                                         codename=codename))


@pytest.fixture
def approver(django_user_model):
    user = django_user_model.objects.create_user("finance", password="pw", is_staff=True)
    grant(user, "approve_payment", "refund_payment")
    return user


@pytest.fixture
def approver_client(approver):
    from django.test import Client

    client = Client()
    client.force_login(approver)
    return client


@pytest.fixture
def submitted(gb_invoice, patient) -> Payment:
    """A £80 UK transfer awaiting approval."""
    from django_carepay import services

    return services.submit_transfer(gb_invoice, backend="bank_transfer_uk",
                                    reference="BT-2026-001", by=patient)


def counts() -> dict[str, int]:
    """Rows of the tables an API call may write to."""
    return {model._meta.label: model._default_manager.count()
            for model in (*factories.BILLING_MODELS, IdempotencyRecord)}
