"""Bad input is refused with a CarepayError subclass saying what was wrong, and
nothing changes: no row is written, none is altered, and the caller's instances are
left as they were."""

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.exceptions import (
    BackendNotAvailable,
    CarepayError,
    InvalidAmount,
    InvalidCurrency,
    InvalidInput,
    InvalidState,
    UnknownBackend,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("error", [BackendNotAvailable, InvalidAmount, InvalidCurrency,
                                   InvalidState, UnknownBackend])
def test_every_refusal_below_is_a_carepay_error(error):
    assert issubclass(error, CarepayError)


class TestAmounts:
    @pytest.mark.parametrize(("amount", "message"), [
        ("0", "greater than zero"),
        (Decimal("0.00"), "greater than zero"),
        ("-10.00", "positive"),
        ("10.005", r"more decimal places than GBP allows \(2\)"),
        (10.0, "float"),
    ])
    def test_bad_staff_amounts(self, invoice, staff, amount, message, nothing_changes):
        with nothing_changes(invoice), pytest.raises(InvalidAmount, match=message):
            services.record_payment(invoice, backend="cash", amount=amount, by=staff)

    def test_more_decimals_than_a_zero_decimal_currency(self, staff, nothing_changes):
        invoice = factories.make_invoice(currency="JPY", lines=[
            {"description": "Consultation", "unit_price": "8000"}])

        with nothing_changes(invoice), pytest.raises(InvalidAmount, match="JPY allows"):
            services.record_payment(invoice, backend="cash", amount="1.5", by=staff)

    def test_staff_amount_above_the_amount_due(self, invoice, staff, nothing_changes):
        factories.pay_cash(invoice, "30.00")

        with nothing_changes(invoice), pytest.raises(
                InvalidAmount, match=r"£50\.01 is more than the .* due .* enter at most"):
            services.record_payment(invoice, backend="cash", amount="50.01", by=staff)

    def test_online_amount_above_the_amount_due(self, invoice, nothing_changes):
        with nothing_changes(invoice), pytest.raises(InvalidAmount, match=r"at most 80\.00"):
            factories.start_online(invoice, amount="80.01")

    def test_refunding_more_than_refundable(self, invoice, nothing_changes):
        payment = factories.pay_cash(invoice)
        services.refund_payment(payment, amount="30.00")

        with nothing_changes(invoice, payment), pytest.raises(
                InvalidAmount, match=r"£50\.01 is more than the .* can still be refunded"):
            services.refund_payment(payment, amount="50.01")

    def test_messages_show_amounts_in_the_currencys_minor_unit(self, invoice, staff):
        payment = factories.pay_cash(invoice, "30.00")
        invoice = factories.reload(invoice)
        payment = factories.reload(payment)

        with pytest.raises(InvalidAmount, match=r"the £50\.00 due .* at most 50\.00\.$"):
            services.record_payment(invoice, backend="cash", amount="50.01", by=staff)
        with pytest.raises(InvalidAmount, match=r"the £30\.00 that can still be refunded"):
            services.refund_payment(payment, amount="30.01")

    @pytest.mark.parametrize(("amount", "message"), [
        ("0", "greater than zero"), ("-1", "positive"), ("1.001", "decimal places"),
    ])
    def test_bad_refund_amounts(self, invoice, amount, message, nothing_changes):
        payment = factories.pay_cash(invoice)

        with nothing_changes(invoice, payment), pytest.raises(InvalidAmount, match=message):
            services.refund_payment(payment, amount=amount)


class TestStates:
    @pytest.mark.parametrize(("state", "message"), [
        ("draft", "is draft; payments can only be taken on open or overdue"),
        ("void", "is void; payments can only be taken on open or overdue"),
        ("paid", "is paid; payments can only be taken on open or overdue"),
    ])
    def test_paying_an_invoice_that_takes_no_payment(self, draft, staff, state, message,
                                                     nothing_changes):
        if state != "draft":
            services.issue_invoice(draft)
        if state == "void":
            services.void_invoice(draft)
        if state == "paid":
            factories.pay_cash(draft)

        with nothing_changes(draft), pytest.raises(InvalidState, match=message):
            services.record_payment(draft, backend="cash", by=staff)
        with nothing_changes(draft), pytest.raises(InvalidState, match=message):
            factories.start_online(draft)

    def test_voiding_an_invoice_with_money_received(self, invoice, nothing_changes):
        factories.pay_cash(invoice, "0.01")

        with nothing_changes(invoice), pytest.raises(
                InvalidState, match="refund the payments first, or write the invoice off"):
            services.void_invoice(invoice)

    def test_refunding_a_refunded_payment(self, invoice, nothing_changes):
        payment = factories.pay_cash(invoice)
        services.refund_payment(payment)

        with nothing_changes(invoice, payment), pytest.raises(InvalidState,
                                                              match="nothing to refund"):
            services.refund_payment(payment)

    def test_refunding_a_payment_that_received_nothing(self, invoice, nothing_changes):
        payment = factories.start_online(invoice)

        with nothing_changes(invoice, payment), pytest.raises(InvalidState,
                                                              match="pending; there is nothing"):
            services.refund_payment(payment)


class TestBackendsAndCurrencies:
    def test_unknown_backend_alias(self, invoice, staff, nothing_changes):
        with nothing_changes(invoice), pytest.raises(
                UnknownBackend, match=r"'paypal'.*configured: cash, online, terminal"):
            services.record_payment(invoice, backend="paypal", by=staff)

    def test_unknown_currency(self, nothing_changes):
        with nothing_changes(), pytest.raises(InvalidCurrency, match="'XYZ' is not an ISO 4217"):
            services.create_invoice(currency="XYZ", lines=[factories.CONSULTATION])

    def test_record_payment_with_an_online_backend(self, invoice, staff, nothing_changes):
        with nothing_changes(invoice), pytest.raises(
                BackendNotAvailable, match=r"'online' .* is not one staff record by hand"):
            services.record_payment(invoice, backend="online", by=staff)

    def test_start_payment_with_a_staff_backend(self, invoice, nothing_changes):
        with nothing_changes(invoice), pytest.raises(
                BackendNotAvailable, match=r"'cash' .* is not an online payment method"):
            services.start_payment(invoice, backend="cash")

    def test_gbp_only_terminal_on_a_eur_invoice(self, staff, nothing_changes):
        invoice = factories.make_invoice(currency="EUR")

        with nothing_changes(invoice), pytest.raises(
                BackendNotAvailable, match=r"'terminal' \(Card terminal\) is not available .*EUR"):
            services.record_payment(invoice, backend="terminal", by=staff)


class TestInputRefusalsNameTheirField:
    """An input refusal is an InvalidInput (a ValueError too) whose ``field`` and
    ``code`` say which input it is about, so a form or the API can show it there."""

    def test_amount_and_currency_refusals_are_input_refusals(self):
        assert issubclass(InvalidAmount, InvalidInput)
        assert issubclass(InvalidCurrency, InvalidInput)
        assert issubclass(InvalidInput, CarepayError)
        assert issubclass(InvalidInput, ValueError)
        assert InvalidAmount("x").field == "amount"
        assert InvalidCurrency("x").field == "currency"
        assert InvalidInput("x").field is None
        assert InvalidInput("x").code == "invalid"

    @pytest.mark.parametrize(("values", "field", "code"), [
        ({"description": " ", "unit_price": "1"}, "description", "required"),
        ({"description": "x" * 1000, "unit_price": "1"}, "description", "max_length"),
        ({"description": "x", "unit_price": "1", "quantity": 0}, "quantity", "invalid"),
        ({"description": "x", "unit_price": "1.001"}, "unit_price", "invalid"),
        ({"description": "x", "unit_price": "1", "tax_rate": 101}, "tax_rate", "invalid"),
    ])
    def test_a_line(self, values, field, code):
        with pytest.raises(InvalidInput) as refused:
            services.validate_line(currency="GBP", **values)
        assert (refused.value.field, refused.value.code) == (field, code)

    def test_billing_details(self):
        with pytest.raises(InvalidInput) as refused:
            services.create_invoice(billing={"country": "Britain"})
        assert (refused.value.field, refused.value.code) == ("billing_country", "invalid")
        with pytest.raises(InvalidInput) as refused:
            services.create_invoice(billing={"colour": "red"})
        assert (refused.value.field, refused.value.code) == ("billing", "unknown")

    def test_an_unknown_line_field(self, draft):
        with pytest.raises(InvalidInput) as refused:
            services.update_line(draft.lines.first(), colour="red")
        assert (refused.value.field, refused.value.code) == (None, "unknown")
