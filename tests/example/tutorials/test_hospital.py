"""docs/tutorials/hospital.md: payment links. Included in the tutorial from the
marker below, so keep it a file a reader can copy."""

# -- docs/tutorials/hospital.md includes this file from here --
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from clinic.billing import bill_appointment
from clinic.models import Appointment
from django.core import mail
from django.utils import timezone

from django_carepay import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(django_user_model):
    patient = django_user_model.objects.create_user("mo", email="mo@example.com")
    return Appointment.objects.create(patient=patient, clinician="Dr Priya Rao",
                                      starts_at=timezone.now(), fee=Decimal("65.00"))


def test_the_emailed_link_opens_the_invoice_without_logging_in(
        client, appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = bill_appointment(appointment, send_email=True)
    [email] = mail.outbox
    link = re.search(r"https?://\S+/link/\S+/", email.body).group(0)

    response = client.get(link)            # no one is logged in
    assert response.status_code == 302     # the session may now see this invoice
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert invoice.number in page.content.decode()


def test_an_expired_link_is_refused(client, appointment):
    invoice = bill_appointment(appointment)
    link = services.payment_link(invoice)
    with time_machine.travel(timezone.now() + timedelta(days=31)):   # the default: 30 days
        response = client.get(link)
    assert response.status_code == 404
    assert "expired" in response.content.decode()
