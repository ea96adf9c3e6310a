"""Fixtures for the bank transfer tests.

Every test in this package runs with a UK clinic's bank transfer configured as
``"transfer"`` (GBP only), staff notification e-mails on, and uploads stored under
the test's own ``tmp_path`` so a test can assert exactly which files exist.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from django_carepay.backends import get_backend
from django_carepay.backends.bank_transfer import BankTransferBackend
from django_carepay.models import Payment
from tests.backends.bank_transfer.support import (
    CLINIC_TRANSFER,
    STAFF_INBOX,
    configure_backends,
    make_approver,
    submit,
    today,
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """MEDIA_ROOT for this test; proofs land under it."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def transfer(settings) -> BankTransferBackend:
    """The clinic's bank transfer, as ``"transfer"``, with staff e-mailed."""
    configure_backends(settings, {"transfer": CLINIC_TRANSFER},
                       STAFF_NOTIFICATION_EMAILS=[STAFF_INBOX])
    backend = get_backend("transfer")
    assert isinstance(backend, BankTransferBackend)
    return backend


@pytest.fixture
def approver(db):
    """A partner who may approve or reject submitted payments."""
    return make_approver("partner")


@pytest.fixture
def second_approver(db):
    """Another member of staff with the same permission (for four-eyes approval)."""
    return make_approver("manager")


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client


@pytest.fixture
def submitted(invoice, patient) -> Payment:
    """The patient reported paying the whole £80 by transfer; it awaits approval."""
    return submit(invoice, by=patient, paid_on=today(), notes="Paid from my Monzo account")
