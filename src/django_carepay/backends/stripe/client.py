"""The Stripe client of one backend: built from its options, calls bounded and translated.

Each backend instance has its own :class:`stripe.StripeClient` (never the global
``stripe.api_key``); a Stripe error becomes a :class:`ProviderError` whose message the
payer may see, with the detail logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...exceptions import MissingDependency, ProviderError
from ...logs import log_extra

try:
    import stripe
except ImportError:  # pragma: no cover - exercised only without the extra
    stripe = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ...models import Payment

logger = logging.getLogger("django_carepay.stripe")

#: Provider calls are made under the invoice's row lock, so they are bounded (seconds):
#: the SDK's own default read timeout is 80 s. See docs/architecture.md.
DEFAULT_CONNECT_TIMEOUT = 3
DEFAULT_TIMEOUT = 10
#: What the payer is told when Stripe cannot be reached (the detail is logged).
UNREACHABLE_MESSAGE = "We could not reach the card processor; try again in a minute."


def build_client(options: Mapping[str, Any]) -> Any:
    """A :class:`stripe.StripeClient` for a backend's ``OPTIONS``."""
    if stripe is None:
        raise MissingDependency(
            "The Stripe backend needs the stripe package: "
            "pip install 'django-carepay[stripe]'."
        )
    kwargs: dict[str, Any] = {
        "max_network_retries": int(options.get("max_network_retries", 2)),
        # (connect, read): never the SDK's 80 s while we hold the invoice lock.
        "http_client": stripe.RequestsClient(timeout=(
            options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT),
            options.get("timeout", DEFAULT_TIMEOUT),
        )),
    }
    if options.get("api_base"):
        kwargs["base_addresses"] = {"api": options["api_base"]}
    if options.get("api_version"):
        kwargs["stripe_version"] = options["api_version"]
    return stripe.StripeClient(options.get("secret_key") or "", **kwargs)


def request_options(payment: Payment, idempotency_key: str = "", *,
                    account: str = "") -> dict[str, Any]:
    """Per-request options: the payment's connected account and an idempotency key."""
    options: dict[str, Any] = {}
    account = account or (payment.metadata or {}).get("stripe_account", "")
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def call(alias: str, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, a Stripe error raised as :class:`ProviderError`."""
    try:
        return func(*args, **kwargs)
    except stripe.APIConnectionError as exc:
        # Unreachable or too slow: the payer gets a plain message, the logs the
        # detail (the SDK's text names Stripe's host and the network error).
        logger.warning("Could not reach Stripe to %s: %s", what, exc, extra=log_extra())
        raise ProviderError(UNREACHABLE_MESSAGE, code="unreachable",
                            backend=alias) from exc
    except stripe.StripeError as exc:
        message = getattr(exc, "user_message", None) or str(exc)
        code = getattr(exc, "code", None) or ""
        logger.warning("Stripe refused to %s: %s (%s)", what, message, code,
                       extra=log_extra())
        # Stripe stores 400/402/404 answers under the idempotency key and replays
        # them; 409 (a concurrent request), 429 and 5xx are not refusals.
        refused = getattr(exc, "http_status", None) in (400, 402, 404)
        raise ProviderError(f"Stripe could not {what}: {message}", code=code,
                            backend=alias, refused=refused) from exc
