"""What staff fill in on the console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .fields import AmountField


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
