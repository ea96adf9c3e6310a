"""Payment backends, configured by alias in ``CAREPAY["BACKENDS"]``.

Loaded lazily (on first use), one cached instance per alias; the cache is reset
when the ``CAREPAY`` setting changes (``override_settings`` in tests).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from ..conf import carepay_settings
from ..exceptions import UnknownBackend
from .base import BasePaymentBackend, PaymentAction, ProviderUpdate, RefundResult, UpdateKind

if TYPE_CHECKING:
    from ..models import Invoice

__all__ = [
    "BasePaymentBackend",
    "PaymentAction",
    "ProviderUpdate",
    "RefundResult",
    "UpdateKind",
    "all_backends",
    "available_backends",
    "get_backend",
]

_cache: dict[str, BasePaymentBackend] = {}
_lock = threading.Lock()


def _build(alias: str, params: dict[str, Any]) -> BasePaymentBackend:
    path = params.get("BACKEND")
    if not path:
        raise ImproperlyConfigured(
            f"CAREPAY['BACKENDS'][{alias!r}] has no 'BACKEND'; give the dotted path of a "
            "backend class, e.g. 'django_carepay.backends.manual.ManualBackend'."
        )
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"CAREPAY['BACKENDS'][{alias!r}]['BACKEND'] = {path!r} could not be imported: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, BasePaymentBackend)):
        raise ImproperlyConfigured(
            f"CAREPAY['BACKENDS'][{alias!r}]['BACKEND'] = {path!r} is not a "
            "BasePaymentBackend subclass."
        )
    return cls(alias, params)


def get_backend(alias: str) -> BasePaymentBackend:
    """The backend configured under ``alias``; raises :class:`UnknownBackend`."""
    backend = _cache.get(alias)
    if backend is not None:
        return backend
    configured = carepay_settings.BACKENDS
    if alias not in configured:
        known = ", ".join(sorted(configured)) or "none are configured"
        raise UnknownBackend(
            f"No payment backend is configured as {alias!r} in CAREPAY['BACKENDS'] "
            f"(configured: {known})."
        )
    with _lock:
        if alias not in _cache:
            _cache[alias] = _build(alias, configured[alias])
        return _cache[alias]


def all_backends() -> list[BasePaymentBackend]:
    """Every configured backend, in the order of ``CAREPAY["BACKENDS"]``."""
    return [get_backend(alias) for alias in carepay_settings.BACKENDS]


def available_backends(invoice: Invoice, country: str | None = None, *,
                       staff: bool = False) -> list[BasePaymentBackend]:
    """The backends a payer may choose for ``invoice`` (``staff=True``: those staff
    may record), filtered by currency, country and capability, then by the adapter's
    :meth:`~django_carepay.adapter.DefaultCarepayAdapter.is_backend_available`."""
    from ..adapter import get_adapter

    adapter = get_adapter()
    chosen = []
    for backend in all_backends():
        if staff:
            if not backend.staff_entry:
                continue
        elif not (backend.online or backend.requires_approval):
            continue
        if backend.is_available(invoice, country=country) and \
                adapter.is_backend_available(invoice, backend, country):
            chosen.append(backend)
    return chosen


def reset_cache(**kwargs: Any) -> None:
    """Forget every built backend (on ``setting_changed`` for ``CAREPAY``)."""
    if kwargs.get("setting", "CAREPAY") == "CAREPAY":
        with _lock:
            _cache.clear()
        from ..adapter import _load

        _load.cache_clear()


def connect_setting_changed() -> None:
    setting_changed.connect(reset_cache, dispatch_uid="django_carepay.backends.reset_cache")
