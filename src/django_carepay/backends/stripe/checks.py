"""The Stripe backend's system checks: keys present, of one mode, right for DEBUG."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core import checks

from .client import stripe

if TYPE_CHECKING:
    from .backend import StripeBackend


def key_mode(key: str) -> str:
    """``"test"`` or ``"live"`` for a Stripe key, ``""`` when it says neither."""
    for mode in ("test", "live"):
        if key.startswith((f"sk_{mode}_", f"rk_{mode}_", f"pk_{mode}_")):
            return mode
    return ""


def check_options(backend: StripeBackend) -> list[checks.CheckMessage]:
    """``carepay.E010``-``E015`` and ``W011``, beside the common checks."""
    messages: list[checks.CheckMessage] = []
    where = f"CAREPAY['BACKENDS'][{backend.alias!r}]['OPTIONS']"
    if stripe is None:
        messages.append(checks.Error(
            "The Stripe backend needs the stripe package.",
            hint="pip install 'django-carepay[stripe]'", id="carepay.E010",
        ))
    ids = {"secret_key": "carepay.E011", "publishable_key": "carepay.E012",
           "webhook_secret": "carepay.E013"}
    for name in backend.required_options:
        check_id = ids[name]
        if not backend.options.get(name):
            messages.append(checks.Error(
                f"{where}[{name!r}] is missing or empty.",
                hint="Set it from the environment; find it in Stripe's dashboard "
                     "(Developers → API keys / Webhooks).",
                id=check_id,
            ))
    secret = backend.options.get("webhook_secret")
    if secret and not (isinstance(secret, str) or (
            isinstance(secret, list | tuple) and all(isinstance(s, str) and s for s in secret))):
        messages.append(checks.Error(
            f"{where}['webhook_secret'] must be a signing secret (whsec_…) or a list of "
            f"them, got {type(secret).__name__}.",
            hint="One secret per Stripe webhook endpoint posting to this URL, e.g. "
                 "[env('STRIPE_WEBHOOK_SECRET'), env('STRIPE_CONNECT_WEBHOOK_SECRET')].",
            id="carepay.E015",
        ))
    secret_mode = key_mode(str(backend.options.get("secret_key") or ""))
    public_mode = key_mode(backend.publishable_key)
    if secret_mode and public_mode and secret_mode != public_mode:
        messages.append(checks.Error(
            f"{where}: the secret key is a {secret_mode} key but the publishable key is "
            f"a {public_mode} key.", id="carepay.E014",
        ))
    if secret_mode == "live" and settings.DEBUG:
        messages.append(checks.Warning(
            f"{where}['secret_key'] is a live key while DEBUG is True.",
            hint="Use test keys (sk_test_…) in development.", id="carepay.W011",
        ))
    return messages


#: Where Stripe's API lives; anything else (localstripe, a mock) takes no money.
STRIPE_API_BASE = "https://api.stripe.com"


def check_deploy(backend: StripeBackend) -> list[checks.CheckMessage]:
    """``carepay.W010``: a test key while DEBUG is False; ``W012``: ``api_base``
    pointing somewhere other than Stripe (a test server left configured)."""
    messages: list[checks.CheckMessage] = []
    where = f"CAREPAY['BACKENDS'][{backend.alias!r}]['OPTIONS']"
    if key_mode(str(backend.options.get("secret_key") or "")) == "test" \
            and not settings.DEBUG:
        messages.append(checks.Warning(
            f"{where}['secret_key'] is a test key while DEBUG is False: no real money will "
            "be taken.",
            hint="Use live keys (sk_live_…) in production.", id="carepay.W010",
        ))
    api_base = str(backend.options.get("api_base") or "")
    if api_base and api_base.rstrip("/") != STRIPE_API_BASE:
        messages.append(checks.Warning(
            f"{where}['api_base'] is {api_base!r}, not Stripe's API: payments go to that "
            "server instead.",
            hint="Remove 'api_base' (it is for tests against a local Stripe-compatible "
                 "server).", id="carepay.W012",
        ))
    return messages
