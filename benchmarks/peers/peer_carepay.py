"""django-carepay (this checkout): its webhook view (``billing/webhooks/card/``), for
card payments it started itself (issued invoices, pending payments with their
PaymentIntent ids), synchronous processing: each event is verified, stored, credited
in the ledger and settles its invoice."""

from __future__ import annotations

import uuid
from decimal import Decimal

from signing import stripe_event, stripe_signature

SECRET = "whsec_peer_benchmark"
APPS = ["django_carepay"]
PROCESSING = "sync"
SETTINGS: dict[str, object] = {
    "CAREPAY": {
        "BACKENDS": {"card": {
            "BACKEND": "django_carepay.backends.stripe.StripeBackend",
            "OPTIONS": {"secret_key": "sk_test_peer_benchmark",
                        "publishable_key": "pk_test_peer_benchmark",
                        "webhook_secret": SECRET}}},
        "DEFAULT_CURRENCY": "GBP", "SITE_URL": "https://clinic.example.com",
        "WEBHOOK_PROCESSING": PROCESSING,
        # The peers send no e-mail: carepay's receipt (with its PDF) and the staff's
        # notice, queued on commit, are measured by benchmarks/emails.py, not here.
        "EMAILS": {"payment_receipt": False, "staff_payment_received": False},
    },
}


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("billing/", include("django_carepay.urls"))]
    raise AttributeError(name)


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    from django_carepay import services
    from django_carepay.models import Payment

    invoices = [services.issue_invoice(services.create_invoice(
        lines=[{"description": "Consultation", "unit_price": "80.00"}])) for _ in range(n)]
    payments = Payment.objects.bulk_create(
        Payment(invoice=invoice, backend="card", amount=Decimal("80.00"), currency="GBP",
                provider_reference=f"pi_{uuid.uuid4().hex[:24]}") for invoice in invoices)
    events = []
    for payment in payments:
        body = stripe_event("payment_intent.succeeded", {
            "id": payment.provider_reference, "object": "payment_intent",
            "amount": 8000, "amount_received": 8000, "currency": "gbp",
            "status": "succeeded", "latest_charge": f"ch_{uuid.uuid4().hex[:24]}",
            "metadata": {"carepay_payment": str(payment.public_id)},
        })
        events.append(("/billing/webhooks/card/", body,
                       {"HTTP_STRIPE_SIGNATURE": stripe_signature(body, SECRET)}))
    return events


def credited() -> int:
    from django_carepay.models import Transaction

    return Transaction.objects.charges().count()


def double_credits() -> int:
    from django.db.models import Count

    from django_carepay.models import Transaction

    return Transaction.objects.charges().values("payment").annotate(n=Count("pk")) \
        .filter(n__gt=1).count()
