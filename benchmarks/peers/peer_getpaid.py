"""django-getpaid 3.2 with python-getpaid-stripe: its callback view
(``getpaid/callback/<payment pk>/``), for payments it prepared itself (status
``prepared``, the PaymentIntent id as ``external_id``, our id in its metadata)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from signing import stripe_event, stripe_signature

SECRET = "whsec_peer_benchmark"
APPS = ["getpaid", "getpaid_shop"]
SETTINGS = {
    "GETPAID_ORDER_MODEL": "getpaid_shop.Order",
    "GETPAID_BACKEND_SETTINGS": {"stripe": {
        "api_key": "sk_test_peer_benchmark", "webhook_secret": SECRET}},
}


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("getpaid/", include("getpaid.urls"))]
    raise AttributeError(name)


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    from getpaid.models import Payment
    from getpaid_shop.models import Order

    orders = Order.objects.bulk_create(Order() for _ in range(n))
    payments = Payment.objects.bulk_create(
        Payment(order=order, amount_required=Decimal("80.00"), currency="GBP",
                backend="stripe", status="prepared",
                external_id=f"pi_{uuid.uuid4().hex[:24]}") for order in orders)
    events = []
    for payment in payments:
        body = stripe_event("payment_intent.succeeded", {
            "id": payment.external_id, "object": "payment_intent", "amount": 8000,
            "amount_received": 8000, "currency": "gbp", "status": "succeeded",
            "metadata": {"payment_id": str(payment.pk)},
        })
        signature = stripe_signature(body, SECRET)
        events.append((f"/getpaid/callback/{payment.pk}/", body,
                       {"HTTP_STRIPE_SIGNATURE": signature}))
    return events


def credited() -> int:
    from getpaid.models import Payment

    return Payment.objects.filter(status="paid").count()


def double_credits() -> int:
    from django.db.models import F
    from getpaid.models import Payment

    return Payment.objects.filter(amount_paid__gt=F("amount_required")).count()
