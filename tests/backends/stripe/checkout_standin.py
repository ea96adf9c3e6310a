"""A test-only stand-in for Stripe Checkout Sessions, mounted on localstripe.

localstripe has no Checkout at all (``/v1/checkout/sessions`` is a 404). This adds the
part of it carepay's ``StripeCheckoutBackend`` uses, shaped as Stripe documents the
Checkout Session object, on top of localstripe's real PaymentIntents and charges:

* ``POST /v1/checkout/sessions`` (``mode=payment``, ``line_items`` with ``price_data``,
  ``success_url``, ``cancel_url``, ``metadata``, ``client_reference_id``,
  ``customer_email``, ``expires_at``, ``payment_intent_data``); the total is the sum of
  the line items;
* ``GET /v1/checkout/sessions/<id>`` (``expand[]=payment_intent`` embeds the intent);
* ``GET /v1/checkout/sessions?payment_intent=<id>`` (``expand[]=data.payment_intent``);
* ``POST /v1/checkout/sessions/<id>/expire`` (only an open session; else 400);
* ``POST /_config/standin/checkout/<id>/pay`` ``{"card": {...}}``: what the payer does on
  Stripe's hosted page. As Stripe does today, the PaymentIntent is made then (with
  ``payment_intent_data``), so an open session names none; a declined card leaves the
  session open for another card (402), a good one completes it (``paid``).

Not here (the tests build these as signed events from a fetched session): delayed
payment methods (``payment_status: unpaid`` on a complete session and the
``async_payment_*`` events), sessions expiring by time, and any Checkout event at all
(localstripe emits only ``payment_intent.succeeded`` / ``.payment_failed``).
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent, PaymentMethod, random_id
from localstripe.server import get_post_data, json_response

#: Session id -> the session's own fields (the PaymentIntent is read live).
SESSIONS: dict[str, dict[str, Any]] = {}


def _int(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserError(400, f"Invalid integer: {field}") from None
    if number < 0:
        raise UserError(400, f"Invalid integer: {field}")
    return number


def _export(session: dict[str, Any], *, expand: bool = False) -> dict[str, Any]:
    intent = PaymentIntent._api_retrieve(session["_intent"]) if session["_intent"] else None
    status, payment_status = "open", "unpaid"
    if session["_expired"]:
        status = "expired"
    elif intent is not None and intent.status == "succeeded":
        status, payment_status = "complete", "paid"
    elif intent is not None and intent.status == "processing":
        status = "complete"
    exported = {k: v for k, v in session.items() if not k.startswith("_")}
    exported.update(status=status, payment_status=payment_status)
    if intent is None:
        exported["payment_intent"] = None
    else:
        exported["payment_intent"] = intent._export() if expand else intent.id
    return exported


def _session(request: web.Request) -> dict[str, Any]:
    session = SESSIONS.get(request.match_info["id"])
    if session is None:
        raise UserError(404, f"No such checkout.session: {request.match_info['id']}")
    return session


async def create_session(request: web.Request) -> web.Response:
    data = dict(await get_post_data(request) or {})
    if data.get("mode") != "payment":
        raise UserError(400, "Only mode=payment is implemented by the stand-in")
    for url in ("success_url", "cancel_url"):
        if not str(data.get(url, "")).startswith(("http://", "https://")):
            raise UserError(400, f"Missing or invalid {url}")
    items = data.get("line_items")
    if not isinstance(items, list) or not items:
        raise UserError(400, "line_items: at least one is required")
    currencies, total = set(), 0
    for index, item in enumerate(items):
        price = item.get("price_data") or {}
        currencies.add(str(price.get("currency", "")).lower())
        if not (price.get("product_data") or {}).get("name"):
            raise UserError(400, f"line_items[{index}][price_data][product_data][name]")
        total += _int(price.get("unit_amount"), "unit_amount") * _int(
            item.get("quantity", 1), "quantity")
    if len(currencies) != 1 or "" in currencies:
        raise UserError(400, "All line items must have one currency")
    session_id = "cs_test_" + random_id(24)
    base = f"{request.scheme}://{request.host}"
    SESSIONS[session_id] = {
        "id": session_id, "object": "checkout.session", "mode": "payment",
        "amount_subtotal": total, "amount_total": total, "currency": currencies.pop(),
        "client_reference_id": data.get("client_reference_id"),
        "customer_email": data.get("customer_email"),
        "created": int(time.time()),
        "expires_at": _int(data["expires_at"], "expires_at") if data.get("expires_at")
        else int(time.time()) + 24 * 3600,
        "livemode": False, "metadata": data.get("metadata") or {},
        "success_url": data["success_url"], "cancel_url": data["cancel_url"],
        "url": f"{base}/_config/standin/checkout/{session_id}",
        "_line_items": items, "_intent": None, "_expired": False,
        "_intent_data": data.get("payment_intent_data") or {},
    }
    return json_response(_export(SESSIONS[session_id]))


async def retrieve_session(request: web.Request) -> web.Response:
    expand = any(value == "payment_intent" for key, value in request.query.items()
                 if key.startswith("expand"))
    return json_response(_export(_session(request), expand=expand))


async def list_sessions(request: web.Request) -> web.Response:
    """``GET /v1/checkout/sessions?payment_intent=pi_…``: the session that intent pays."""
    expand = any(value == "data.payment_intent" for key, value in request.query.items()
                 if key.startswith("expand"))
    intent = request.query.get("payment_intent")
    found = [_export(s, expand=expand) for s in SESSIONS.values()
             if intent is None or s["_intent"] == intent]
    return json_response({"object": "list", "url": "/v1/checkout/sessions",
                          "has_more": False, "data": found[:int(request.query.get("limit", 10))]})


async def expire_session(request: web.Request) -> web.Response:
    session = _session(request)
    if _export(session)["status"] != "open":
        raise UserError(400, "Only Checkout Sessions with a status of open can be expired")
    session["_expired"] = True
    return json_response(_export(session))


async def pay_session(request: web.Request) -> web.Response:
    """The payer pays on the hosted page with a test card."""
    session = _session(request)
    if _export(session)["status"] != "open":
        raise UserError(400, "This Checkout Session is no longer open")
    data = dict(await get_post_data(request, remove_auth=False) or {})
    method = PaymentMethod(type="card", card=data.get("card"))
    if session["_intent"] is None:
        extra = dict(session["_intent_data"])
        intent = PaymentIntent._api_create(
            amount=session["amount_total"], currency=session["currency"],
            metadata=extra.pop("metadata", None), **extra)
        session["_intent"] = intent.id
    intent = PaymentIntent._api_retrieve(session["_intent"])
    intent.payment_method = method.id
    intent.latest_charge = None  # another card after a decline, as Stripe allows
    intent._confirm(on_failure_now=intent._report_failure)  # 402 on a decline
    return json_response(_export(session))


def install(app: web.Application) -> None:
    app.router.add_post("/v1/checkout/sessions", create_session)
    app.router.add_get("/v1/checkout/sessions", list_sessions)
    app.router.add_get("/v1/checkout/sessions/{id}", retrieve_session)
    app.router.add_post("/v1/checkout/sessions/{id}/expire", expire_session)
    app.router.add_post("/_config/standin/checkout/{id}/pay", pay_session)
