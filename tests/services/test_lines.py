"""Editing a draft's lines: update_line, remove_line, validate_line."""

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.exceptions import CarepayError, InvalidAmount, InvalidState
from django_carepay.models import Invoice, InvoiceLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return services.create_invoice(lines=[
        {"description": "Consultation", "unit_price": "10.00"},
        {"description": "Dressing", "unit_price": "5.00", "quantity": 2},
    ])


def test_update_line_recomputes_the_totals(draft):
    first = draft.lines.get(description="Consultation")

    services.update_line(first, unit_price="12.50", tax_rate=20)

    invoice = Invoice.objects.get(pk=draft.pk)
    assert (invoice.subtotal, invoice.tax, invoice.total) == (
        Decimal("22.50"), Decimal("2.50"), Decimal("25.00"))
    assert first.line_total == Decimal("12.50")


def test_remove_line_recomputes_the_totals(draft):
    services.remove_line(draft.lines.get(description="Dressing"))

    assert Invoice.objects.get(pk=draft.pk).total == Decimal("10.00")
    assert list(draft.lines.values_list("description", flat=True)) == ["Consultation"]


def test_bad_values_are_refused_and_change_nothing(draft):
    first = draft.lines.get(description="Consultation")

    with pytest.raises(InvalidAmount, match="more decimal places"):
        services.update_line(first, unit_price="1.234")
    with pytest.raises(CarepayError, match="Unknown line field"):
        services.update_line(first, colour="red")

    assert InvoiceLine.objects.get(pk=first.pk).unit_price == Decimal("10.00")
    assert Invoice.objects.get(pk=draft.pk).total == Decimal("20.00")


def test_validate_line_saves_nothing():
    with pytest.raises(InvalidAmount):
        services.validate_line(currency="GBP", description="x", unit_price="-1")
    services.validate_line(currency="JPY", description="x", unit_price="500")

    assert not InvoiceLine.objects.exists()


def test_issued_lines_are_frozen(draft):
    services.issue_invoice(draft)
    line = draft.lines.first()

    with pytest.raises(InvalidState, match="frozen"):
        services.update_line(line, description="Changed")
    with pytest.raises(InvalidState, match="frozen"):
        services.remove_line(line)

    assert draft.lines.count() == 2
