"""Provider faults: carepay's Stripe backend behind a fault-injecting proxy.

    .venv/bin/python reliability/faults.py [--database-url URL] [--only FAULT] [--op OP]
                                           [--show]

Starts localstripe and reliability/faultproxy.py in front of it (real TCP), points
carepay's card backend at the proxy (``api_base``; the production defaults of two SDK
retries, a 1 s read timeout), and on a throw-away PostgreSQL database (named
``carepay_faults_run``) runs each fault (500, 429, connection dropped before or
after forwarding, an answer slower than the timeout) on each operation (start a card
payment, refund in full, refund in part, cancel, and start again for another amount
with the fault on cancelling the stale attempt or on creating the new one), in two
modes: ``once`` (the fault hits the first request only, so the SDK's own retry may get
through) and ``always`` (every request until the proxy is healed).

Each scenario checks that the caller got a success or a carepay error with a plain
message; that after an error carepay changed nothing (payments, ledger, invoice
totals); then, with the proxy healed, retries the same operation through carepay and
checks carepay against localstripe: one PaymentIntent per payment and no orphan, the
ledger's refunds exactly localstripe's, one Idempotency-Key per operation however often
it was sent. Prints one row per scenario and exits 1 on any break.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(HERE)]

from _fault_checks import (  # noqa: E402
    carepay_state,
    clear_error,
    consistency_breaks,
    key_breaks,
    stripe_breaks,
)
from faultproxy import FAULTS, FaultProxyClient, start_faultproxy, stop_faultproxy  # noqa: E402

from benchmarks._django import a_test_database  # noqa: E402

TEST_DATABASE = "carepay_faults_run"
READ_TIMEOUT = 1.0
SLOW_DELAY = 2.5

#: operation -> (method, path glob of its mutating request)
OPERATIONS: dict[str, tuple[str, str]] = {
    "start": ("POST", "/v1/payment_intents"),
    "refund_full": ("POST", "/v1/refunds"),
    "refund_partial": ("POST", "/v1/refunds"),
    "cancel": ("POST", "/v1/payment_intents/*/cancel"),
    # Start again for another amount: the stale pending attempt is cancelled at
    # Stripe first (faulted here), then a new intent is made (faulted in the next).
    "restart": ("POST", "/v1/payment_intents/*/cancel"),
    "restart_create": ("POST", "/v1/payment_intents"),
    # A refund made in Stripe's dashboard, told by its refund.updated webhook: carepay
    # asks Stripe for the refund as it is now (faulted) before recording it.
    "refund_webhook": ("GET", "/v1/refunds/*"),
}


class Answered5xx(Exception):
    """The webhook view answered 5xx: the provider will deliver the event again."""
MODES = ("once", "always")


@dataclass
class Row:
    fault: str
    mode: str
    operation: str
    first: str = ""
    sent: str = ""
    after: str = ""
    retry: str = ""
    stripe: str = ""
    breaks: list[str] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/carepay_faults"))
    parser.add_argument("--only", choices=FAULTS, action="append",
                        help="run these faults only (repeatable)")
    parser.add_argument("--op", choices=OPERATIONS, action="append",
                        help="run these operations only (repeatable)")
    parser.add_argument("--show", action="store_true", help="print each caller's error")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    import logging

    # The warnings (each refused call, no payer e-mail) would drown the table.
    logging.getLogger("django_carepay").setLevel(logging.ERROR)
    from tests.backends.stripe.support import LocalStripe, start_localstripe, stop_localstripe

    ls_proc, ls_url = start_localstripe()
    px_proc, px_url = start_faultproxy(ls_url)
    try:
        with a_test_database(TEST_DATABASE):
            rows = run(LocalStripe(ls_url), FaultProxyClient(px_url), args.only or FAULTS,
                       args.op or list(OPERATIONS), show=args.show)
    finally:
        stop_faultproxy(px_proc)
        stop_localstripe(ls_proc)
    print_table(rows)
    broken = sum(len(r.breaks) for r in rows)
    print(f"\n{len(rows)} scenarios, {broken} breaks")
    for row in rows:
        for item in row.breaks:
            print(f"BREAK {row.fault}/{row.mode}/{row.operation}: {item}")
    sys.exit(1 if broken else 0)


@contextmanager
def card_backend_at(proxy_url: str) -> Iterator[None]:
    """The card backend against the proxy, with the SDK's production retry count."""
    from django.conf import settings
    from django.test import override_settings

    from tests.backends.stripe.support import ALIAS, card_backend_options

    options = card_backend_options(proxy_url, max_network_retries=2, timeout=READ_TIMEOUT,
                                   connect_timeout=READ_TIMEOUT)
    carepay: dict[str, Any] = dict(settings.CAREPAY)
    carepay["BACKENDS"] = {**carepay["BACKENDS"], ALIAS: {
        "BACKEND": "django_carepay.backends.stripe.StripeBackend", "OPTIONS": options}}
    with override_settings(CAREPAY=carepay):
        yield


