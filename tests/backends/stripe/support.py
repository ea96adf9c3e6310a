"""localstripe for the Stripe tests: the server, a handle on it, and signed deliveries.

``tests/backends/stripe/conftest.py`` and ``tests/browser/conftest.py`` import the fixtures
defined here. What localstripe lacks and how these helpers work around it is in
``tests/backends/stripe/README.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.backends.stripe import StripeBackend, StripeCheckoutBackend
from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent

LAUNCHER = Path(__file__).with_name("localstripe_server.py")

ALIAS = "card"
# Distinctive values, so a test can prove that none of them leaked into a page or a log.
SECRET_KEY = "sk_test_carepay_9f3c2a7e51d84b06"
PUBLISHABLE_KEY = "pk_test_carepay_4e1b8d2c7a9f3e50"
WEBHOOK_SECRET = "whsec_carepay_6d0a4f9b2e7c1358"

CARD_OK = "4242424242424242"
#: Declined when charged (4000000000000002 is declined only when attached to a
#: customer by localstripe, unlike Stripe).
CARD_DECLINED = "4000000000000341"
DECLINE_MESSAGE = "Your card was declined."


# -- the server ----------------------------------------------------------------------

def start_localstripe(timeout: float = 10.0) -> tuple[subprocess.Popen[str], str]:
    """Start the launcher on a free loopback port; return the process and its URL."""
    proc = subprocess.Popen([sys.executable, str(LAUNCHER), "0"], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the port, printed once the socket listens
        if not line.strip().isdigit():
            raise RuntimeError(f"localstripe did not start (printed {line!r})")
        url = f"http://127.0.0.1:{int(line)}"
        deadline = time.monotonic() + timeout
        while True:  # the socket listens before the app is ready to answer
            try:
                if requests.get(f"{url}/js.stripe.com/v3/", timeout=1).ok:
                    return proc, url
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("localstripe did not answer in time")
            time.sleep(0.05)
    except BaseException:
        stop_localstripe(proc)
        raise


def stop_localstripe(proc: subprocess.Popen[str]) -> None:
    proc.terminate()  # aiohttp's run_app shuts down cleanly on SIGTERM
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class LocalStripe:
    """A running localstripe, seen from the tests (with Stripe's secret key)."""

    url: str

    @cached_property
    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.url},
                                   max_network_retries=0)

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.request(method, f"{self.url}{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        """Forget every object, the request log and the idempotency keys."""
        self._call("DELETE", "/_config/data")

    def get(self, path: str) -> dict[str, Any]:
        """An object exactly as localstripe serves it, e.g. ``get("payment_intents/pi_…")``."""
        response = self._call("GET", f"/v1/{path}",
                              headers={"Authorization": f"Bearer {SECRET_KEY}"})
        data: dict[str, Any] = response.json()
        return data

    def api_requests(self, method: str | None = None, path: str = "") -> list[dict[str, Any]]:
        """The API requests localstripe received (oldest first), optionally filtered."""
        log: list[dict[str, Any]] = self._call("GET", "/_config/requests").json()
        return [r for r in log
                if (method is None or r["method"] == method) and r["path"].startswith(path)]

    def forget_idempotency_keys(self) -> None:
        """What Stripe does 24 hours after a key was first used."""
        self._call("DELETE", "/_config/idempotency")

    def register_webhook(self, name: str, url: str, *, events: list[str] | None = None) -> None:
        """Have localstripe deliver its own events to ``url`` (``events=[]`` silences)."""
        body: dict[str, Any] = {"url": url, "secret": WEBHOOK_SECRET}
        if events is not None:
            body["events"] = events
        self._call("POST", f"/_config/webhooks/{name}", json=body)

    # -- the payer's side ---------------------------------------------------------------
    def pay(self, intent_id: str, number: str = CARD_OK) -> Any:
        """Pay an intent with a test card: attach it, then confirm.

        localstripe refuses ``confirm(payment_method=…)`` (500), so the card is set by
        an update first. A decline raises :class:`stripe.CardError`.
        """
        method = self.client.v1.payment_methods.create({"type": "card", "card": {
            "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
        self.client.v1.payment_intents.update(intent_id, {"payment_method": method.id})
        return self.client.v1.payment_intents.confirm(intent_id)

    def confirm_as_browser(self, intent_id: str, number: str = CARD_OK) -> requests.Response:
        """Confirm as Stripe.js does (publishable key + client secret), which, unlike
        :meth:`pay`, may retry an intent after a decline; returns the raw response."""
        secret = self.get(f"payment_intents/{intent_id}")["client_secret"]
        return requests.post(
            f"{self.url}/_config/standin/payment_intents/{intent_id}/confirm", timeout=10,
            data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": secret, "card": {
                "number": number, "exp_month": "12", "exp_year": "30", "cvc": "123"}}),
        )

    def pay_checkout(self, session_id: str, number: str = CARD_OK) -> requests.Response:
        """Pay a Checkout Session on (the stand-in of) Stripe's hosted page with a test
        card; a decline answers 402 and leaves the session open."""
        return requests.post(
            f"{self.url}/_config/standin/checkout/{session_id}/pay", timeout=10,
            data=json.dumps({"card": {"number": number, "exp_month": "12",
                                      "exp_year": "30", "cvc": "123"}}),
        )

    def set_refund_status(self, refund_id: str, status: str) -> None:
        """Make a refund fail (or anything else) as Stripe can and localstripe cannot.

        localstripe lets a JSON update set any attribute of an object.
        """
        self._call("POST", f"/v1/refunds/{refund_id}", json={"status": status},
                   headers={"Authorization": f"Bearer {SECRET_KEY}"})

    def dashboard_refund(self, charge_id: str, amount: int) -> dict[str, Any]:
        """A refund made in Stripe's dashboard: of the charge, without our metadata.

        Stripe names the charge's PaymentIntent on every refund of it; localstripe
        only when the refund was created with ``payment_intent=``, so it is made so
        (of the intent's latest charge: this one).
        """
        charge = self.get(f"charges/{charge_id}")
        refund = self.client.v1.refunds.create(
            {"payment_intent": charge["payment_intent"], "amount": amount})
        return self.get(f"refunds/{refund.id}")


# -- configuration --------------------------------------------------------------------

def card_backend_options(url: str, **overrides: Any) -> dict[str, Any]:
    """The card backend's OPTIONS against localstripe at ``url``.

    ``payment_method_types`` is left unset, so the production default
    (``automatic_payment_methods``) is what the tests exercise; the launcher
    accepts it although localstripe itself does not.
    """
    options: dict[str, Any] = {
        "label": "Card",
        "secret_key": SECRET_KEY,
        "publishable_key": PUBLISHABLE_KEY,
        "webhook_secret": WEBHOOK_SECRET,
        "api_base": url,
        "js_url": f"{url}/js.stripe.com/standin/v3/",
        "max_network_retries": 0,  # a refused call fails at once, without back-off sleeps
    }
    options.update(overrides)
    return {k: v for k, v in options.items() if v is not None}


def carepay_with_card(url: str, **overrides: Any) -> dict[str, Any]:
    """``settings.CAREPAY`` with the card backend added (the others kept)."""
    carepay: dict[str, Any] = dict(settings.CAREPAY)
    carepay["BACKENDS"] = {
        **carepay["BACKENDS"],
        ALIAS: {"BACKEND": "django_carepay.backends.stripe.StripeBackend",
                "OPTIONS": card_backend_options(url, **overrides)},
    }
    return carepay


CHECKOUT_ALIAS = "checkout"
#: The Connect endpoint's signing secret (a second secret on the same URL).
CONNECT_WEBHOOK_SECRET = "whsec_carepay_connect_51a7c9e3d2b8"


def carepay_with_checkout(url: str, *, card: bool = False, **overrides: Any) -> dict[str, Any]:
    """``settings.CAREPAY`` with the Checkout backend added (and the card backend, on
    the same Stripe account, with ``card=True``)."""
    carepay = carepay_with_card(url) if card else dict(settings.CAREPAY)
    options = card_backend_options(url, label="Stripe Checkout",
                                   webhook_secret=[WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET],
                                   publishable_key=None, js_url=None)
    options.update(overrides)
    carepay["BACKENDS"] = {
        **carepay["BACKENDS"],
        CHECKOUT_ALIAS: {"BACKEND": "django_carepay.backends.stripe.StripeCheckoutBackend",
                         "OPTIONS": {k: v for k, v in options.items() if v is not None}},
    }
    return carepay


# -- webhooks -----------------------------------------------------------------------

def webhook_url() -> str:
    return reverse("carepay:webhook", args=[ALIAS])


def make_event(event_type: str, obj: Mapping[str, Any], *, event_id: str | None = None,
               account: str | None = None) -> dict[str, Any]:
    """A Stripe event around ``obj`` (normally an object fetched from localstripe)."""
    event: dict[str, Any] = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": dict(obj)},
    }
    if account:
        event["account"] = account
    return event


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, as Stripe computes it."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret,
                                                             timestamp=timestamp)


def deliver(client: Client, event: Mapping[str, Any] | str, *, alias: str = ALIAS,
            **signing: Any) -> Any:
    """POST a signed delivery of ``event`` (a dict, or a raw body) to the webhook view
    of ``alias`` (the card backend's by default)."""
    payload = event if isinstance(event, str) else json.dumps(event)
    return client.post(reverse("carepay:webhook", args=[alias]), data=payload,
                       content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign(payload, **signing))


# -- fixtures (imported by the conftests) ----------------------------------------------

@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """One localstripe on 127.0.0.1:<free port> for the whole session."""
    proc, url = start_localstripe()
    try:
        yield url
    finally:
        stop_localstripe(proc)


@pytest.fixture
def localstripe(localstripe_url: str) -> LocalStripe:
    """localstripe with no objects, no logged requests and no idempotency keys."""
    server = LocalStripe(localstripe_url)
    server.reset()
    return server


@pytest.fixture
def card_backend(localstripe: LocalStripe) -> Iterator[StripeBackend]:
    """``CAREPAY["BACKENDS"]["card"]``: the Stripe backend, talking to localstripe."""
    with override_settings(CAREPAY=carepay_with_card(localstripe.url)):
        backend = get_backend(ALIAS)
        assert isinstance(backend, StripeBackend)
        yield backend


@pytest.fixture
def checkout_backend(localstripe: LocalStripe) -> Iterator[StripeCheckoutBackend]:
    """``CAREPAY["BACKENDS"]["checkout"]``: Stripe Checkout against localstripe's
    Checkout stand-in, with the card backend on the same account."""
    with override_settings(CAREPAY=carepay_with_checkout(localstripe.url, card=True)):
        backend = get_backend(CHECKOUT_ALIAS)
        assert isinstance(backend, StripeCheckoutBackend)
        yield backend


# -- payments ----------------------------------------------------------------------

def paid_payment(server: LocalStripe, invoice: Invoice,
                 amount: object | None = None) -> Payment:
    """Start paying ``invoice`` by card, pay it through the Payment Element stand-in,
    and record it as the return page would (ask Stripe, apply what it says)."""
    payment = services.start_payment(invoice, backend=ALIAS, amount=amount)
    server.confirm_as_browser(payment.provider_reference).raise_for_status()
    update = get_backend(ALIAS).sync(payment)
    assert update is not None
    services.apply_provider_update(update)
    payment.refresh_from_db()
    return payment


def ledger(invoice: Invoice) -> list[tuple[str, Any, str | None]]:
    """The invoice's ledger rows as ``(kind, amount, provider_reference)``, oldest first."""
    return list(Transaction.objects.filter(invoice=invoice).order_by("pk")
                .values_list("kind", "amount", "provider_reference"))


# -- malformed deliveries (test_webhook_input, _timestamps, _fuzz_findings) ---------------

@pytest.fixture
def server_client() -> Client:
    """A test client that answers 500 as a server does, instead of raising."""
    return Client(raise_request_exception=False)


@pytest.fixture
def card_payment(invoice: Invoice) -> Payment:
    """A pending card payment of the £80 invoice, its PaymentIntent at localstripe."""
    return services.start_payment(invoice, backend=ALIAS)


@pytest.fixture
def paid_intent(localstripe: LocalStripe, card_payment: Payment) -> dict[str, Any]:
    """``card_payment``'s PaymentIntent paid at localstripe, as a succeeded event shows
    it (localstripe leaves out ``amount_received``; Stripe sends 8000)."""
    localstripe.pay(card_payment.provider_reference)
    return {**localstripe.get(f"payment_intents/{card_payment.provider_reference}"),
            "amount_received": 8000}


def assert_refused(response: Any, caplog: Any, reason: str) -> None:
    """The delivery was refused with 400 and ``reason`` (answered and logged), and
    nothing was stored."""
    assert response.status_code == 400, response.content
    assert reason in response.content.decode()
    assert reason in caplog.text
    assert not WebhookEvent.objects.exists()

