"""What Stripe holds, for ``carepay_reconcile``: the PaymentIntents and refunds created
in a period, listed page by page (100 a page) for the platform and each connected
account, normalized into :class:`~django_carepay.types.ProviderRecord`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...types import ProviderRecord
from .intents import update_from_intent
from .objects import object_id, plain, text
from .webhooks import update_from_refund

if TYPE_CHECKING:
    from .backend import StripeBackend

PAGE_SIZE = 100


def _pages(backend: StripeBackend, what: str, list_call: Any, params: dict[str, Any],
           options: dict[str, Any], on_call: Callable[[], None]) -> Iterator[dict[str, Any]]:
    """Every object of a Stripe list, following ``has_more`` with ``starting_after``."""
    params = {**params, "limit": PAGE_SIZE}
    while True:
        page = backend.call(what, list_call, params=params, options=options)
        on_call()
        data = [plain(obj) for obj in page.data]
        yield from data
        if not page.has_more or not data:
            return
        params = {**params, "starting_after": text(data[-1], "id")}


def list_records(backend: StripeBackend, *, since: datetime, until: datetime | None,
                 accounts: Iterable[str] = (), on_call: Callable[[], None] = lambda: None
                 ) -> Iterator[ProviderRecord]:
    """The PaymentIntents (charges) and refunds Stripe created in ``[since, until)``."""
    created = {"gte": int(since.timestamp())}
    if until is not None:
        created["lt"] = int(until.timestamp())
    for account in ["", *sorted(set(accounts) - {""})]:
        options = {"stripe_account": account} if account else {}
        for intent in _pages(backend, "list the payments",
                             backend.client.v1.payment_intents.list,
                             {"created": created}, options, on_call):
            yield ProviderRecord(kind="charge", reference=text(intent, "id"),
                                 payment_reference=text(intent, "id"),
                                 status=text(intent, "status"),
                                 update=update_from_intent(backend.alias, intent),
                                 account=account)
        for refund in _pages(backend, "list the refunds", backend.client.v1.refunds.list,
                             {"created": created}, options, on_call):
            yield refund_record(backend, refund, account)


def refund_record(backend: StripeBackend, refund: Any, account: str = "") -> ProviderRecord:
    """One refund as a :class:`ProviderRecord`."""
    refund = plain(refund)
    intent_id = object_id(refund.get("payment_intent"), "payment_intent")
    return ProviderRecord(kind="refund", reference=text(refund, "id"),
                          payment_reference=intent_id, status=text(refund, "status"),
                          update=update_from_refund(backend.alias, refund, "", intent_id),
                          account=account)


def fetch_record(backend: StripeBackend, kind: str, reference: str, account: str = ""
                 ) -> ProviderRecord | None:
    """One charge (PaymentIntent) or refund by its id; ``None`` when Stripe has none."""
    from ...exceptions import ProviderError

    options = {"stripe_account": account} if account else {}
    try:
        if kind == "charge":
            intent = plain(backend.call("look up the payment",
                                        backend.client.v1.payment_intents.retrieve,
                                        reference, options=options))
            return ProviderRecord(kind="charge", reference=reference,
                                  payment_reference=reference,
                                  status=text(intent, "status"),
                                  update=update_from_intent(backend.alias, intent),
                                  account=account)
        refund = backend.call("look up the refund", backend.client.v1.refunds.retrieve,
                              reference, options=options)
        return refund_record(backend, refund, account)
    except ProviderError as exc:
        cause = exc.__cause__
        if exc.code == "resource_missing" or getattr(cause, "http_status", None) == 404:
            return None
        raise
