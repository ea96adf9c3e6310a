"""django-payments 4.1 with its Stripe v3 provider (Checkout Sessions): its static
webhook URL (``payments/process/stripe/``), for payments it prepared itself (a token,
status ``waiting``); Stripe's event for them is ``checkout.session.completed`` with
the payment's token as ``client_reference_id`` (this provider reads no
``payment_intent.*`` events). It keeps no ledger, so a second credit cannot show:
"double" counts payments whose captured amount exceeds their total."""

from __future__ import annotations

import uuid
from decimal import Decimal

from signing import stripe_event, stripe_signature

SECRET = "whsec_peer_benchmark"
APPS = ["payments", "payments_shop"]
SETTINGS = {
    "PAYMENT_MODEL": "payments_shop.Payment",
    "PAYMENT_HOST": "localhost:8000",
    "PAYMENT_VARIANTS": {"stripe": ("payments.stripe.StripeProviderV3", {
        "api_key": "sk_test_peer_benchmark", "endpoint_secret": SECRET,
        "secure_endpoint": True})},
}


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("payments/", include("payments.urls"))]
    raise AttributeError(name)


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    from payments_shop.models import Payment

    payments = Payment.objects.bulk_create(
        Payment(variant="stripe", status="waiting", currency="GBP",
                total=Decimal("80.00"), token=str(uuid.uuid4())) for _ in range(n))
    events = []
    for payment in payments:
        body = stripe_event("checkout.session.completed", {
            "id": f"cs_{uuid.uuid4().hex[:24]}", "object": "checkout.session",
            "client_reference_id": payment.token, "status": "complete",
            "payment_status": "paid", "amount_total": 8000, "currency": "gbp",
            "payment_intent": f"pi_{uuid.uuid4().hex[:24]}",
        })
        events.append(("/payments/process/stripe/", body,
                       {"HTTP_STRIPE_SIGNATURE": stripe_signature(body, SECRET)}))
    return events


def credited() -> int:
    from payments_shop.models import Payment

    return Payment.objects.filter(status="confirmed").count()


def double_credits() -> int:
    from django.db.models import F
    from payments_shop.models import Payment

    return Payment.objects.filter(captured_amount__gt=F("total")).count()
