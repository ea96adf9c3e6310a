"""Builds the backends of ``CAREPAY["BACKENDS"]`` by alias, caches them, mounts their URLs.

Loaded lazily (on first use), one cached instance per alias; the cache is reset
when the ``CAREPAY`` setting changes (``override_settings`` in tests), as Django's
own connection handlers are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.urls import include, path
from django.utils.connection import BaseConnectionHandler
from django.utils.module_loading import import_string

from ..conf import carepay_settings
from ..exceptions import UnknownBackend
from .base import BasePaymentBackend

if TYPE_CHECKING:
    from django.urls import URLResolver

    from ..models import Invoice


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


class BackendHandler(BaseConnectionHandler):
    """``backends[alias]`` is the backend configured under ``alias``; iterating gives
    the aliases in the order of ``CAREPAY["BACKENDS"]``; :meth:`all` every backend.

    Unlike Django's connection handlers, one instance per alias serves every thread
    (a backend holds no per-request state, and a test's patch of a backend's client
    must reach the worker threads of the race tests), and the instances live in a
    dict, so an alias such as ``__class__`` is just an unknown alias.
    """

    exception_class = UnknownBackend

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self._backends: dict[str, BasePaymentBackend] = {}
        self._lock = threading.Lock()

    def configure_settings(self, settings: dict[str, Any] | None) -> dict[str, Any]:
        return carepay_settings.BACKENDS if settings is None else settings

    def create_connection(self, alias: str) -> BasePaymentBackend:
        return _build(alias, self.settings[alias])

    def __getitem__(self, alias: str) -> BasePaymentBackend:
        backend = self._backends.get(alias)
        if backend is not None:
            return backend
        configured = self.settings
        if alias not in configured:
            known = ", ".join(sorted(configured)) or "none are configured"
            raise UnknownBackend(
                f"No payment backend is configured as {alias!r} in CAREPAY['BACKENDS'] "
                f"(configured: {known})."
            )
        with self._lock:
            if alias not in self._backends:
                self._backends[alias] = self.create_connection(alias)
            return self._backends[alias]

    def __setitem__(self, alias: str, backend: BasePaymentBackend) -> None:
        self._backends[alias] = backend

    def __delitem__(self, alias: str) -> None:
        del self._backends[alias]

    def __iter__(self) -> Iterator[str]:
        return iter(self.settings)

    def all(self, initialized_only: bool = False) -> list[BasePaymentBackend]:
        """Every configured backend, in the order of ``CAREPAY["BACKENDS"]``."""
        return [self[alias] for alias in self
                if not initialized_only or alias in self._backends]

    def close_all(self) -> None:
        """Backends hold no connections to close."""

    def reset(self) -> None:
        """Forget the settings read and every backend built."""
        with self._lock:
            self.__dict__.pop("settings", None)
            self._settings = None
            self._backends.clear()


#: The configured backends (``backends["card"]``, ``backends.all()``).
backends = BackendHandler()


def get_backend(alias: str) -> BasePaymentBackend:
    """The backend configured under ``alias``; raises :class:`UnknownBackend`."""
    return backends[alias]


def all_backends() -> list[BasePaymentBackend]:
    """Every configured backend, in the order of ``CAREPAY["BACKENDS"]``."""
    return backends.all()


def backend_label(alias: str) -> str:
    """The label people know a payment method by; the alias itself for a method since
    removed from ``CAREPAY["BACKENDS"]`` (its old payments still name it)."""
    try:
        return get_backend(alias).label
    except UnknownBackend:
        return alias


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


def backend_urlpatterns() -> list[URLResolver]:
    """The configured backends' own views (:meth:`~BasePaymentBackend.get_urls`), under
    ``backends/<alias>/``, for ``django_carepay.urls``.

    Read when the URLconf is loaded, once per backend class: the alias is a URL
    parameter, so the names reverse for any alias of that class, and the views check
    that ``alias`` is (still) configured as their backend, answering 404 otherwise,
    so ``override_settings`` is honoured. A backend that cannot be built is left out:
    the system checks report it (``carepay.E001``/``E002``).
    """
    mounted, seen = [], set()
    for alias in backends:
        try:
            backend = backends[alias]
        except (ImproperlyConfigured, AttributeError, TypeError):
            continue
        if type(backend) in seen:
            continue
        seen.add(type(backend))
        urls = backend.get_urls()
        if urls:
            mounted.append(path("backends/<slug:alias>/", include(urls)))
    return mounted


def reset_cache(**kwargs: Any) -> None:
    """Forget every built backend (on ``setting_changed`` for ``CAREPAY``)."""
    if kwargs.get("setting", "CAREPAY") == "CAREPAY":
        backends.reset()
        from ..adapter import _load

        _load.cache_clear()


def connect_setting_changed() -> None:
    setting_changed.connect(reset_cache, dispatch_uid="django_carepay.backends.reset_cache")
