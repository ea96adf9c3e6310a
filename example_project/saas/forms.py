"""The sign-up form."""

from __future__ import annotations

from babel import Locale
from django import forms
from django.utils.translation import get_language, gettext, to_locale
from django.utils.translation import gettext_lazy as _
from django_carepay.money import format_money

from .models import Plan

#: Countries customers sign up from. Each is billed in its own currency where the
#: plan has a price in it (see ``Plan.price_for``), which decides the payment methods
#: carepay offers (``CAREPAY["BACKENDS"]`` filters by currency and country).
SIGNUP_COUNTRIES = ("AE", "AT", "BE", "DE", "ES", "FR", "GB", "IE", "IN", "IT", "NL",
                    "PK", "PT", "US")


def country_choices() -> list[tuple[str, str]]:
    """``SIGNUP_COUNTRIES`` as form choices, by name in the active language."""
    names = Locale.parse(to_locale(get_language() or "en")).territories
    return sorted(((code, names[code]) for code in SIGNUP_COUNTRIES), key=lambda c: c[1])


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, plan: Plan) -> str:
        if plan.is_free:
            return gettext("%(plan)s: free, %(credits)s credits") % {
                "plan": plan.name, "credits": f"{plan.credits:,}"}
        price = format_money(plan.monthly_price, plan.currency)
        return gettext("%(plan)s: %(price)s a month, %(credits)s credits") % {
            "plan": plan.name, "price": price, "credits": f"{plan.credits:,}"}


class SignupForm(forms.Form):
    """A new account: its name, its plan and the country it is billed in."""

    name = forms.CharField(label=_("Account name"), max_length=200,
                           help_text=_("Your company or team, e.g. Hollis & Wren Architects."))
    plan = PlanChoiceField(queryset=Plan.objects.all(), empty_label=None,
                           widget=forms.RadioSelect)
    country = forms.ChoiceField(label=_("Billing country"), choices=country_choices,
                                help_text=_("Decides your currency and how you can pay."))

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give your account a name."))
        return name
