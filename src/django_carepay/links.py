"""Who may see an invoice without an account: signed payment links and session grants.

A leaf below the services, views and e-mails that use it: a payment link is a signed,
expiring token naming an invoice; opening it grants the browser's session access to
that invoice, and :func:`can_view` is the one rule every payer page applies.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .adapter import get_adapter
from .conf import carepay_settings
from .exceptions import InvalidLink
from .models import Invoice

__all__ = [
    "DOCUMENT_LINK_SALT",
    "PAYMENT_LINK_SALT",
    "SESSION_KEY",
    "can_view",
    "grant_session",
    "payment_link",
    "resolve_payment_link",
]

PAYMENT_LINK_SALT = "django_carepay.payment_link"
#: The salt of the links printed on an invoice's kept PDF (see :func:`payment_link`).
DOCUMENT_LINK_SALT = "django_carepay.payment_link.document"

#: Session key holding the public ids of the invoices opened from a payment link.
SESSION_KEY = "carepay_invoice_grants"

#: How many invoices one session remembers being granted (the most recent ones).
MAX_GRANTS = 20


def payment_link(invoice: Invoice, *, request: Any = None, document: bool = False) -> str:
    """A signed, expiring URL from which anyone holding it may view and pay ``invoice``.

    It expires ``PAYMENT_LINK_MAX_AGE`` after it was made. With ``document``, the link
    printed on the invoice's kept PDF: that PDF is rendered once, at issue, and sent
    again with every reminder, so its link also holds until ``PAYMENT_LINK_MAX_AGE``
    after the end of the invoice's due date (a reminder a week or two late still
    carries a link that opens).
    """
    token = signing.dumps(str(invoice.public_id),
                          salt=DOCUMENT_LINK_SALT if document else PAYMENT_LINK_SALT,
                          compress=False)
    path = reverse("carepay:invoice_link", kwargs={"token": token})
    return get_adapter().build_absolute_uri(path, request)


def _expired() -> InvalidLink:
    return InvalidLink(_("This payment link has expired; ask for a new one."))


def _invalid() -> InvalidLink:
    return InvalidLink(_("This payment link is not valid."))


def _invoice(public_id: Any) -> Invoice:
    try:
        return Invoice.objects.get(public_id=public_id)
    except (Invoice.DoesNotExist, ValueError):
        raise _invalid() from None


def resolve_payment_link(token: str) -> Invoice:
    """The invoice a payment link points at; raises :class:`InvalidLink`."""
    max_age = carepay_settings.PAYMENT_LINK_MAX_AGE
    try:
        return _invoice(signing.loads(token, salt=PAYMENT_LINK_SALT, max_age=max_age))
    except signing.SignatureExpired:
        raise _expired() from None
    except signing.BadSignature:
        pass  # perhaps a document's link
    try:
        return _invoice(signing.loads(token, salt=DOCUMENT_LINK_SALT, max_age=max_age))
    except signing.SignatureExpired:
        # Older than the lifetime: a document's link holds until the lifetime after
        # the end of the invoice's due date.
        invoice = _invoice(signing.loads(token, salt=DOCUMENT_LINK_SALT))
        if invoice.due_date is None:
            raise _expired() from None
        end_of_due_day = timezone.make_aware(
            datetime.combine(invoice.due_date + timedelta(days=1), time.min))
        if timezone.now() > end_of_due_day + timedelta(seconds=max_age):
            raise _expired() from None
        return invoice
    except signing.BadSignature:
        raise _invalid() from None


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
