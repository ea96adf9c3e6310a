"""What the JSON API answers: invoices, lines, payments, methods, refunds, errors.

Read-only serializers; request bodies are in :mod:`.inputs`. Amounts are strings with
their currency's decimals (``"80.00"``), ids are the public UUIDs, never row ids.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..backends import BasePaymentBackend, get_backend
from ..exceptions import UnknownBackend
from ..links import can_view
from ..models import Invoice, Payment
from .fields import MoneyOutput


def _label(alias: str) -> str:
    """The label people know a payment method by (the alias if it is gone)."""
    try:
        return get_backend(alias).label
    except UnknownBackend:
        return alias


def _absolute(serializer: serializers.Serializer, name: str, *args: Any) -> str | None:
    """``carepay:<name>`` as an absolute URL, or None where the host did not include
    carepay's pages."""
    try:
        path = reverse(f"carepay:{name}", args=args)
    except NoReverseMatch:
        return None
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_serializer(component_name="CarepayError")
class ErrorSerializer(serializers.Serializer):
    """Every refusal: what went wrong in a word, in a sentence, and the input it is about."""

    code = serializers.CharField(help_text="E.g. required, invalid, would_overpay, "
                                           "already_decided, not_found, throttled.")
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True, help_text="The input at fault, or null.")


@extend_schema_serializer(component_name="CarepayBilling")
class BillingSerializer(serializers.Serializer):
    name = serializers.CharField(source="billing_name")
    email = serializers.CharField(source="billing_email")
    address = serializers.CharField(source="billing_address")
    country = serializers.CharField(source="billing_country")
    tax_id = serializers.CharField(source="billing_tax_id")
    language = serializers.CharField(
        source="billing_language",
        help_text="The payer's language for carepay's e-mails to them (one of the site's "
                  "LANGUAGES), or empty: the language active when they are sent.")


@extend_schema_serializer(component_name="CarepayInvoiceLine")
class InvoiceLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, coerce_to_string=True)
    unit_price = MoneyOutput(currency_source="invoice.currency")
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=3, coerce_to_string=True)
    tax_amount = MoneyOutput(currency_source="invoice.currency")
    line_total = MoneyOutput(currency_source="invoice.currency")
    service_date = serializers.DateField(allow_null=True)
    provider_name = serializers.CharField()


@extend_schema_serializer(component_name="CarepayDecision")
class DecisionSerializer(serializers.Serializer):
    """Staff's decision on a submitted payment (``notes``: the reason of a rejection,
    which the payer is sent; an approval's notes are the staff's own, shown to staff
    only)."""

    outcome = serializers.ChoiceField(choices=["approved", "rejected"])
    decided_at = serializers.DateTimeField()
    notes = serializers.CharField()


@extend_schema_serializer(component_name="CarepayPayment")
class PaymentSerializer(serializers.Serializer):
    """One attempt to pay an invoice, with the staff's decision on a transfer."""

    id = serializers.UUIDField(source="public_id")
    invoice = serializers.UUIDField(source="invoice.public_id")
    invoice_number = serializers.CharField(source="invoice.number", allow_null=True)
    method = serializers.CharField(source="backend")
    method_label = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    currency = serializers.CharField()
    amount = MoneyOutput()
    amount_received = MoneyOutput()
    amount_refunded = MoneyOutput()
    refundable_amount = MoneyOutput()
    reference = serializers.CharField()
    notes = serializers.SerializerMethodField(
        help_text="To staff, the payment's notes; to its payer, only notes they wrote "
                  "(a transfer's), never the staff's (a cash payment's).")
    paid_on = serializers.DateField(allow_null=True)
    proof_url = serializers.SerializerMethodField()
    failure_code = serializers.CharField()
    failure_message = serializers.CharField()
    decision = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)

    def get_method_label(self, payment: Payment) -> str:
        return _label(payment.backend)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_proof_url(self, payment: Payment) -> str | None:
        return _absolute(self, "payment_proof", payment.public_id) if payment.proof else None

    def _to_its_payer(self, payment: Payment) -> bool:
        """Whether the requester is the payment's payer (who may view its invoice as
        such), not staff: asked once per invoice and request."""
        request = self.context.get("request")
        if request is None:
            return False
        seen = self.context.setdefault("_carepay_payer_of", {})
        if payment.invoice_id not in seen:
            seen[payment.invoice_id] = can_view(request, payment.invoice)
        return bool(seen[payment.invoice_id])

    def get_notes(self, payment: Payment) -> str:
        if not self._to_its_payer(payment):
            return payment.notes
        # Only a payer's own submission (a transfer for staff to approve) carries the
        # payer's notes; a staff-entry payment's are the staff's, also once the staff
        # account is gone (recorded_by is then NULL) or server code recorded it.
        user = getattr(self.context["request"], "user", None)
        try:
            submitted = get_backend(payment.backend).requires_approval
        except UnknownBackend:
            submitted = False
        return payment.notes if submitted and payment.recorded_by_id in (
            None, getattr(user, "pk", None)) else ""

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, payment: Payment) -> dict[str, Any] | None:
        if payment.decided_at is None:
            return None
        approved = payment.status in Payment.RECEIVED
        return {"outcome": "approved" if approved else "rejected",
                "decided_at": serializers.DateTimeField().to_representation(payment.decided_at),
                "notes": "" if approved and self._to_its_payer(payment)
                else payment.decision_notes}


