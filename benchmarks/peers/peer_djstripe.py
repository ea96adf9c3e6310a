"""dj-stripe 2.11: its webhook URL per endpoint (``djstripe/webhook/<uuid>/``), for
PaymentIntents that exist at a Stripe it can reach: a localstripe server on 127.0.0.1.

dj-stripe does not trust an event's object: for ``payment_intent.succeeded`` it stores
the event, then re-fetches the PaymentIntent from Stripe's API (``GET
/v1/payment_intents/<id>``, "event data is not guaranteed to be in the correct API
version") and syncs what Stripe answers into its table, inside the database transaction
it opened for the event. That fetch is part of its design, so it is part of what is
measured here: nothing of dj-stripe is patched. Its API base is this run's localstripe
(dj-stripe's own ``STRIPE_API_HOST`` setting), started when this module is imported, with
the repository's .venv (which has localstripe, a test dependency; another interpreter can
be named by ``PEER_LOCALSTRIPE_PYTHON``) through ``localstripe_server.py``, and stopped
when the process exits. On a first delivery dj-stripe makes two such requests: the
PaymentIntent, then its PaymentMethod (not in its table yet), which it syncs too.
Against the real Stripe each is an internet round trip (tens to hundreds of ms, with
the event's database transaction open meanwhile); a loopback localstripe answers both in
about 3 ms (1.5 ms of it stripe-python's CPU, in this process), so these figures
flatter dj-stripe.

``prepare(n)``, outside the timed part: the Account, its secret APIKey (a key of
Stripe's shape, else dj-stripe asks Stripe for the account) and the WebhookEndpoint
(its signing secret and uuid) in dj-stripe's tables; then for each payment, at
localstripe through Stripe's API, a Customer and a PaymentIntent (8000 GBP), both
synced into dj-stripe's tables as dj-stripe syncs an object it is handed
(``sync_from_stripe_data``), so its table holds the intent as created
(``requires_payment_method``); then the intent is paid at localstripe (a test card's
PaymentMethod set on it, then confirmed, as the tests' ``LocalStripe.pay`` does, since
localstripe refuses ``confirm(payment_method=…)``), so localstripe holds it
``succeeded``. The event sent is ``payment_intent.succeeded`` around the intent as
localstripe then serves it. Only the webhook's re-fetch can move dj-stripe's copy to
``succeeded``: ``credited()`` counts the intents in its table with that status.
dj-stripe keeps no ledger: an intent is a row whose status is overwritten, so nothing
can be credited twice and ``double_credits()`` is 0 by construction. Every delivery
inserts a ``WebhookEventTrigger`` row (headers, body) before its transaction and updates
it after. A duplicate (the same event id again) answers 200: ``Event.process`` finds
the stored event and returns it, without calling Stripe or syncing anything.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from signing import stripe_event, stripe_signature

HERE = Path(__file__).resolve().parent
# reliability/_procs.py (stdlib only) stops a child server: SIGTERM, SIGKILL after 10 s.
sys.path.append(str(HERE.parent.parent / "reliability"))
from _procs import stop_process  # noqa: E402

LOCALSTRIPE_PYTHON = os.environ.get("PEER_LOCALSTRIPE_PYTHON") or str(
    HERE.parent.parent / ".venv" / "bin" / "python")
SECRET = "whsec_peer_benchmark"
#: Stripe's key shape (``^(pk|sk|rk)_(test|live)_[a-zA-Z0-9]{24,}$``): dj-stripe then
#: takes the key's account from its APIKey row instead of asking Stripe.
API_KEY = "sk_test_peerbenchmark0000000000000000"
ACCOUNT = "acct_peerbenchmark"
ENDPOINT = uuid.UUID("00000000-0000-4000-8000-000000000001")
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


def start_localstripe(timeout: float = 15.0) -> str:
    """localstripe on a free loopback port, stopped at exit; its URL."""
    proc = subprocess.Popen([LOCALSTRIPE_PYTHON, str(HERE / "localstripe_server.py"), "0"],
                            stdout=subprocess.PIPE, text=True)
    atexit.register(stop_process, proc)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the port, once the socket listens
    if not line.strip().isdigit():
        raise RuntimeError(f"localstripe did not start (printed {line!r})")
    url = f"http://127.0.0.1:{int(line)}"
    deadline = time.monotonic() + timeout
    while True:  # the socket listens before the app answers
        try:
            with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1):
                return url
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("localstripe did not answer in time") from None
            time.sleep(0.05)


URL = start_localstripe()
APPS = ["djstripe"]
SETTINGS = {"STRIPE_LIVE_MODE": False, "STRIPE_TEST_SECRET_KEY": API_KEY,
            "STRIPE_API_HOST": URL, "DJSTRIPE_FOREIGN_KEY_TO_FIELD": "id",
            "DJSTRIPE_WEBHOOK_VALIDATION": "verify_signature"}


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("djstripe/", include("djstripe.urls", namespace="djstripe"))]
    raise AttributeError(name)


def _at_localstripe(client: Any, i: int) -> tuple[Any, Any, Any]:
    """(customer, intent as created, intent as paid) for one payment, at localstripe."""
    customer = client.v1.customers.create({"email": f"patient{i}@example.com"})
    created = client.v1.payment_intents.create(
        {"amount": 8000, "currency": "gbp", "customer": customer.id})
    method = client.v1.payment_methods.create({"type": "card", "card": CARD})
    client.v1.payment_intents.update(created.id, {"payment_method": method.id})
    paid = client.v1.payment_intents.confirm(created.id)
    assert paid.status == "succeeded", paid.status
    return customer, created, paid


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    import stripe
    from djstripe.models import Account, APIKey, Customer, PaymentIntent, WebhookEndpoint

    account = Account.objects.create(id=ACCOUNT, livemode=False,
                                     stripe_data={"id": ACCOUNT, "object": "account"})
    APIKey.objects.create(secret=API_KEY, type="secret", livemode=False,
                          djstripe_owner_account=account)
    WebhookEndpoint.objects.create(
        id="we_peerbenchmark", livemode=False, djstripe_owner_account=account,
        secret=SECRET, djstripe_uuid=ENDPOINT, enabled_events=["*"], status="enabled",
        url=f"https://clinic.example.com/djstripe/webhook/{ENDPOINT}/")
    client = stripe.StripeClient(API_KEY, base_addresses={"api": URL},
                                 max_network_retries=0)
    with ThreadPoolExecutor(4) as pool:  # localstripe answers one at a time; this overlaps
        made = list(pool.map(lambda i: _at_localstripe(client, i), range(n)))
    events = []
    for customer, created, paid in made:
        Customer.sync_from_stripe_data(customer, api_key=API_KEY)
        PaymentIntent.sync_from_stripe_data(created, api_key=API_KEY)
        body = stripe_event("payment_intent.succeeded", paid.to_dict())
        events.append((f"/djstripe/webhook/{ENDPOINT}/", body,
                       {"HTTP_STRIPE_SIGNATURE": stripe_signature(body, SECRET)}))
    return events


def credited() -> int:
    from djstripe.models import PaymentIntent

    return PaymentIntent.objects.filter(stripe_data__status="succeeded").count()


def double_credits() -> int:
    return 0  # no ledger: an intent's status is overwritten, never added up
