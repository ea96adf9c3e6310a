"""Not a peer: the floor of the harness. A webhook view that does only what any
correct receiver must (check the ``Stripe-Signature`` over the body with stripe's
own ``WebhookSignature.verify_header``, parse the JSON) and touches no database,
behind the same middleware and Django's test client as every peer.

Its events/s is the most any receiver can reach in this harness: what is left of an
event's time for a peer's own work is its time per event minus the floor's. Nothing
is credited; duplicates are not told apart.
"""

from __future__ import annotations

import json

from signing import stripe_event, stripe_signature

SECRET = "whsec_peer_benchmark"
APPS: list[str] = []
SETTINGS: dict[str, object] = {}


def verified(request):  # type: ignore[no-untyped-def]
    """``(body, event)`` of a delivery whose signature verifies, else ``None``: what
    every receiver here does first, with stripe's own ``verify_header``."""
    import stripe

    body = request.body.decode()
    try:
        stripe.WebhookSignature.verify_header(
            body, request.headers.get("Stripe-Signature", ""), SECRET, 300)
    except stripe.SignatureVerificationError:
        return None
    return body, json.loads(body)


def receive(request):  # type: ignore[no-untyped-def]
    from django.http import HttpResponse, HttpResponseBadRequest

    if verified(request) is None:
        return HttpResponseBadRequest("refused")
    return HttpResponse("ok", content_type="text/plain")


def urls(view):  # type: ignore[no-untyped-def]
    """The receiver's one URL, as every floor serves it."""
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_POST

    return [path("webhooks/stripe/", csrf_exempt(require_POST(view)))]


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        return urls(receive)
    raise AttributeError(name)


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    events = []
    for i in range(n):
        body = stripe_event("payment_intent.succeeded", {
            "id": f"pi_floor{i:020d}", "object": "payment_intent", "amount": 8000,
            "amount_received": 8000, "currency": "gbp", "status": "succeeded",
        })
        events.append(("/webhooks/stripe/", body,
                       {"HTTP_STRIPE_SIGNATURE": stripe_signature(body, SECRET)}))
    return events


def credited() -> int:
    return 0


def double_credits() -> int:
    return 0
