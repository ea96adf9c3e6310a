"""The forms of carepay's admin pages; what they save goes through the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..backends import available_backends
from ..exceptions import CarepayError, InvalidCurrency
from ..forms import AmountField
from ..forms.actions import InvoiceVersionForm
from ..models import Invoice, InvoiceLine, Payment
from ..money import display_money, quantize, validate_currency

#: The line fields staff type; the service computes the rest.
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "service_date",
               "provider_name")


class CloseReasonForm(forms.Form):
    """Why invoices are voided or written off (optional; kept on each invoice)."""

    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


class InvoiceForm(forms.ModelForm):
    """The fields staff type on a draft; statuses, numbers and amounts are not among them."""

    def clean_currency(self) -> str:
        try:
            return validate_currency(self.cleaned_data["currency"])
        except InvalidCurrency as exc:
            raise forms.ValidationError(str(exc)) from None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "billing_language" in self.fields:  # one of the site's languages, or none
            from django.conf import settings

            model_field = self.fields["billing_language"]
            self.fields["billing_language"] = forms.ChoiceField(
                label=model_field.label, help_text=model_field.help_text, required=False,
                choices=[("", "---------"), *settings.LANGUAGES])

    def clean_billing_country(self) -> str:
        return self.cleaned_data["billing_country"].upper()


class InvoiceLineForm(forms.ModelForm):
    """A line on a draft, checked by the same rules the service prices it with."""

    class Meta:
        model = InvoiceLine
        fields = LINE_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The inline's foreign key field cleans to the invoice being edited (or added).
        invoice = cleaned.get("invoice")
        if invoice is None or self.errors or cleaned.get("DELETE"):
            return cleaned
        try:
            services.validate_line(
                currency=invoice.currency,
                **{name: cleaned[name] for name in LINE_FIELDS if cleaned.get(name) is not None},
            )
        except InvalidCurrency:
            pass  # the invoice's own form reports its currency
        except CarepayError as exc:
            self.add_error(None, str(exc))
        return cleaned


class InvoiceLineFormSet(BaseInlineFormSet):
    """Saves every change through the services, which price the line and update the
    invoice's totals under its lock: add_line, update_line and remove_line."""

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> InvoiceLine:
        # The service saves the line whatever ``commit`` says: the totals move with it.
        return services.add_line(
            self.instance, **{name: form.cleaned_data[name] for name in LINE_FIELDS}
        )

    def save_existing(self, form: forms.ModelForm, obj: InvoiceLine,
                      commit: bool = True) -> InvoiceLine:
        return services.update_line(
            obj, **{name: form.cleaned_data[name] for name in LINE_FIELDS}
        )

    def delete_existing(self, obj: InvoiceLine, commit: bool = True) -> None:
        services.remove_line(obj)



class RecordPaymentForm(InvoiceVersionForm):
    """Money staff took in person, offered the staff-entry backends that take the invoice.

    It carries the invoice's version as shown: the view records only if the invoice is
    still that version, so the form sent twice records the money once.
    """

    backend = forms.ChoiceField(label=_("Payment method"))
    amount = AmountField(label=_("Amount"))
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=255,
        help_text=_("E.g. the terminal's receipt number or the cheque number."))
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = services.invoice_version(invoice)
        backends = available_backends(invoice, staff=True)
        cast(forms.ChoiceField, self.fields["backend"]).choices = [
            (b.alias, b.label) for b in backends]
        if not backends:
            self.fields["backend"].help_text = gettext(
                "No payment method that staff record takes %(currency)s; configure one "
                "(e.g. a ManualBackend) in CAREPAY['BACKENDS'].") % {
                    "currency": invoice.currency}
        self.fields["amount"].initial = quantize(invoice.amount_due, invoice.currency)
        self.fields["amount"].help_text = gettext("At most the amount due, %(due)s.") % {
            "due": display_money(invoice.amount_due, invoice.currency)}
        if invoice.payments.filter(status=Payment.Status.AWAITING_APPROVAL).exists():
            self.fields["allow_pending_transfers"] = forms.BooleanField(
                label=_("Record it even though a transfer awaits approval"), required=False,
                help_text=_("Approving that transfer afterwards then records an "
                            "overpayment to refund."))



class RefundForm(InvoiceVersionForm):
    """How much of a payment to hand back, and why.

    It carries the version of the payment's invoice as shown (every refund saves the
    invoice), so the form sent twice refunds once.
    """

    amount = AmountField(label=_("Amount"))
    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = services.invoice_version(payment.invoice)
        refundable = payment.refundable_amount
        self.fields["amount"].initial = quantize(refundable, payment.currency,
                                                allow_zero=True)
        self.fields["amount"].help_text = gettext("At most %(refundable)s.") % {
            "refundable": display_money(refundable, payment.currency)}
