"""The forms of the actions on the staff console's invoice page.

Each carries the invoice's version as the page showed it (``version``, hidden):
:func:`~django_carepay.services.act_if_unchanged` acts only if the invoice is still
that version, so a form sent twice, or sent after someone else changed the invoice,
changes nothing the second time.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..backends import BasePaymentBackend
from ..models import Invoice, Payment
from ..money import display_money, quantize
from .fields import AmountField
from .invoices import ConsoleForm, DateInput, LineForm
from .staff import ApproveForm, RejectForm


class InvoiceVersionForm(forms.Form):
    """The invoice's version when the form was shown (a one-time token).

    The admin's record-payment and refund forms build on it too, so the admin and the
    console guard the same actions with the same token.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)


class VersionForm(InvoiceVersionForm, ConsoleForm):
    """A console form carrying the invoice's version (see :class:`InvoiceVersionForm`)."""


class IssueForm(VersionForm):
    """Issue a draft; the "Issue and e-mail" button sends ``send_email``."""

    send_email = forms.BooleanField(required=False)


class DraftLineForm(VersionForm, LineForm):
    """A line added to, or changed on, a draft."""


def _reason_field(help_text: Any) -> forms.CharField:
    return forms.CharField(label=_("Reason"), max_length=2000, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 2}))


class _ReasonRequired:
    """A reason made only of blanks is no reason."""

    cleaned_data: dict[str, Any]

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason; it is kept with the invoice."))
        return reason


class CloseForm(_ReasonRequired, VersionForm):
    """Why an invoice is voided or written off (kept on the invoice)."""

    reason = _reason_field(_("Kept with the invoice for the audit trail."))


class RecordPaymentForm(VersionForm):
    """Money taken in person: cash, the card terminal, a cheque."""

    backend = forms.ChoiceField(label=_("Method"))
    amount = AmountField(label=_("Amount received"),
                         widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=255,
        help_text=_("E.g. the terminal receipt or cheque number."))
    paid_on = forms.DateField(label=_("Taken on"), widget=DateInput)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)

    def __init__(self, *args: Any, invoice: Invoice, backends: list[BasePaymentBackend],
                 awaiting_approval: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        backend = self.fields["backend"]
        assert isinstance(backend, forms.ChoiceField)
        backend.choices = [(b.alias, b.label) for b in backends]
        due = invoice.amount_payable
        self.fields["amount"].initial = quantize(due, invoice.currency) if due else None
        self.fields["amount"].help_text = _("At most the %(due)s due.") % {
            "due": display_money(due, invoice.currency)}
        self.fields["paid_on"].initial = timezone.localdate
        if awaiting_approval:
            self.fields["allow_pending_transfers"] = forms.BooleanField(
                label=_("Record it even though a transfer awaits approval"), required=False,
                help_text=_("Approving that transfer afterwards then records an "
                            "overpayment to refund."))


class RefundForm(_ReasonRequired, VersionForm):
    """How much of one payment to hand back, and why."""

    amount = AmountField(label=_("Amount to refund"),
                         widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
    reason = _reason_field(_("Kept on the ledger; the payer is told the amount."))

    def __init__(self, *args: Any, payment: Payment, partial: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refundable = payment.refundable_amount
        self.fields["amount"].initial = quantize(refundable, payment.currency,
                                                allow_zero=True)
        self.fields["amount"].help_text = (
            _("Refundable: %(refundable)s.") if partial else
            _("Refundable: %(refundable)s. This method refunds only the whole amount.")
        ) % {"refundable": display_money(refundable, payment.currency)}
        if not partial:
            self.fields["amount"].widget.attrs["readonly"] = True


class InvoiceApproveForm(VersionForm, ApproveForm):
    """Approve a transfer from the invoice's page."""


class InvoiceRejectForm(VersionForm, RejectForm):
    """Reject a transfer from the invoice's page."""
