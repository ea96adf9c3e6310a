"""Shared helpers for the admin tests: URLs, messages, and what a form page sends."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from django_carepay.models import Invoice, Payment


def url(model: str, view: str, *args: object) -> str:
    return reverse(f"admin:carepay_{model}_{view}", args=args)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client: Client, model: str, action: str, objects: Iterable[Any],
               **data: Any) -> Any:
    """Post an admin action from the change list (``post="yes"`` confirms it) and
    follow the redirect back to it, where the action's messages are shown."""
    return client.post(url(model, "changelist"), {
        "action": action, "_selected_action": [obj.pk for obj in objects], "index": 0,
        **data,
    }, follow=True)


def form_as_shown(client: Client, page: str, **typed: Any) -> dict[str, Any]:
    """What the browser sends from the form on ``page`` (record payment, refund): the
    fields as the page shows them, the hidden invoice ``version`` among them, with
    ``typed`` (what staff typed) over them."""
    response = client.get(page)
    assert response.status_code == 200
    form = response.context["form"]
    shown = {name: form[name].value() for name in form.fields}
    return {**{name: value for name, value in shown.items() if value is not None}, **typed}


def awaiting_approval(invoice: Invoice, amount: str = "80.00") -> Payment:
    """A submitted payment waiting for staff (as a bank transfer would be)."""
    payment = Payment(invoice=invoice, backend="cash", amount=Decimal(amount),
                      currency=invoice.currency, status=Payment.Status.AWAITING_APPROVAL,
                      reference="BT-2026-001")
    payment.save()
    return payment