@extend_schema_serializer(component_name="CarepayInvoice")
class InvoiceSerializer(serializers.Serializer):
    """An invoice as its payer sees it in a list."""

    id = serializers.UUIDField(source="public_id")
    number = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Invoice.Status.choices)
    currency = serializers.CharField()
    subtotal = MoneyOutput()
    tax = MoneyOutput()
    total = MoneyOutput()
    amount_paid = MoneyOutput()
    amount_refunded = MoneyOutput()
    amount_due = MoneyOutput(help_text="Negative when the invoice was overpaid.")
    amount_payable = MoneyOutput(help_text="What the payer is shown as owing (never < 0).")
    is_payable = serializers.BooleanField()
    issued_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    billing = BillingSerializer(source="*")
    pdf_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, invoice: Invoice) -> str | None:
        return _absolute(self, "invoice_pdf", invoice.public_id)


@extend_schema_serializer(component_name="CarepayInvoiceDetail")
class InvoiceDetailSerializer(InvoiceSerializer):
    """An invoice with its lines and its payments (cancelled attempts left out)."""

    lines = InvoiceLineSerializer(many=True)
    payments = PaymentSerializer(many=True, source="visible_payments")


@extend_schema_serializer(component_name="CarepayAccountDetail")
class AccountDetailSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


@extend_schema_serializer(component_name="CarepayMethod")
class MethodSerializer(serializers.Serializer):
    """A way the payer may pay this invoice."""

    method = serializers.CharField(source="alias", help_text="Send this as `method`.")
    label = serializers.CharField()
    kind = serializers.SerializerMethodField(
        help_text="online: POST …/payments/; offline: pay outside, then POST …/transfers/.")
    requires_approval = serializers.BooleanField()
    instructions = serializers.SerializerMethodField(
        help_text="Offline methods: what to do, as safe HTML; empty for online ones.")
    reference = serializers.SerializerMethodField(
        help_text="Offline methods: the reference to quote with the transfer.")
    account = serializers.SerializerMethodField()

    def get_kind(self, backend: BasePaymentBackend) -> str:
        return "online" if backend.online else "offline"

    def _instructions(self, backend: BasePaymentBackend) -> dict[str, Any]:
        if not backend.requires_approval:
            return {}
        return dict(backend.payment_instructions(self.context["invoice"]).context)

    def get_instructions(self, backend: BasePaymentBackend) -> str:
        return str(self._instructions(backend).get("instructions", ""))

    def get_reference(self, backend: BasePaymentBackend) -> str:
        return str(self._instructions(backend).get("reference", ""))

    @extend_schema_field(AccountDetailSerializer(many=True))
    def get_account(self, backend: BasePaymentBackend) -> list[dict[str, str]]:
        account = self._instructions(backend).get("account") or {}
        return [{"label": str(k), "value": str(v)} for k, v in account.items()]


@extend_schema_serializer(component_name="CarepayPaymentStart")
class PaymentStartSerializer(serializers.Serializer):
    """What the payer's app does next to pay online."""

    payment = PaymentSerializer()
    next_action = serializers.ChoiceField(
        choices=["confirm", "redirect", "none"],
        help_text="confirm: confirm with the provider's SDK (client_secret, "
                  "publishable_key); redirect: send the payer to redirect_url; none: "
                  "already paid, show the payment.")
    client_secret = serializers.CharField(allow_null=True)
    publishable_key = serializers.CharField(allow_null=True)
    redirect_url = serializers.CharField(allow_null=True)
    return_url = serializers.URLField(allow_null=True, help_text="carepay's result page.")


@extend_schema_serializer(component_name="CarepayRefund")
class RefundSerializer(serializers.Serializer):
    amount = MoneyOutput()
    currency = serializers.CharField()
    reason = serializers.CharField(source="note")
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="CarepayRefundResult")
class RefundResultSerializer(serializers.Serializer):
    refund = RefundSerializer()
    payment = PaymentSerializer()
    already_recorded = serializers.BooleanField(
        read_only=True,
        help_text="True (answered 200, not 201) when nothing was refunded now: the "
                  "provider answered with a refund already recorded (an earlier request "
                  "whose answer was lost, recorded meanwhile from the provider's "
                  "notification). Asking again is a new refund.")


@extend_schema_serializer(component_name="CarepayInvoiceSummary")
class InvoiceSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    number = serializers.CharField(allow_null=True)
    billing_name = serializers.CharField()
    currency = serializers.CharField()
    total = MoneyOutput()
    amount_due = MoneyOutput()


@extend_schema_serializer(component_name="CarepayApproval")
class ApprovalSerializer(PaymentSerializer):
    """A submitted payment waiting for staff, with what they need to decide."""

    invoice_summary = InvoiceSummarySerializer(source="invoice")
    submitted_by = serializers.CharField(source="recorded_by", allow_null=True)
    overpays_by = serializers.SerializerMethodField(
        help_text="How much approving it as submitted would overpay the invoice.")

    @extend_schema_field(MoneyOutput())
    def get_overpays_by(self, payment: Payment) -> str:
        excess = payment.invoice.overpayment_if_received(payment.amount)
        return MoneyOutput().to_representation((excess, payment.currency)) or "0"
