"""What every carepay API view shares: JSON in and out, carepay's error shape, the host's
authentication, permissions and throttling, and ``Idempotency-Key`` on POSTs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ..links import SESSION_KEY
from .errors import exception_handler
from .idempotency import idempotent


class InvoicePages(PageNumberPagination):
    """25 a page, as the payer's pages (``?page=2``)."""

    page_size = 25


class CarepayAPIView(GenericAPIView):
    """The base of carepay's API views.

    Set here, so a host needs no configuration: JSON only, and
    :func:`~django_carepay.api.errors.exception_handler` (every refusal is
    ``{"code", "message", "field"}``). Read from the host's ``REST_FRAMEWORK`` at each
    request (never hard-wired): ``DEFAULT_AUTHENTICATION_CLASSES``,
    ``DEFAULT_PERMISSION_CLASSES`` (carepay's own rules, ``carepay_permissions``, are
    checked after them) and ``DEFAULT_THROTTLE_CLASSES``.
    """

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class: type[PageNumberPagination] | None = None
    schema = AutoSchema()
    #: carepay's own permission rules for this view, on top of the host's defaults.
    carepay_permissions: tuple[type[BasePermission], ...] = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # A payer without an account is authorized by the session cookie alone (a
        # payment link's grant, links.can_view), which DRF's SessionAuthentication
        # does not CSRF-check when it finds no user: check it here.
        user = getattr(request, "user", None)
        if request.method not in SAFE_METHODS and not (user and user.is_authenticated) \
                and getattr(request._request, "session", {}).get(SESSION_KEY):
            SessionAuthentication().enforce_csrf(request)

    def get_exception_handler(self) -> Callable[..., Response | None]:
        return exception_handler

    def get_authenticators(self) -> list[Any]:
        return [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    def get_permissions(self) -> list[Any]:
        return [permission() for permission in
                (*api_settings.DEFAULT_PERMISSION_CLASSES, *self.carepay_permissions)]

    def get_throttles(self) -> list[Any]:
        return [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]

    def once(self, request: Request, act: Callable[[], Response]) -> Response:
        """``act()``, once per ``Idempotency-Key`` (:mod:`.idempotency`); its refusals
        become responses here, so the first answer is what a retry replays."""
        def respond() -> Response:
            try:
                return act()
            except Exception as exc:
                return self.handle_exception(exc)  # re-raises what it cannot answer

        return idempotent(request, respond)
