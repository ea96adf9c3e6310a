"""The OpenAPI 3 document of carepay's JSON API (drf-spectacular): the schema view,
which documents carepay's views only, and the error responses every operation lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView

from .openapi_settings import CAREPAY_SCHEMA_SETTINGS
from .serializers import ErrorSerializer

_STATUS_TEXT = {
    400: "Bad input: `field` names it (e.g. amount above the amount due, empty reference, "
         "a method not available for the invoice's country or currency, a proof too large "
         "or not a PDF, PNG or JPEG).",
    401: "Not authenticated (403 instead where the host's authentication sends no "
         "challenge).",
    403: "Not allowed (permission) or not authenticated.",
    404: "No such object, or not one the requester may see.",
    409: "The invoice or payment is not in a state that allows it (already paid, decided "
         "twice, would overpay, busy: try again later).",
    415: "Send application/json, or multipart/form-data with a proof.",
    422: "This Idempotency-Key was used for another request.",
    429: "Throttled by the host's settings: see Retry-After.",
}


def _example(status: int) -> OpenApiExample:
    bodies = {
        400: {"code": "invalid", "field": "amount",
              "message": "100.00 GBP is more than the 80.00 GBP due on Invoice "
                         "INV-2026-00001; enter at most 80.00."},
        401: {"code": "not_authenticated", "field": None,
              "message": "Authentication credentials were not provided."},
        403: {"code": "permission_denied", "field": None,
              "message": "You may not approve or reject payments."},
        404: {"code": "not_found", "field": None, "message": "No invoice found."},
        409: {"code": "already_decided", "field": None,
              "message": "This payment was already approved by finance at 2026-11-29 10:15."},
        415: {"code": "unsupported_media_type", "field": None,
              "message": "Unsupported media type \"text/plain\" in request."},
        422: {"code": "idempotency_key_reused", "field": "Idempotency-Key",
              "message": "This Idempotency-Key was already used for a different request "
                         "in the last 24 hours; send a new key for a new request."},
        429: {"code": "throttled", "field": None,
              "message": "Request was throttled. Expected available in 30 seconds."},
    }
    return OpenApiExample(f"{status}", value=bodies[status], status_codes=[str(status)],
                          response_only=True)


def refusals(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation; 401, 403 and 429 (the host's
    authentication, permissions and throttling) are always among them."""
    wanted = sorted({*statuses, 401, 403, 429})
    return {status: OpenApiResponse(ErrorSerializer, description=_STATUS_TEXT[status],
                                    examples=[_example(status)])
            for status in wanted}


def document(**kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``extend_schema(**kwargs)`` on a view method, on drf-spectacular's AutoSchema
    whatever the host's ``DEFAULT_SCHEMA_CLASS`` is (hosts need not configure it)."""
    def decorator(method: Callable[..., Any]) -> Callable[..., Any]:
        method.schema = AutoSchema  # type: ignore[attr-defined]  # extend_schema's base
        return extend_schema(**kwargs)(method)
    return decorator


def carepay_endpoints_only(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """drf-spectacular preprocessing hook: only carepay's API views, wherever the host
    mounted them (so the document has the real paths, prefix included)."""
    from .base import CarepayAPIView

    return [endpoint for endpoint in endpoints
            if isinstance(getattr(endpoint[3], "cls", None), type)
            and issubclass(endpoint[3].cls, CarepayAPIView)]


class CarepaySchemaView(SpectacularAPIView):
    """The OpenAPI 3 document (JSON; ``?format=yaml`` for YAML) of carepay's API only."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer, OpenApiYamlRenderer,
                        OpenApiYamlRenderer2]
    custom_settings = CAREPAY_SCHEMA_SETTINGS
