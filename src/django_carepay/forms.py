"""Forms for carepay's pages. Validation of money and state stays in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .exceptions import CarepayError, InvalidAmount
from .money import parse_amount
from .proofs import check_paid_on, check_proof_size


class AmountField(forms.DecimalField):
    """A money amount as a person types it, read by :func:`~django_carepay.money.parse_amount`
    (the one rule services apply too): digits of any script, ``.`` as the point."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip() not in self.empty_values:
            try:
                value = parse_amount(value)
            except InvalidAmount:
                raise forms.ValidationError(self.error_messages["invalid"],
                                            code="invalid") from None
        return super().to_python(value)


class TransferConfirmationForm(forms.Form):
    """What a payer tells us after paying by bank transfer."""

    reference = forms.CharField(
        label=_("Reference you quoted"), max_length=255,
        help_text=_("The reference on your bank transfer."),
    )
    amount = AmountField(label=_("Amount paid"), min_value=0)
    paid_on = forms.DateField(label=_("Date paid"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    proof = forms.FileField(
        label=_("Proof of payment (optional)"), required=False,
        help_text=_("A PDF, PNG or JPEG, e.g. a screenshot of the transfer."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    # The service's own rules, applied early so the refusal shows next to its field.
    def clean_paid_on(self) -> Any:
        paid_on = self.cleaned_data["paid_on"]
        try:
            check_paid_on(paid_on)
        except CarepayError as exc:
            raise forms.ValidationError(str(exc)) from None
        return paid_on

    def clean_proof(self) -> Any:
        proof = self.cleaned_data.get("proof")
        if proof:
            try:
                check_proof_size(proof)
            except CarepayError as exc:
                raise forms.ValidationError(str(exc)) from None
        return proof


class ApproveForm(forms.Form):
    """Staff approving a submitted payment; the amount corrects what actually arrived."""

    amount = AmountField(label=_("Amount received"), required=False, min_value=0)
    notes = forms.CharField(label=_("Notes"), required=False)
    allow_overpayment = forms.BooleanField(
        label=_("Record an overpayment"), required=False,
        help_text=_("Approve even though this takes the invoice above its total; the "
                    "excess is then listed as needing a refund."),
    )


class RejectForm(forms.Form):
    """Staff rejecting a submitted payment; the payer is told the reason."""

    reason = forms.CharField(label=_("Reason (sent to the payer)"), max_length=2000)

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason; the payer is told it."))
        return reason