def run(server: Any, proxy: FaultProxyClient, faults: Any, operations: list[str], *,
        show: bool) -> list[Row]:
    rows = []
    with card_backend_at(proxy.url):
        for fault in faults:
            for mode in MODES:
                for operation in operations:
                    row = scenario(server, proxy, fault, mode, operation)
                    rows.append(row)
                    if show:
                        print(f"{fault}/{mode}/{operation}: {row.first} | {row.retry}",
                              flush=True)
    return rows


def prepare(server: Any, operation: str) -> tuple[Any, Callable[[], Any]]:
    """A fresh £80 invoice in the state the operation needs, and the operation."""
    from django_carepay import services
    from tests.backends.stripe.support import ALIAS, make_event, paid_payment

    invoice = services.issue_invoice(services.create_invoice(
        lines=[{"description": "Consultation", "unit_price": "80.00"}]))
    if operation == "start":
        return invoice, lambda: services.start_payment(invoice, backend=ALIAS)
    if operation == "cancel":
        pending = services.start_payment(invoice, backend=ALIAS)
        return invoice, lambda: services.cancel_payment(pending)
    if operation.startswith("restart"):
        services.start_payment(invoice, backend=ALIAS)
        return invoice, lambda: services.start_payment(invoice, backend=ALIAS,
                                                       amount="50.00")
    paid = paid_payment(server, invoice)
    if operation == "refund_webhook":
        made = server.client.v1.refunds.create({"payment_intent": paid.provider_reference,
                                                "amount": 3000})
        event = make_event("refund.updated", server.get(f"refunds/{made.id}"))
        return invoice, lambda: deliver_event(event)
    amount = None if operation == "refund_full" else "30.00"
    return invoice, lambda: services.refund_payment(paid, amount=amount)


def webhook_statuses() -> list[str]:
    """The status of the scenario's delivery (the last one stored)."""
    from django_carepay.models import WebhookEvent

    return [str(s) for s in WebhookEvent.objects.order_by("-pk")
            .values_list("status", flat=True)[:1]]


def deliver_event(event: dict[str, Any]) -> None:
    """Post a signed delivery to the card backend's webhook view, as Stripe does."""
    from django.test import Client

    from tests.backends.stripe.support import deliver

    response = deliver(Client(raise_request_exception=False), event)
    if response.status_code >= 500:
        raise Answered5xx(f"HTTP {response.status_code} (the event is stored as failed; "
                          "Stripe delivers it again)")
    if response.status_code != 200:
        raise AssertionError(f"HTTP {response.status_code}: {response.content[:200]!r}")


def expected(invoice: Any, operation: str) -> list[str]:
    """What a successful operation leaves in carepay (beyond the checks against
    localstripe): breaks if it is not so."""
    from decimal import Decimal

    from django_carepay.models import Payment, Transaction

    payments = list(Payment.objects.filter(invoice=invoice))
    if operation.startswith("restart"):
        attempts = sorted((str(p.status), f"{p.amount:.2f}", bool(p.provider_reference))
                          for p in payments)
        wanted = [("cancelled", "80.00", True), ("pending", "50.00", True)]
        return [] if attempts == wanted else [f"after {operation}: {attempts}"]
    if operation in ("start", "cancel"):
        status = "pending" if operation == "start" else "cancelled"
        got = [(str(p.status), bool(p.provider_reference)) for p in payments]
        return [] if got == [(status, True)] else [f"after {operation}: {got}"]
    refunds = list(Transaction.objects.filter(invoice=invoice, kind="refund")
                   .values_list("amount", flat=True))
    want_amount = Decimal("80" if operation == "refund_full" else "30")  # partial, webhook
    [payment] = payments
    if refunds != [want_amount] or payment.amount_refunded != want_amount:
        return [f"after {operation}: ledger refunds {refunds}, payment refunded "
                f"{payment.amount_refunded}"]
    return []


