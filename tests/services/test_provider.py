"""apply_provider_update: what webhooks and return pages report, in any order and any
number of times."""

from decimal import Decimal

import pytest

from django_carepay import services, signals
from django_carepay.backends import ProviderUpdate, UpdateKind
from django_carepay.exceptions import ProviderMismatch
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(invoice):
    """A pending £80 online payment of ``invoice``."""
    return factories.start_online(invoice)


def apply(payment, kind=UpdateKind.SUCCEEDED, **kwargs):
    return services.apply_provider_update(factories.provider_update(payment, kind, **kwargs))


class TestSucceeded:
    def test_records_the_providers_amount_and_reference(self, payment, invoice, receive):
        succeeded = receive(signals.payment_succeeded, sender=Appointment)
        paid = receive(signals.invoice_paid, sender=Appointment)

        result = apply(payment, transaction_reference="ch_123")

        assert result.pk == payment.pk
        charge = Transaction.objects.get()
        assert (charge.kind, charge.amount, charge.currency) == ("charge", Decimal("80.00"),
                                                                 "GBP")
        assert (charge.backend, charge.provider_reference, charge.created_by) == (
            "online", "ch_123", None)
        stored = factories.reload(payment)
        assert (stored.status, stored.amount_received) == (Payment.Status.SUCCEEDED,
                                                           Decimal("80.00"))
        assert factories.reload(invoice).status == Invoice.Status.PAID
        assert (succeeded.count, paid.count) == (1, 1)
        assert succeeded.last["by"] is None

    def test_records_what_the_provider_received_not_what_was_asked(self, payment, invoice):
        apply(payment, amount="30.00")

        stored = factories.reload(invoice)
        assert stored.amount_paid == Decimal("30.00")
        assert stored.status == Invoice.Status.OPEN
        assert stored.amount_due == Decimal("50.00")

    def test_a_duplicate_update_writes_no_second_row(self, payment, invoice, receive):
        succeeded = receive(signals.payment_succeeded, sender=Appointment)
        apply(payment)

        again = apply(payment)

        assert again.pk == payment.pk
        assert Transaction.objects.count() == 1
        assert factories.reload(invoice).amount_paid == Decimal("80.00")
        assert succeeded.count == 1

    def test_a_second_charge_on_the_same_payment_is_recorded(self, payment, invoice):
        apply(payment, amount="30.00", transaction_reference="ch_1")

        apply(payment, amount="50.00", transaction_reference="ch_2")

        assert factories.reload(payment).amount_received == Decimal("80.00")
        assert factories.reload(invoice).status == Invoice.Status.PAID
        assert Transaction.objects.count() == 2

    def test_found_by_our_public_id_when_the_provider_reference_is_unknown(self, payment):
        update = ProviderUpdate(
            backend="online", kind=UpdateKind.SUCCEEDED, payment_public_id=str(payment.public_id),
            amount=Decimal("80.00"), currency="GBP", transaction_reference="ch_9",
        )

        assert services.apply_provider_update(update).pk == payment.pk
        assert Transaction.objects.get().provider_reference == "ch_9"

    def test_succeeded_after_failed_is_recorded(self, payment, invoice):
        apply(payment, UpdateKind.FAILED, failure_code="card_declined")

        apply(payment)

        stored = factories.reload(payment)
        assert stored.status == Payment.Status.SUCCEEDED
        assert Transaction.objects.count() == 1
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_succeeded_after_cancelled_is_recorded(self, payment, invoice):
        apply(payment, UpdateKind.CANCELLED)

        apply(payment)

        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_money_on_a_paid_invoice_is_recorded_as_overpayment(self, payment, invoice):
        factories.pay_cash(invoice, "80.00")

        apply(payment)

        stored = factories.reload(invoice)
        assert (stored.status, stored.amount_due) == (Invoice.Status.PAID, Decimal("-80.00"))
        assert list(Invoice.objects.needing_refund()) == [stored]


