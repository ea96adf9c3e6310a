"""Template helpers: ``{% load carepay %}`` then ``{{ invoice.total|money:invoice.currency }}``;
and, for plain-text e-mails, ``{% aligned %}…{% endaligned %}`` with ``{% column %}``
between a label and its value, so the values line up whatever the language's labels."""

from __future__ import annotations

from typing import Any

from django import template

from ..money import display_money

register = template.Library()

#: What ``{% column %}`` writes: where a label ends and its value begins.
COLUMN = "\x1f"


@register.filter
def money(amount: object, currency: str) -> str:
    """Format ``amount`` in ``currency`` for the active language (``£80.00``)."""
    return display_money(amount, currency)


@register.simple_tag
def column() -> str:
    """Inside ``{% aligned %}``: the end of a line's label."""
    return COLUMN


@register.tag("aligned")
def aligned(parser: template.base.Parser, token: template.base.Token) -> template.Node:
    """``{% aligned %}…{% endaligned %}``: the lines holding a ``{% column %}`` get their
    labels padded to the longest one plus two spaces ("Date:" and "Receipt no.:" in
    English, "Datum:" and "Quittungsnr.:" in German, each lined up)."""
    nodelist = parser.parse(("endaligned",))
    parser.delete_first_token()
    return AlignedNode(nodelist)


class AlignedNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: Any) -> str:
        lines = self.nodelist.render(context).split("\n")
        labels = [line.split(COLUMN, 1)[0] for line in lines if COLUMN in line]
        width = max(map(len, labels), default=0) + 2
        return "\n".join(_aligned(line, width) for line in lines)


def _aligned(line: str, width: int) -> str:
    if COLUMN not in line:
        return line
    label, value = line.split(COLUMN, 1)
    return label.ljust(width) + value
