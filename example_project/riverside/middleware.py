"""The request being served, for links built where carepay passes none (e-mails sent
when a payment is recorded or a sign-up invoiced during a request)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_current: ContextVar[HttpRequest | None] = ContextVar("riverside_request", default=None)


def current_request() -> HttpRequest | None:
    """The request this thread is serving, if any."""
    return _current.get()


class CurrentRequestMiddleware:
    """Remembers the request while it is served (see :func:`current_request`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
