"""Helpers for the e-mail tests: carepay's messages by kind, from the locmem outbox."""

from __future__ import annotations

from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives

from django_carepay.emails.compose import KIND_HEADER


def kind_of(message: EmailMessage) -> str:
    return message.extra_headers.get(KIND_HEADER, "")


def sent(kind: str) -> list[EmailMultiAlternatives]:
    """The messages of ``kind`` in the outbox, oldest first."""
    return [m for m in mail.outbox if kind_of(m) == kind]  # type: ignore[misc]


def kinds() -> list[str]:
    """The kinds of the messages in the outbox, in the order they were sent."""
    return [kind_of(m) for m in mail.outbox]


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(html)
