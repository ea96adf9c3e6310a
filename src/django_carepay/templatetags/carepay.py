"""Template helpers: ``{% load carepay %}`` then ``{{ invoice.total|money:invoice.currency }}``."""

from __future__ import annotations

from django import template

from ..exceptions import CarepayError
from ..money import format_money

register = template.Library()


@register.filter
def money(amount: object, currency: str) -> str:
    """Format ``amount`` in ``currency`` for the active language (``£80.00``)."""
    if amount is None or amount == "" or not currency:
        return ""
    try:
        return format_money(amount, currency)
    except CarepayError:
        return f"{amount} {currency}"
