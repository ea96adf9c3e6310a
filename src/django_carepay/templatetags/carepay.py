"""Template helpers: ``{% load carepay %}`` then ``{{ invoice.total|money:invoice.currency }}``."""

from __future__ import annotations

from django import template

from ..money import display_money

register = template.Library()


@register.filter
def money(amount: object, currency: str) -> str:
    """Format ``amount`` in ``currency`` for the active language (``£80.00``)."""
    return display_money(amount, currency)
