"""Every refusal of the JSON API as ``{"code", "message", "field"}``, with its status.

:func:`exception_handler` is set on carepay's views themselves (not through the
host's ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``), so the shape holds whatever the host
configures: a :class:`~django_carepay.exceptions.CarepayError` from a service, and
Django REST framework's own errors (validation 400, authentication 401/403, 404, 405,
415, throttling 429 with ``Retry-After``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from ..exceptions import (
    AlreadyDecided,
    BackendNotAvailable,
    CarepayError,
    InvalidInput,
    InvalidLink,
    InvalidState,
    InvoiceBusy,
    PermissionRefused,
    ProviderError,
    UnknownBackend,
    WouldOverpay,
)

#: Codes of refusals a client may simply retry later with the same Idempotency-Key:
#: their response is not stored for replay.
RETRYABLE_CODES = frozenset({"invoice_busy", "provider_unavailable"})

#: Each service refusal, most specific first: (class, status, code, field).
#: ``None`` as the code or field means "the exception's own" (InvalidInput's).
_REFUSALS: tuple[tuple[type[CarepayError], int, str | None, str | None], ...] = (
    (PermissionRefused, status.HTTP_403_FORBIDDEN, "permission_refused", None),
    (AlreadyDecided, status.HTTP_409_CONFLICT, "already_decided", None),
    (WouldOverpay, status.HTTP_409_CONFLICT, "would_overpay", None),
    (InvoiceBusy, status.HTTP_409_CONFLICT, "invoice_busy", None),
    (InvalidState, status.HTTP_409_CONFLICT, "invalid_state", None),
    (UnknownBackend, status.HTTP_400_BAD_REQUEST, "unknown_method", "method"),
    (BackendNotAvailable, status.HTTP_400_BAD_REQUEST, "method_not_available", "method"),
    (InvalidInput, status.HTTP_400_BAD_REQUEST, None, None),
    (InvalidLink, status.HTTP_404_NOT_FOUND, "invalid_link", None),
)

#: DRF's exception classes → our codes (DRF's own ``default_code`` otherwise).
_API_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape of every refusal."""
    return {"code": code, "message": message, "field": field}


def error_response(code: str, message: str, *, field: str | None = None,
                   status_code: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response(error_body(code, message, field), status=status_code)


def refusal(exc: CarepayError) -> tuple[int, dict[str, Any]]:
    """The status and body for a service's refusal."""
    message = str(exc) or exc.__class__.__name__
    if isinstance(exc, ProviderError):
        # The provider said no (the same request gets the same answer), or nothing is
        # known (an outage, a lost answer): the client may retry the second.
        outcome = "provider_refused" if exc.refused else "provider_unavailable"
        return status.HTTP_409_CONFLICT, error_body(outcome, message)
    for cls, status_code, code, field in _REFUSALS:
        if isinstance(exc, cls):
            if isinstance(exc, InvalidInput):
                return status_code, error_body(code or exc.code, message, field or exc.field)
            return status_code, error_body(code or "refused", message, field)
    return status.HTTP_409_CONFLICT, error_body("refused", message)


def _first_error(detail: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], Any]:
    """The first message of a (possibly nested) ValidationError detail, with its path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            return _first_error(value, (*path, str(key)))
    if isinstance(detail, list):
        for position, item in enumerate(detail):
            if item:
                inner = (*path, str(position)) if isinstance(item, (dict, list)) else path
                return _first_error(item, inner)
    return path, detail


def _api_error(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        path, first = _first_error(exc.detail)
        field = ".".join(p for p in path if p != "non_field_errors") or None
        code = getattr(first, "code", None) or "invalid"
        return error_body(str(code), str(first) or "Invalid input.", field)
    code = _API_CODES.get(type(exc)) or str(exc.default_code)
    detail = exc.detail
    message = str(detail) if not isinstance(detail, (dict, list)) else str(exc.default_detail)
    return error_body(code, message)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """carepay's views' exception handler: ``{"code", "message", "field"}`` for every
    refusal; anything else is re-raised by DRF (a programming error, a 500)."""
    if isinstance(exc, CarepayError):
        status_code, body = refusal(exc)
        # A provider's refusal is the one refusal a service commits something for (the
        # count that gives the next refund request a new idempotency key); services roll
        # their own other changes back, so ATOMIC_REQUESTS must not undo that count.
        if not (isinstance(exc, ProviderError) and exc.refused):
            set_rollback()
        return Response(body, status=status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)  # headers: WWW-Authenticate, Retry-After
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    response.data = _api_error(exc)
    return response