def stripe_did(server: Any, operation: str) -> str:
    """What the failed call did at localstripe all the same ('' if nothing)."""
    if operation == "start":
        made = len(server.get("payment_intents?limit=100")["data"])
        return f"{made} intent made" if made else ""
    if operation in ("cancel", "restart", "restart_create"):
        intents = server.get("payment_intents?limit=100")["data"]
        done = [f"{len(intents) - 1} intent made"] if len(intents) > 1 else []
        if any(i["status"] == "canceled" for i in intents):
            done.insert(0, "cancelled")
        return ", ".join(done)
    made = len(server.get("refunds?limit=100")["data"])
    return f"{made} refund made" if made else ""


def attempt(op: Callable[[], Any]) -> tuple[bool, str, list[str]]:
    """Run ``op``; (succeeded, what the caller got, breaks)."""
    try:
        op()
    except Answered5xx as exc:
        return False, str(exc), []
    except Exception as exc:
        problem = clear_error(exc)
        return False, f"{type(exc).__name__}: {exc}", [problem] if problem else []
    return True, "ok", []


def scenario(server: Any, proxy: FaultProxyClient, fault: str, mode: str,
             operation: str) -> Row:
    row = Row(fault, mode, operation)
    method, path = OPERATIONS[operation]
    server.reset()
    proxy.reset()
    invoice, op = prepare(server, operation)
    before = carepay_state(invoice)
    base_requests = len(server.api_requests())
    base_log = len(proxy.state()["log"])
    proxy.add(method, path, fault, times=1 if mode == "once" else None, delay=SLOW_DELAY)
    started = time.monotonic()
    ok, row.first, breaks = attempt(op)
    seconds = time.monotonic() - started
    [rule] = proxy.state()["rules"]
    proxy.heal()
    at_stripe = sum(r["method"] == method for r in server.api_requests()[base_requests:])
    row.sent = f"{rule['seen']} sent, {at_stripe} reached Stripe, {seconds:.1f} s"
    if ok:
        row.first = "ok" if rule["seen"] == 1 else f"ok after the SDK's retry ({rule['seen']})"
        breaks += expected(invoice, operation)
        row.after = "done"
    else:
        row.first = shorten(row.first)
        if mode == "once" and fault != "http_429":
            breaks.append("the SDK did not get through on its own retry")
        after = carepay_state(invoice)
        if after != before:
            breaks.append(f"half-done: {before} -> {after}")
        done = stripe_did(server, operation)
        row.after = "unchanged" + (f" ({done} at Stripe, not yet here)" if done else "")
        if operation == "refund_webhook":
            events = webhook_statuses()
            row.after += f"; event {'/'.join(events)}"
            breaks += [] if events == ["failed"] else [f"stored events {events}"]
        ok_again, retried, more = attempt(op)
        breaks += more
        row.retry = "ok" if ok_again else shorten(retried)
        if ok_again:
            breaks += expected(invoice, operation)
            if operation == "refund_webhook" and webhook_statuses() != ["processed"]:
                breaks.append(f"stored event after the redelivery: {webhook_statuses()}")
        else:
            breaks.append(f"the retry with the provider healthy failed: {retried}")
    more_breaks, held = stripe_breaks(server, invoice)
    keys_broken, keys = key_breaks(proxy.state()["log"][base_log:],
                                   server.api_requests()[base_requests:], path)
    breaks += more_breaks + keys_broken + consistency_breaks(invoice)
    row.stripe = (f"{held['intents']} intent, {held['refunds']} refund "
                  f"({held['refunded']}); {keys}")
    row.breaks = breaks
    return row


def shorten(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def print_table(rows: list[Row]) -> None:
    head = ("fault", "mode", "operation", "caller got", "requests", "carepay after",
            "retry", "localstripe", "breaks")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = (r.fault, r.mode, r.operation, r.first, r.sent, r.after, r.retry or "—",
                 r.stripe, str(len(r.breaks)))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