class TestRefusedUpdates:
    def test_currency_mismatch_credits_nothing(self, payment, invoice, nothing_changes):
        with nothing_changes(invoice, payment), pytest.raises(
                ProviderMismatch, match="in EUR for a GBP payment; not credited"):
            apply(payment, currency="eur")

    def test_success_without_an_amount_credits_nothing(self, payment, nothing_changes):
        update = ProviderUpdate(backend="online", kind=UpdateKind.SUCCEEDED,
                                provider_reference=payment.provider_reference, currency="GBP")

        with nothing_changes(payment), pytest.raises(ProviderMismatch, match="without an amount"):
            services.apply_provider_update(update)

    @pytest.mark.parametrize("update", [
        ProviderUpdate(backend="online", kind=UpdateKind.SUCCEEDED, provider_reference="pi_x",
                       amount=Decimal("80"), currency="GBP"),
        ProviderUpdate(backend="online", kind=UpdateKind.SUCCEEDED,
                       payment_public_id="00000000-0000-0000-0000-000000000000",
                       amount=Decimal("80"), currency="GBP"),
        ProviderUpdate(backend="online", kind=UpdateKind.SUCCEEDED, amount=Decimal("80")),
    ], ids=["unknown-reference", "unknown-public-id", "no-reference"])
    def test_unknown_payment_returns_none(self, payment, update, nothing_changes):
        with nothing_changes(payment):
            assert services.apply_provider_update(update) is None

    def test_another_backends_payment_is_not_matched(self, payment, nothing_changes):
        update = factories.provider_update(payment)
        update = ProviderUpdate(**{**update.__dict__, "backend": "other"})

        with nothing_changes(payment):
            assert services.apply_provider_update(update) is None


class TestOtherOutcomes:
    def test_failed_after_succeeded_changes_nothing(self, payment, invoice, receive,
                                                    nothing_changes):
        failed = receive(signals.payment_failed, sender=Appointment)
        apply(payment)
        payment = factories.reload(payment)

        with nothing_changes(payment):
            apply(payment, UpdateKind.FAILED, failure_code="card_declined")

        assert failed.count == 0

    def test_failed(self, payment, invoice, receive):
        failed = receive(signals.payment_failed, sender=Appointment)

        apply(payment, UpdateKind.FAILED, failure_code="card_declined",
              failure_message="Your card was declined.")

        stored = factories.reload(payment)
        assert stored.status == Payment.Status.FAILED
        assert (stored.failure_code, stored.failure_message) == ("card_declined",
                                                                 "Your card was declined.")
        assert factories.reload(invoice).status == Invoice.Status.OPEN
        assert failed.count == 1

    def test_processing(self, payment):
        apply(payment, UpdateKind.PROCESSING)

        assert factories.reload(payment).status == Payment.Status.PROCESSING

    def test_processing_after_succeeded_changes_nothing(self, payment, nothing_changes):
        apply(payment)
        payment = factories.reload(payment)

        with nothing_changes(payment):
            apply(payment, UpdateKind.PROCESSING)

    @pytest.mark.parametrize("first", [None, UpdateKind.PROCESSING])
    def test_cancelled(self, payment, first):
        if first:
            apply(payment, first)

        apply(payment, UpdateKind.CANCELLED)

        assert factories.reload(payment).status == Payment.Status.CANCELLED

    def test_cancelled_after_succeeded_changes_nothing(self, payment, nothing_changes):
        apply(payment)
        payment = factories.reload(payment)

        with nothing_changes(payment):
            apply(payment, UpdateKind.CANCELLED)

    def test_refunded_at_the_provider(self, payment, invoice):
        apply(payment)

        apply(payment, UpdateKind.REFUNDED, amount="80.00", transaction_reference="re_1")
        apply(payment, UpdateKind.REFUNDED, amount="80.00", transaction_reference="re_1")

        assert factories.reload(payment).status == Payment.Status.REFUNDED
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED
        assert Transaction.objects.refunds().get().provider_reference == "re_1"

    def test_a_refund_larger_than_refundable_is_not_credited(self, payment, nothing_changes):
        apply(payment)
        payment = factories.reload(payment)

        with nothing_changes(payment), pytest.raises(ProviderMismatch, match="more than"):
            apply(payment, UpdateKind.REFUNDED, amount="80.01", transaction_reference="re_1")
