"""Who may see an invoice without an account: signed payment links and session grants.

A leaf below the services, views and e-mails that use it: a payment link is a signed,
expiring token naming an invoice; opening it grants the browser's session access to
that invoice, and :func:`can_view` is the one rule every payer page applies.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from .adapter import get_adapter
from .conf import carepay_settings
from .exceptions import InvalidLink
from .models import Invoice

__all__ = [
    "PAYMENT_LINK_SALT",
    "SESSION_KEY",
    "can_view",
    "grant_session",
    "payment_link",
    "resolve_payment_link",
]

PAYMENT_LINK_SALT = "django_carepay.payment_link"

#: Session key holding the public ids of the invoices opened from a payment link.
SESSION_KEY = "carepay_invoice_grants"

#: How many invoices one session remembers being granted (the most recent ones).
MAX_GRANTS = 20


def payment_link(invoice: Invoice, *, request: Any = None) -> str:
    """A signed, expiring URL from which anyone holding it may view and pay ``invoice``."""
    token = signing.dumps(str(invoice.public_id), salt=PAYMENT_LINK_SALT, compress=False)
    path = reverse("carepay:invoice_link", kwargs={"token": token})
    return get_adapter().build_absolute_uri(path, request)


def resolve_payment_link(token: str) -> Invoice:
    """The invoice a payment link points at; raises :class:`InvalidLink`."""
    try:
        public_id = signing.loads(token, salt=PAYMENT_LINK_SALT,
                                  max_age=carepay_settings.PAYMENT_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidLink(_("This payment link has expired; ask for a new one.")) from None
    except signing.BadSignature:
        raise InvalidLink(_("This payment link is not valid.")) from None
    try:
        return Invoice.objects.get(public_id=public_id)
    except (Invoice.DoesNotExist, ValueError):
        raise InvalidLink(_("This payment link is not valid.")) from None


def grant_session(request: HttpRequest, invoice: Invoice) -> None:
    """Let this browser session see ``invoice`` (its payment link was opened here)."""
    grants = [g for g in request.session.get(SESSION_KEY, []) if g != str(invoice.public_id)]
    request.session[SESSION_KEY] = [*grants[-(MAX_GRANTS - 1):], str(invoice.public_id)]


def _granted(request: HttpRequest, invoice: Invoice) -> bool:
    return str(invoice.public_id) in request.session.get(SESSION_KEY, [])


def can_view(request: HttpRequest, invoice: Invoice) -> bool:
    """The adapter's rule, or a payment link opened in this session."""
    if invoice.status == Invoice.Status.DRAFT:
        return False
    return get_adapter().can_view_invoice(request, invoice) or _granted(request, invoice)
