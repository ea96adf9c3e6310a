"""Helpers for the e-mail tests: carepay's messages by kind, from the locmem outbox."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


@contextmanager
def smtp_server(handler: Any, settings: Any) -> Iterator[Any]:
    """A real SMTP server (aiosmtpd, ``handler``) on a free loopback port, and Django's
    SMTP e-mail backend pointed at it, for as long as the block runs."""
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()
