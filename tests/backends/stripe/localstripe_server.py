"""Run localstripe for carepay's tests: loopback only, nothing on disk, plus test aids.

    python tests/backends/stripe/localstripe_server.py PORT    # PORT 0 (or none): the OS picks one

The first line printed on stdout is the port, once the socket listens; the session
fixture in ``tests/backends/stripe/support.py`` reads it. localstripe's own CLI binds every
interface (``::``) and pickles its whole store to /tmp/localstripe.pickle after each
write (shared by every instance on the machine); tests want neither.

On top of localstripe this adds, for tests only (see tests/backends/stripe/README.md):

* ``GET /js.stripe.com/standin/v3/`` serves ``stripe_standin.js``, a test-only stand-in
  for Stripe.js's Payment Element, and ``POST
  /_config/standin/payment_intents/<id>/confirm`` is the client-side confirm it calls
  (publishable key + client secret + card, as Stripe.js does);
* PaymentIntent parameters localstripe refuses with "400 Unexpected …"
  (``automatic_payment_methods``, ``application_fee_amount``, …) are accepted and
  echoed back;
* ``GET /_config/requests`` lists every API request received (method, path, params,
  ``Stripe-Account``, ``Idempotency-Key``, ``Stripe-Version``);
* responses are replayed by ``Idempotency-Key`` like Stripe does (localstripe ignores
  the header), and ``DELETE /_config/idempotency`` forgets the keys, as Stripe does
  after 24 hours.

* Checkout Sessions, which localstripe lacks: see ``checkout_standin.py``.

``DELETE /_config/data`` (localstripe's reset) also clears the request log, the keys
and the Checkout Sessions.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import checkout_standin  # beside this script (run as a script, its folder is on sys.path)
from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.resources import Charge, PaymentIntent, PaymentMethod, Refund
from localstripe.server import app, get_post_data, json_response

# Keep the store in memory only: no /tmp/localstripe.pickle written or read back.
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

STANDIN_JS = Path(__file__).with_name("stripe_standin.js")


# -- the Payment Element stand-in -----------------------------------------------------

async def standin_js(request: web.Request) -> web.Response:
    return web.Response(text=STANDIN_JS.read_text(), content_type="application/javascript")


async def standin_confirm(request: web.Request) -> web.Response:
    """Confirm an intent the way Stripe.js does from the browser.

    localstripe only lets a *secret* key attach a card and confirm, which a browser
    never holds; this checks the publishable key and the client secret instead.
    """
    data = await get_post_data(request, remove_auth=False) or {}
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    if not str(data.get("key", "")).startswith("pk_") \
            or data.get("client_secret") != intent.client_secret:
        raise UserError(401, "Unauthorized")
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        # Never a second charge on a succeeded or cancelled intent.
        raise UserError(400, f"PaymentIntent has status {intent.status}")
    method = PaymentMethod(type="card", card=data.get("card"))
    intent.payment_method = method.id
    # Stripe lets a declined intent be confirmed again with another card; localstripe
    # keeps the failed charge, which pins the intent to requires_payment_method.
    intent.latest_charge = None
    intent._confirm(on_failure_now=intent._report_failure)  # 402 card_declined on decline
    return json_response(intent._export())


# -- PaymentIntent parameters localstripe refuses ---------------------------------------

#: name -> conversion of the form-encoded value (None: kept as sent).
EXTRA_INTENT_PARAMS: dict[str, Any] = {
    "automatic_payment_methods": None, "description": None, "receipt_email": None,
    "statement_descriptor_suffix": None, "application_fee_amount": int,
    "on_behalf_of": None, "transfer_data": None,
}
_intent_init = PaymentIntent.__init__


def _intent_init_with_extras(self: PaymentIntent, **params: Any) -> None:
    extras = {name: params.pop(name, None) for name in EXTRA_INTENT_PARAMS}
    _intent_init(self, **params)
    for name, convert in EXTRA_INTENT_PARAMS.items():
        value = extras[name]
        setattr(self, name, convert(value) if convert and value is not None else value)


PaymentIntent.__init__ = _intent_init_with_extras


# -- list filters localstripe lacks ----------------------------------------------------

def _created_filter(created: Any) -> Any:
    """Stripe's ``created`` list filter (``{"gte": ts, "lt": ts}``) as a predicate."""
    bounds = {op: int(value) for op, value in (created or {}).items()}
    checks = {"gt": lambda c, v: c > v, "gte": lambda c, v: c >= v,
              "lt": lambda c, v: c < v, "lte": lambda c, v: c <= v}
    return lambda obj: all(checks[op](obj.created, v) for op, v in bounds.items())


def _listing_created(cls: Any) -> None:
    """Let ``cls``'s list take Stripe's ``created`` filter (reconciliation uses it)."""
    original = cls._api_list_all.__func__

    def list_all(klass: Any, url: Any, created: Any = None, **kwargs: Any) -> Any:
        li = original(klass, url, **kwargs)
        if created:
            keep = _created_filter(created)
            li._list = [obj for obj in li._list if keep(obj)]
        return li

    cls._api_list_all = classmethod(list_all)


_listing_created(PaymentIntent)
_listing_created(Refund)

_refund_init = Refund.__init__


def _refund_init_naming_its_intent(self: Refund, **params: Any) -> None:
    """Stripe names the charge's PaymentIntent on every refund of it; localstripe only
    when the refund was created with ``payment_intent=``."""
    _refund_init(self, **params)
    if not getattr(self, "payment_intent", None) and getattr(self, "charge", None):
        self.payment_intent = Charge._api_retrieve(self.charge).payment_intent


Refund.__init__ = _refund_init_naming_its_intent


# -- request log and idempotent replay ------------------------------------------------

REQUESTS: list[dict[str, Any]] = []
#: Idempotency-Key -> (status, body), like Stripe's 24-hour cache.
REPLAYS: dict[str, tuple[int, bytes]] = {}


@web.middleware
async def record_and_replay(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith(("/_config/", "/js.stripe.com/")):
        if request.method == "DELETE" and request.path == "/_config/data":
            REQUESTS.clear()
            REPLAYS.clear()
            checkout_standin.SESSIONS.clear()
        return await handler(request)
    if request.method == "POST":
        # An empty form body comes back as an (unserialisable) empty MultiDictProxy.
        params = dict(await get_post_data(request) or {})
    else:
        params = dict(request.query)
    REQUESTS.append({
        "method": request.method, "path": request.path, "params": params,
        "stripe_account": request.headers.get("Stripe-Account"),
        "idempotency_key": request.headers.get("Idempotency-Key"),
        "stripe_version": request.headers.get("Stripe-Version"),
    })
    key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
    if key and key in REPLAYS:
        status, body = REPLAYS[key]
        return web.Response(status=status, body=body, content_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
    response = await handler(request)
    # Stripe keeps the result once the endpoint ran (a success or a card decline), not
    # a 400 refused before it ran.
    if key and (response.status < 300 or response.status == 402):
        REPLAYS[key] = (response.status, response.body)
    return response


async def list_requests(request: web.Request) -> web.Response:
    return json_response(REQUESTS)


async def forget_idempotency_keys(request: web.Request) -> web.Response:
    REPLAYS.clear()
    return web.Response(status=204)


app.middlewares.insert(0, record_and_replay)
app.router.add_get("/_config/requests", list_requests)
app.router.add_delete("/_config/idempotency", forget_idempotency_keys)
app.router.add_get("/js.stripe.com/standin/v3/", standin_js)
app.router.add_post("/_config/standin/payment_intents/{id}/confirm", standin_confirm)
checkout_standin.install(app)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
