"""Turn a kind's templates into one e-mail, and deliver it without ever raising."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from ..adapter import get_adapter
from ..conf import carepay_settings

if TYPE_CHECKING:
    from ..models import Invoice

logger = logging.getLogger("django_carepay")

#: The header naming a message's kind, for the host's e-mail provider (tags) and tests.
KIND_HEADER = "X-Carepay-Kind"

#: An attachment: (file name, content, MIME type).
Attachment = tuple[str, bytes, str]

#: Set by the e-mail task while it sends (:func:`failures_raised`): a failure is
#: logged and then raised, so the task fails and the message is tried again.
_raise_failures: ContextVar[bool] = ContextVar("carepay_raise_mail_failures", default=False)


@contextmanager
def failures_raised() -> Iterator[None]:
    """Inside, :func:`deliver` raises what stopped a message after logging it (a task
    worker retries it) instead of swallowing it (a request that committed money)."""
    token = _raise_failures.set(True)
    try:
        yield
    finally:
        _raise_failures.reset(token)


def email_enabled(kind: str) -> bool:
    """Whether ``CAREPAY["EMAILS"]`` leaves e-mails of ``kind`` on."""
    return carepay_settings.EMAILS.get(kind, False)


def render_message(kind: str, context: dict[str, Any], *, to: Iterable[str],
                   invoice: Invoice | None,
                   attachments: Iterable[Attachment | None] = ()) -> EmailMultiAlternatives:
    """The e-mail of ``kind`` to ``to``: subject, text body and HTML alternative from
    ``carepay/email/<kind>_{subject.txt,body.txt,body.html}`` with ``context``; the
    sender from ``adapter.from_email(invoice)``; ``attachments`` that are ``None``
    (a PDF that could not be made) are left out."""
    adapter = get_adapter()
    context = {"issuer": adapter.issuer_details(invoice) if invoice is not None else {},
               "kind": kind, **context}
    subject = render_to_string(f"carepay/email/{kind}_subject.txt", context)
    message = EmailMultiAlternatives(
        # A subject is one line, whatever the template's whitespace.
        subject=" ".join(subject.split()),
        body=render_to_string(f"carepay/email/{kind}_body.txt", context),
        from_email=adapter.from_email(invoice),
        to=list(to),
        headers={KIND_HEADER: kind},
    )
    message.attach_alternative(
        render_to_string(f"carepay/email/{kind}_body.html", context), "text/html")
    for attachment in attachments:
        if attachment is not None:
            message.attach(*attachment)
    return message


def deliver(kind: str, invoice: Invoice,
            build: Callable[[], EmailMultiAlternatives | None]) -> bool:
    """Build and send one e-mail of ``kind`` about ``invoice``, if its kind is on.

    ``build`` returns the message, or ``None`` when there is nobody to write to. Runs
    on commit: whatever goes wrong (a template, a PDF, the mail server refusing) is
    logged with the invoice number and swallowed, so a mail failure never turns a
    committed payment into an error. Returns whether the message was handed over.
    """
    if not email_enabled(kind):
        return False
    try:
        message = build()
        if not message:
            return False
        get_adapter().send_message(message, kind=kind, invoice=invoice)
    except Exception:
        logger.exception("Could not send the %s e-mail for invoice %s", kind,
                         invoice.number or f"(draft {invoice.public_id})")
        if _raise_failures.get():
            raise
        return False
    return True


def payer_email(invoice: object) -> str:
    """Where to write to the payer: the billing e-mail, else the customer's."""
    email = getattr(invoice, "billing_email", "")
    customer = getattr(invoice, "customer", None)
    return email or (getattr(customer, "email", "") if customer is not None else "")


def backend_label(alias: str) -> str:
    """The label people know a payment method by (the alias if it is gone)."""
    from ..backends import backend_label as label

    return label(alias)
