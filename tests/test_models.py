"""Models: derived amounts, selectors, the append-only ledger, constraints, sequences."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from django_carepay import services
from django_carepay.models import (
    Invoice,
    InvoiceSequence,
    LedgerImmutable,
    Payment,
    Transaction,
)
from tests import factories
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db


class TestAmountDue:
    @pytest.mark.parametrize(("status", "paid", "refunded", "due"), [
        (Invoice.Status.DRAFT, "0", "0", "80.00"),
        (Invoice.Status.OPEN, "0", "0", "80.00"),
        (Invoice.Status.OPEN, "30", "0", "50.00"),
        (Invoice.Status.OVERDUE, "30", "10", "60.00"),
        (Invoice.Status.PAID, "80", "0", "0"),
        # A refund on a settled invoice is a concession, not a new debt.
        (Invoice.Status.PAID, "80", "20", "0"),
        (Invoice.Status.REFUNDED, "80", "80", "0"),
        # Overpaid: negative, so staff see what to hand back.
        (Invoice.Status.PAID, "120", "0", "-40.00"),
        (Invoice.Status.VOID, "0", "0", "0"),
        (Invoice.Status.UNCOLLECTIBLE, "20", "0", "0"),
    ])
    def test_amount_due(self, status, paid, refunded, due):
        invoice = Invoice(status=status, currency="GBP", total=Decimal("80.00"),
                          amount_paid=Decimal(paid), amount_refunded=Decimal(refunded))

        assert invoice.amount_due == Decimal(due)

    def test_net_paid(self):
        invoice = Invoice(currency="GBP", amount_paid=Decimal("80"),
                          amount_refunded=Decimal("30"))

        assert invoice.net_paid == Decimal("50")

    @pytest.mark.parametrize(("status", "paid", "payable"), [
        (Invoice.Status.DRAFT, "0", False),
        (Invoice.Status.OPEN, "0", True),
        (Invoice.Status.OVERDUE, "79.99", True),
        (Invoice.Status.OPEN, "80", False),
        (Invoice.Status.PAID, "80", False),
        (Invoice.Status.VOID, "0", False),
    ])
    def test_is_payable(self, status, paid, payable):
        invoice = Invoice(status=status, currency="GBP", total=Decimal("80"),
                          amount_paid=Decimal(paid))

        assert invoice.is_payable is payable


class TestInvoice:
    def test_str_is_the_number_once_issued(self, draft):
        assert str(draft) == f"Draft invoice {draft.pk}"
        factories.issue(draft)
        assert str(draft) == draft.number

    def test_subject_model_is_the_host_model(self, invoice):
        assert invoice.subject_model is Appointment

    def test_subject_model_without_a_subject_is_invoice(self):
        invoice = factories.make_invoice()

        assert invoice.subject_model is Invoice

    def test_subject_round_trips_a_uuid_key(self, invoice, appointment):
        assert factories.reload(invoice).subject == appointment

    def test_public_ids_are_unique_uuids(self):
        first, second = factories.make_invoice(), factories.make_invoice()

        assert first.public_id != second.public_id


class TestInvoiceQuerySet:
    def test_for_subject(self, invoice, appointment):
        factories.make_invoice(subject=factories.make_appointment())
        factories.make_invoice()

        assert list(Invoice.objects.for_subject(appointment)) == [invoice]

    def test_collectible(self, invoice):
        overdue = factories.make_invoice(due_date=invoice.due_date - timedelta(days=1))
        services.mark_overdue(today=invoice.due_date)
        factories.make_invoice(issue=False)
        paid = factories.make_invoice()
        factories.pay_cash(paid)

        assert set(Invoice.objects.collectible()) == {invoice, overdue}

    def test_overdue_candidates_are_open_invoices_past_their_due_date(self, invoice):
        day_after = invoice.due_date + timedelta(days=1)
        factories.pay_cash(factories.make_invoice(due_date=invoice.due_date))

        assert list(Invoice.objects.overdue_candidates(invoice.due_date)) == []
        assert list(Invoice.objects.overdue_candidates(day_after)) == [invoice]

    def test_needing_refund_lists_only_overpaid_invoices(self, invoice):
        late = factories.start_online(invoice)  # a second tab, paid after the cash
        factories.pay_cash(invoice)
        services.apply_provider_update(factories.provider_update(late))
        factories.pay_cash(factories.make_invoice())

        assert list(Invoice.objects.needing_refund()) == [invoice]

    def test_needing_refund_drops_an_invoice_once_the_excess_is_refunded(self, invoice):
        late = factories.start_online(invoice)
        factories.pay_cash(invoice)
        services.apply_provider_update(factories.provider_update(late))

        services.refund_payment(late)

        assert list(Invoice.objects.needing_refund()) == []


class TestLedgerIsAppendOnly:
    @pytest.fixture
    def charge(self, invoice):
        factories.pay_cash(invoice)
        return Transaction.objects.get()

    def test_saving_an_existing_row_raises(self, charge):
        charge.note = "edited"

        with pytest.raises(LedgerImmutable, match="append-only"):
            charge.save()
        assert Transaction.objects.get().note == ""

    def test_deleting_a_row_raises(self, charge):
        with pytest.raises(LedgerImmutable):
            charge.delete()
        assert Transaction.objects.count() == 1

    def test_queryset_update_raises(self, charge):
        with pytest.raises(LedgerImmutable):
            Transaction.objects.filter(pk=charge.pk).update(amount=Decimal("1"))
        assert Transaction.objects.get().amount == Decimal("80")

    def test_queryset_delete_raises(self, charge):
        with pytest.raises(LedgerImmutable):
            Transaction.objects.all().delete()
        assert Transaction.objects.count() == 1

    def test_charges_and_refunds(self, charge):
        assert list(Transaction.objects.charges()) == [charge]
        assert list(Transaction.objects.refunds()) == []


class TestLedgerConstraints:
    @pytest.fixture
    def payment(self, invoice):
        return factories.pay_cash(invoice)

    def entry(self, payment, **kwargs):
        values = {"invoice": payment.invoice, "payment": payment,
                  "kind": Transaction.Kind.CHARGE, "amount": Decimal("1"),
                  "currency": "GBP", "backend": "online", **kwargs}
        return Transaction(**values)

    def test_provider_reference_is_unique_per_backend(self, payment):
        self.entry(payment, provider_reference="ch_1").save()
        self.entry(payment, provider_reference="ch_1", backend="other").save()

        with pytest.raises(IntegrityError), transaction.atomic():
            self.entry(payment, provider_reference="ch_1").save()

    def test_entries_without_a_provider_reference_never_collide(self, payment):
        self.entry(payment, backend="cash").save()
        self.entry(payment, backend="cash").save()

        assert Transaction.objects.filter(backend="cash", provider_reference=None).count() == 3

    @pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
    def test_amount_must_be_positive(self, payment, amount):
        with pytest.raises(IntegrityError), transaction.atomic():
            self.entry(payment, amount=amount).save()


class TestInvoiceConstraints:
    def test_refunded_cannot_exceed_paid(self, invoice):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(amount_refunded=Decimal("1"))

    def test_number_is_unique(self, invoice):
        other = factories.make_invoice()

        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=other.pk).update(number=invoice.number)

    def test_payment_refunded_cannot_exceed_received(self, invoice):
        payment = factories.pay_cash(invoice)

        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(amount_refunded=Decimal("81"))


class TestInvoiceSequence:
    def test_numbers_count_up_per_prefix_and_year(self):
        with transaction.atomic():
            taken = [InvoiceSequence.next_value("INV", 2026) for _ in range(3)]
            other_year = InvoiceSequence.next_value("INV", 2027)
            other_prefix = InvoiceSequence.next_value("CN", 2026)

        assert taken == [1, 2, 3]
        assert other_year == 1
        assert other_prefix == 1
        assert str(InvoiceSequence.objects.get(prefix="INV", year=2026)) == "INV 2026: 3"

    def test_a_rolled_back_number_is_given_back(self):
        with transaction.atomic():
            InvoiceSequence.next_value("INV", 2026)
        with pytest.raises(RuntimeError), transaction.atomic():
            InvoiceSequence.next_value("INV", 2026)
            raise RuntimeError("issue failed")

        with transaction.atomic():
            assert InvoiceSequence.next_value("INV", 2026) == 2
