"""The demo provider's own page: its "Pay" button (mounted by DummyBackend.get_urls)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..conf import carepay_settings
from ..models import Payment
from ..views.payer import can_view
from .dummy import DummyBackend
from .handler import get_backend


@require_POST
def confirm(request: HttpRequest, public_id: object, alias: str) -> HttpResponse:
    """The demo provider's "Pay" button (DummyBackend only): pay, then come back.

    Mounted under ``backends/<alias>/`` where a DummyBackend is configured; a payment
    of another backend (or of one no longer configured as a DummyBackend) is 404.
    """
    payment = get_object_or_404(Payment.objects.select_related("invoice"), public_id=public_id)
    backend = get_backend(payment.backend) if payment.backend in carepay_settings.BACKENDS \
        else None
    if payment.backend != alias or not isinstance(backend, DummyBackend) \
            or not can_view(request, payment.invoice):
        raise Http404("No such payment.")
    backend.confirm(payment)
    return redirect("carepay:payment_return", public_id=payment.public_id)
