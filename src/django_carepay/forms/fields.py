"""Form fields and the helper that puts a service's refusal next to its field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ..exceptions import CarepayError, InvalidAmount
from ..money import parse_localized_amount


def add_service_error(form: forms.Form, exc: CarepayError) -> None:
    """Show a service's refusal on ``form``: next to the field it names
    (``InvalidInput.field``) when the form has that field, else above the form."""
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


class AmountInput(forms.TextInput):
    """A text input showing an amount as :func:`parse_localized_amount` reads it back:
    the language's decimal separator and never a thousands separator (with
    ``USE_THOUSAND_SEPARATOR`` on, Django would show 1234 JPY as ``1.234``, which is
    refused as ambiguous when submitted unchanged)."""

    def format_value(self, value: Any) -> Any:
        if self.is_localized and isinstance(value, Decimal | int) \
                and not isinstance(value, bool):
            from django.utils.formats import get_format

            return f"{Decimal(value):f}".replace(".", str(get_format("DECIMAL_SEPARATOR")))
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """A money amount as a person types it in the active language, read by
    :func:`~django_carepay.money.parse_localized_amount`: ``95,00`` and ``1.234,50`` in
    German, ``95.00`` and ``1,234.50`` in English, digits of any script; an amount that
    could be read two ways (``1.234`` in German) is refused with a message saying so.

    The field is localized: the amount a form starts with is shown the same way
    (``95,00`` in German), in a text input (``inputmode="decimal"``), not a number
    input, whose value the browser would rewrite."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("localize", True)
        widget = kwargs.get("widget")
        if widget is None:
            kwargs["widget"] = AmountInput(attrs={"inputmode": "decimal"})
        elif type(widget) is forms.TextInput:  # the forms' own, with their attrs
            kwargs["widget"] = AmountInput(attrs=widget.attrs)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip() not in self.empty_values:
            try:
                value = parse_localized_amount(value)
            except InvalidAmount as exc:
                if exc.code == "ambiguous":
                    raise forms.ValidationError(str(exc), code="ambiguous") from None
                raise forms.ValidationError(self.error_messages["invalid"],
                                            code="invalid") from None
        return super().to_python(value)
