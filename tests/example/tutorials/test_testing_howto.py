"""docs/howto/testing.md: a host's receiver tested with carepay's helpers. Included in
the how-to from the marker below, so keep it a file a reader can copy."""

# -- docs/howto/testing.md includes this file from here --
from decimal import Decimal

from clinic.models import Appointment
from django.utils import timezone

from django_carepay.testing import capture_signals, make_invoice, pay_invoice


def test_paying_an_appointment_marks_it_paid(carepay_settings, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    patient = django_user_model.objects.create_user("ada", email="ada@example.com")
    appointment = Appointment.objects.create(patient=patient, clinician="Dr Rao",
                                             starts_at=timezone.now(), fee=Decimal("80.00"))
    invoice = make_invoice(customer=appointment.patient, subject=appointment)

    with capture_signals() as sent:
        pay_invoice(invoice, backend="cash", by=clerk)

    appointment.refresh_from_db()
    assert appointment.status == "paid"
    assert sent.one("invoice_paid").sender is Appointment


def test_the_invoice_factory_fixture(invoice_factory, carepay_signals, carepay_settings):
    invoice = invoice_factory(lines=[{"description": "Check-up", "unit_price": "45.00"}])
    assert carepay_signals.names() == ["invoice_issued"]
    carepay_signals.clear()
    pay_invoice(invoice, backend="online")    # the demo provider: no money moves
    assert invoice.status == "paid"
    assert carepay_signals.names() == ["payment_succeeded", "invoice_paid"]
