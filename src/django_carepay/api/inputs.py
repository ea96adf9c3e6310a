"""What the JSON API accepts: request bodies and query strings, validated before any
service is called. Money and state rules stay in the services; the rules here are the
shape of the input (and the proof-of-payment checks the pages' form applies early)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from .. import invoice_lists
from ..exceptions import CarepayError, InvalidProof
from ..proofs import check_paid_on, check_proof_size, proof_extension
from .fields import AmountInput, CountryInput

#: Longest free text accepted (notes, reasons); the models' own limits apply too.
MAX_TEXT = 2000
#: Payment method aliases are slugs (``CAREPAY["BACKENDS"]`` keys).
MAX_ALIAS = 64

#: ``status`` filters of the invoice list (design §13), as the portal defines them.
STATUS_FILTERS = tuple(f.key for f in invoice_lists.STATUS_FILTERS)


def _method() -> serializers.SlugField:
    return serializers.SlugField(max_length=MAX_ALIAS, help_text="A method's `method` "
                                 "from GET methods/.")


@extend_schema_serializer(component_name="CarepayPaymentStartInput")
class PaymentStartInput(serializers.Serializer):
    method = _method()


@extend_schema_serializer(component_name="CarepayTransferInput")
class TransferInput(serializers.Serializer):
    """A payer reports a transfer they made; it waits for staff approval."""

    method = _method()
    amount = AmountInput(required=False, help_text="What was paid; default: the amount due.")
    reference = serializers.CharField(max_length=255, help_text="The reference quoted "
                                      "with the transfer.")
    notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True,
                                  default="")
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)
    proof = serializers.FileField(required=False, allow_null=True, default=None,
                                  help_text="A PDF, PNG or JPEG (multipart/form-data).")
    country = CountryInput(required=False, allow_null=True, default=None,
                           help_text="The payer's country, as given to GET methods/.")

    def validate_paid_on(self, value: Any) -> Any:
        try:
            check_paid_on(value)
        except CarepayError as exc:
            raise serializers.ValidationError(str(exc), code="future") from None
        return value

    def validate_proof(self, value: Any) -> Any:
        if value is None:
            return None
        try:
            check_proof_size(value)
        except InvalidProof as exc:
            raise serializers.ValidationError(str(exc), code="too_large") from None
        try:
            proof_extension(value)
        except InvalidProof as exc:
            raise serializers.ValidationError(str(exc), code="unsupported_type") from None
        return value


@extend_schema_serializer(component_name="CarepayApproveInput")
class ApproveInput(serializers.Serializer):
    notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True,
                                  default="")
    amount = AmountInput(required=False, help_text="The amount that actually arrived; "
                         "default: the amount submitted.")
    allow_overpayment = serializers.BooleanField(
        required=False, default=False,
        help_text="Approve even though it takes the invoice above its total (then listed "
                  "as needing a refund); otherwise that is refused with would_overpay.")


@extend_schema_serializer(component_name="CarepayRejectInput")
class RejectInput(serializers.Serializer):
    notes = serializers.CharField(max_length=MAX_TEXT, help_text="The reason; the payer "
                                  "is told it.")


@extend_schema_serializer(component_name="CarepayRefundInput")
class RefundInput(serializers.Serializer):
    amount = AmountInput(required=False, help_text="Default: everything still refundable.")
    reason = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True,
                                   default="")


class InvoiceListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUS_FILTERS, required=False,
                                     default="outstanding")
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                              help_text="An invoice number or words of a line's description.")


class MethodsQuery(serializers.Serializer):
    invoice = serializers.UUIDField(help_text="The invoice to pay.")
    country = CountryInput(required=False, allow_null=True, default=None,
                           help_text="The payer's country; default: the invoice's billing "
                                     "country.")
