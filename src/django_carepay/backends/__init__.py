"""Payment backends, configured by alias in ``CAREPAY["BACKENDS"]``.

The public names of the backends API, re-exported: the handler that builds them
(:mod:`.handler`), the contract (:mod:`.base`) and the value objects they return
(:mod:`django_carepay.types`).
"""

from __future__ import annotations

from ..types import (
    ActionKind,
    PaymentAction,
    ProviderUpdate,
    RefundResult,
    RefundStatus,
    UpdateKind,
    WebhookDelivery,
)
from .base import BasePaymentBackend
from .handler import (
    BackendHandler,
    all_backends,
    available_backends,
    backend_label,
    backends,
    get_backend,
)
from .handler import connect_setting_changed as connect_setting_changed  # apps.ready
from .handler import reset_cache as reset_cache

__all__ = [
    "ActionKind",
    "BackendHandler",
    "BasePaymentBackend",
    "PaymentAction",
    "ProviderUpdate",
    "RefundResult",
    "RefundStatus",
    "UpdateKind",
    "WebhookDelivery",
    "all_backends",
    "available_backends",
    "backend_label",
    "backends",
    "get_backend",
]
