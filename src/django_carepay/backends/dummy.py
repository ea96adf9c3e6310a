"""A provider that always answers as configured — for tests and the demo only.

Never configure it in production: it confirms payments without any provider.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core import checks
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.crypto import get_random_string
from django.views.decorators.http import require_POST

from ..conf import carepay_settings
from ..links import can_view
from ..models import Payment
from ..types import (
    ActionKind,
    PaymentAction,
    ProviderUpdate,
    RefundResult,
    RefundStatus,
    UpdateKind,
)
from .base import BasePaymentBackend

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver


class DummyBackend(BasePaymentBackend):
    """An "online" backend whose provider is this module, keeping its state in
    Django's cache.

    Its pay page has a "Pay" button that stands for paying at the provider
    (:meth:`confirm`, through its own view ``carepay:dummy_pay``, mounted by
    :meth:`get_urls` only where a DummyBackend is configured); until then
    :meth:`sync` reports nothing, like a real provider whose payer has not paid yet.
    Options: ``outcome`` (``"succeeded"`` default, ``"failed"``, ``"processing"``):
    what the payer's payment comes to; ``label``, ``currencies``, ``countries``.
    """

    online = True
    supports_refunds = True
    supports_partial_refunds = True
    option_names = frozenset({"outcome"})

    def start(self, payment: Payment, request: HttpRequest | None) -> PaymentAction:
        reference = payment.provider_reference or f"dummy_{get_random_string(16)}"
        return PaymentAction(
            kind=ActionKind.RENDER, template="carepay/backends/dummy.html",
            context={"payment": payment}, provider_reference=reference,
        )

    def _key(self, payment: Payment) -> str:
        return f"carepay-dummy:{self.alias}:{payment.provider_reference or payment.public_id}"

    def confirm(self, payment: Payment) -> None:
        """The payer pays at the (pretend) provider; the configured outcome sticks."""
        cache.set(self._key(payment), self.options.get("outcome", "succeeded"), 24 * 3600)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        """The provider's "Pay" button: ``carepay:dummy_pay`` (a POST)."""
        return [path("payments/<uuid:public_id>/pay/", confirm, name="dummy_pay")]

    def sync(self, payment: Payment) -> ProviderUpdate | None:
        stored = cache.get(self._key(payment))
        if stored is None:
            return None  # the payer has not paid at the provider yet
        outcome = UpdateKind(stored)
        return ProviderUpdate(
            backend=self.alias, kind=outcome, provider_reference=payment.provider_reference,
            payment_public_id=str(payment.public_id),
            amount=payment.amount if outcome == UpdateKind.SUCCEEDED else None,
            currency=payment.currency,
            transaction_reference=f"dummy_ch_{payment.public_id.hex}"
            if outcome == UpdateKind.SUCCEEDED else "",
            failure_code="card_declined" if outcome == UpdateKind.FAILED else "",
            failure_message="Your card was declined." if outcome == UpdateKind.FAILED else "",
        )

    def refund(self, payment: Payment, amount: Decimal, *, idempotency_key: str) -> RefundResult:
        return RefundResult(
            status=RefundStatus.SUCCEEDED, amount=amount, currency=payment.currency,
            provider_reference=f"dummy_re_{uuid.uuid5(uuid.NAMESPACE_OID, idempotency_key).hex}",
        )

    def check(self, **kwargs: object) -> list[checks.CheckMessage]:
        messages = super().check(**kwargs)
        outcome = self.options.get("outcome", "succeeded")
        if outcome not in {"succeeded", "failed", "processing"}:
            messages.append(checks.Error(
                f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS']['outcome'] is {outcome!r}; "
                "use 'succeeded', 'failed' or 'processing'.",
                id="carepay.E004",
            ))
        return messages


# -- the provider's own page (mounted by DummyBackend.get_urls) ---------------------

@require_POST
def confirm(request: HttpRequest, public_id: object, alias: str) -> HttpResponse:
    """The demo provider's "Pay" button (DummyBackend only): pay, then come back.

    Mounted under ``backends/<alias>/`` where a DummyBackend is configured; a payment
    of another backend (or of one no longer configured as a DummyBackend) is 404.
    """
    payment = get_object_or_404(Payment.objects.select_related("invoice"), public_id=public_id)
    from .handler import get_backend  # the handler builds this module's backends

    backend = get_backend(payment.backend) if payment.backend in carepay_settings.BACKENDS \
        else None
    if payment.backend != alias or not isinstance(backend, DummyBackend) \
            or not can_view(request, payment.invoice):
        raise Http404("No such payment.")
    backend.confirm(payment)
    return redirect("carepay:payment_return", public_id=payment.public_id)
