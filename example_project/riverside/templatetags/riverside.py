"""``{% load riverside %}``: the site a page is shown in, and its navigation.

``base.html`` starts with ``{% current_site as site %}``; carepay's pages put the
invoice (or payment) they show in their context, which is how a visitor holding a
payment link sees the invoice in the site that sent it.
"""

from __future__ import annotations

from typing import Any

from django import template

from ..sites import SITES, DemoSite, site_for_request

register = template.Library()


@register.simple_tag(takes_context=True)
def current_site(context: template.Context) -> DemoSite:
    """The :class:`~riverside.sites.DemoSite` this page belongs to."""
    invoice = context.get("invoice")
    if invoice is None and context.get("payment") is not None:
        invoice = context["payment"].invoice
    return site_for_request(context["request"], invoice)


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context, site: DemoSite) -> list[dict[str, Any]]:
    """The site's navigation for this user: ``label``, ``url``, ``current``."""
    return site.nav_for(context["request"])


@register.simple_tag(takes_context=True)
def site_user_title(context: template.Context, site: DemoSite) -> str:
    """How the header names the signed-in user's role on this site."""
    return site.title_for(context["request"].user)


@register.simple_tag
def demo_sites() -> tuple[DemoSite, ...]:
    """Every site, for the front door and the log-in page."""
    return SITES
