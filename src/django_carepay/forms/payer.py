"""What payers fill in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import CarepayError
from ..proofs import check_paid_on, check_proof_size
from .fields import AmountField


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
