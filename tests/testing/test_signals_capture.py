"""``capture_signals`` and the ``carepay_signals`` fixture."""

from __future__ import annotations

import pytest

from django_carepay import services, signals
from django_carepay.models import Invoice
from django_carepay.testing import capture_signals, make_invoice
from tests.testapp.models import Appointment


def test_it_records_every_carepay_signal_with_its_sender_and_arguments(invoice, staff,
                                                                      appointment):
    with capture_signals() as sent:
        payment = services.record_payment(invoice, backend="cash", by=staff)
    assert sent.names() == ["payment_succeeded", "invoice_paid"]
    paid = sent.one("invoice_paid")
    assert paid.signal is signals.invoice_paid
    assert paid.sender is Appointment
    assert paid["invoice"] == invoice
    assert paid["payment"] == payment
    assert paid["by"] == staff
    assert paid["transaction"].kind == "charge"
    assert "signal" not in paid.kwargs
    assert sent.of(signals.payment_succeeded) == sent.of("payment_succeeded")
    assert len(sent) == 2 and list(sent) == sent.calls


def test_it_records_only_the_signals_and_sender_asked_for(draft, staff):
    with capture_signals("invoice_paid", signals.invoice_issued) as sent:
        services.issue_invoice(draft)
        services.record_payment(draft, backend="cash", by=staff)
    assert sent.names() == ["invoice_issued", "invoice_paid"]

    with capture_signals(sender=Invoice) as by_invoice:
        services.record_payment(make_invoice(), backend="cash", by=staff)  # no subject
        services.record_payment(make_invoice(subject=Appointment.objects.create()),
                                backend="cash", by=staff)
    assert by_invoice.names() == ["invoice_issued", "payment_succeeded", "invoice_paid"]


def test_receivers_are_disconnected_after_the_block(invoice, staff):
    with capture_signals() as sent:
        pass
    services.record_payment(invoice, backend="cash", by=staff)
    assert len(sent) == 0


def test_one_says_what_was_sent_instead(invoice, staff):
    with capture_signals() as sent:
        services.record_payment(invoice, backend="cash", by=staff, amount="10.00")
    with pytest.raises(AssertionError, match=r"'invoice_paid' once.*0 time.*payment_succeeded"):
        sent.one("invoice_paid")
    sent.clear()
    assert sent.names() == []


def test_unknown_signals_are_refused():
    from django.dispatch import Signal

    with pytest.raises(ValueError, match=r"no signal 'invoice_payed'.*invoice_paid"), \
            capture_signals("invoice_payed"):
        pass
    with pytest.raises(ValueError, match=r"not one of django_carepay.signals"), \
            capture_signals(Signal()):
        pass


def test_the_fixture_records_the_whole_test(carepay_signals, invoice, staff):
    services.void_invoice(invoice, by=staff, reason="Booked twice")
    voided = carepay_signals.one("invoice_voided")
    assert voided["reason"] == "Booked twice"
    assert voided["by"] == staff
