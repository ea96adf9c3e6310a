"""Form fields and the helper that puts a service's refusal next to its field."""

from __future__ import annotations

from typing import Any

from django import forms

from ..exceptions import CarepayError, InvalidAmount
from ..money import parse_amount


def add_service_error(form: forms.Form, exc: CarepayError) -> None:
    """Show a service's refusal on ``form``: next to the field it names
    (``InvalidInput.field``) when the form has that field, else above the form."""
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


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
