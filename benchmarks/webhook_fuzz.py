"""Malformed but validly signed Stripe deliveries against a real HTTP server.

    .venv/bin/python benchmarks/webhook_fuzz.py [--n 2000] [--invoices 40] [--seed 1]
                                                [--mode sync|task] [--database-url URL]
                                                [--test-database NAME]

Serves carepay (the test settings, a Stripe backend pointed at a local localstripe) with
Django's threaded WSGI server on a loopback port, on a throw-away PostgreSQL database,
and posts N signed deliveries: well-formed events for the invoices' real
PaymentIntents (succeeded, failed, processing, canceled, charge.refunded,
refund.updated, charge.refund.updated) with 0-3 random mutations each — junk values,
wrong types, ``NaN``, ``\\u0000``, deep nesting, over-long ids, missing fields. The loop
is bounded by N and talks to 127.0.0.1 only.

Reports the answers by status code and what must never happen: a 500 (the provider
would retry it forever), a 500 that left no stored event for staff, and money
credited by a delivery that was not a well-formed success for a known payment.
Exits non-zero if any of those happened.

``--mode task`` runs ``CAREPAY["WEBHOOK_PROCESSING"] = "task"`` with the database task
backend: the view only verifies and stores each delivery, then the task worker
(``db_worker --batch``) applies them all, and the same must hold after it: no 500, no
delivery the worker failed on (what would have been a 500), none left unprocessed,
and every charge credited by a stored well-formed success (in both modes each charge's
ledger note names the event that credited it, which is judged again).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _django import add_database_url, card_backend_on_a_test_database, setup

SECRET = "whsec_fuzz"
JUNK: list[Any] = ["abc", "", "8000", True, False, 80.5, 1e308, [], {}, [1, 2], {"a": 1},
                   None, -1, 0, 2**63, "١٢٣", "\u0000", "x" * 300, "NaN"]
#: Raw JSON literals Python's json accepts but PostgreSQL's jsonb refuses.
LITERALS = ["NaN", "Infinity", "-Infinity", "1e309"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", action="store_true",
                        help="print the deliveries that were answered 500 or credited")
    parser.add_argument("--mode", choices=["sync", "task"], default="sync",
                        help='CAREPAY["WEBHOOK_PROCESSING"]')
    parser.add_argument("--test-database", default=None,
                        help="the throw-away database's name (default: Django's test name)")
    add_database_url(parser)
    args = parser.parse_args()
    setup(args.database_url)
    import logging

    from django.conf import settings

    if not args.show:  # a line for each refused or flagged delivery would drown the report
        logging.getLogger("django_carepay").setLevel(logging.CRITICAL)

    from tests.backends.stripe.support import start_localstripe, stop_localstripe

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    proc, stripe_url = start_localstripe()
    try:
        with card_backend_on_a_test_database(
                test_database=args.test_database,
                secret_key="sk_test_fuzz", publishable_key="pk_test_fuzz",
                webhook_secret=SECRET, api_base=stripe_url, max_network_retries=0), \
                processing(args.mode):
            status = run(args.n, args.invoices, random.Random(args.seed), show=args.show,
                         task=args.mode == "task")
    finally:
        stop_localstripe(proc)
    sys.exit(status)


@contextmanager
def processing(mode: str) -> Iterator[None]:
    """``CAREPAY["WEBHOOK_PROCESSING"] = mode``; in task mode with the database task
    backend, so deliveries wait for :func:`run_worker`."""
    from django.conf import settings
    from django.test import override_settings

    if mode == "sync":
        yield
        return
    with override_settings(CAREPAY={**settings.CAREPAY, "WEBHOOK_PROCESSING": "task"},
                           TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        yield


def run_worker() -> float:
    """Apply every queued delivery (the database backend's worker, until the queue is
    empty); return the seconds it took."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0",
                 verbosity=0)
    return time.perf_counter() - started


def serve() -> str:
    """Serve carepay on a free loopback port in a daemon thread; return its URL."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def make_payments(count: int) -> list[Any]:
    """Open £80 invoices, each with a card payment started at localstripe."""
    from django_carepay import services

    payments = []
    for _ in range(count):
        invoice = services.issue_invoice(services.create_invoice(
            lines=[{"description": "Consultation", "unit_price": "80.00"}]))
        payments.append(services.start_payment(invoice, backend="card"))
    return payments


def base_event(payment: Any, kind: str) -> dict[str, Any]:
    intent: dict[str, Any] = {
        "id": payment.provider_reference, "object": "payment_intent", "amount": 8000,
        "amount_received": 8000, "currency": "gbp", "status": "succeeded",
        "latest_charge": f"ch_{uuid.uuid4().hex[:24]}",
        "metadata": {"carepay_payment": str(payment.public_id)},
    }
    obj: dict[str, Any]
    if kind.startswith("payment_intent."):
        obj = intent
        obj["status"] = {"payment_intent.succeeded": "succeeded",
                         "payment_intent.payment_failed": "requires_payment_method",
                         "payment_intent.processing": "processing",
                         "payment_intent.canceled": "canceled"}[kind]
        if kind != "payment_intent.succeeded":
            obj["amount_received"] = 0
    elif kind == "charge.refunded":
        obj = {"id": intent["latest_charge"], "object": "charge", "amount": 8000,
               "amount_refunded": 8000, "currency": "gbp", "refunded": True,
               "payment_intent": payment.provider_reference}
    else:  # refund.updated, charge.refund.updated
        obj = {"id": f"re_{uuid.uuid4().hex[:24]}", "object": "refund", "amount": 8000,
               "currency": "gbp", "status": "succeeded",
               "payment_intent": payment.provider_reference}
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind,
            "api_version": "2026-10-28.endive", "created": int(time.time()),
            "livemode": False, "data": {"object": obj}}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, (*prefix, key))
    return paths


def mutate(event: dict[str, Any], rng: random.Random) -> tuple[str, bool]:
    """Apply 0-3 mutations; return the body and whether it was mutated."""
    event = copy.deepcopy(event)
    count = rng.choice([0, 0, 1, 1, 2, 3])
    literal = None
    for _ in range(count):
        path = rng.choice(_paths(event))
        parent = event
        for key in path[:-1]:
            parent = parent[key]
        action = rng.random()
        if action < 0.55:
            parent[path[-1]] = rng.choice(JUNK)
        elif action < 0.65:
            del parent[path[-1]]
        elif action < 0.75:  # deeply nested JSON (Python's parser gives up at ~1000)
            depth = rng.choice([50, 5000])
            parent[path[-1]] = "__LITERAL__"
            literal = "[" * depth + "1" + "]" * depth
        elif action < 0.85:
            parent[path[-1]] = "__LITERAL__"
            literal = rng.choice(LITERALS)
        else:
            parent[path[-1]] = f"bad\u0000{rng.random()}"
        if not isinstance(event, dict) or "data" not in event:
            break
    body = json.dumps(event)
    if literal:
        body = body.replace('"__LITERAL__"', literal, 1)
    return body, count > 0


def well_formed_success(body: str) -> str | None:
    """The PaymentIntent a delivery may credit: a success with an id and an integer
    amount (a judge independent of carepay's parser)."""
    try:
        event = json.loads(body)
        obj = event["data"]["object"]
        # Without amount_received (localstripe's shape) the intent's amount is read.
        received = obj["amount_received"] if "amount_received" in obj else obj["amount"]
        if event["type"] == "payment_intent.succeeded" and obj["status"] == "succeeded" \
                and obj["currency"] == "gbp" and type(received) is int and received > 0 \
                and isinstance(obj["id"], str) and obj["id"]:
            return str(obj["id"])
    except (KeyError, TypeError, ValueError, RecursionError):
        pass
    return None


def run(n: int, invoice_count: int, rng: random.Random, *, show: bool = False,
        task: bool = False) -> int:
    import requests
    import stripe

    from django_carepay.models import Transaction, WebhookEvent

    payments = make_payments(invoice_count)
    url = serve() + "/billing/webhooks/card/"
    kinds = ["payment_intent.succeeded", "payment_intent.payment_failed",
             "payment_intent.processing", "payment_intent.canceled", "charge.refunded",
             "refund.updated", "charge.refund.updated", "customer.created"]
    codes: Counter[int] = Counter()
    errors_without_row = wrongly = 0
    charges = Transaction.objects.filter(kind="charge")
    credited_before = charges.count()
    started = time.perf_counter()
    for _ in range(n):
        body, _mutated = mutate(base_event(rng.choice(payments), rng.choice(kinds)), rng)
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
        response = requests.post(url, data=body.encode(), timeout=30, headers={
            "Content-Type": "application/json", "Stripe-Signature": header})
        codes[response.status_code] += 1
        if response.status_code >= 500:
            try:
                event_id = json.loads(body).get("id")
            except (ValueError, RecursionError, AttributeError):
                event_id = None
            if not (isinstance(event_id, str) and "\x00" not in event_id
                    and WebhookEvent.objects.filter(event_id=event_id[:255]).exists()):
                errors_without_row += 1
            if show:
                print("500:", body[:400], "\n    ->", response.content[:300])
        credited_now = charges.count()
        if credited_now > credited_before and well_formed_success(body) is None:
            wrongly += 1
            if show:
                print("credited:", body[:600])
        credited_before = credited_now
    elapsed = time.perf_counter() - started
    mode = "task" if task else "sync"
    print(f"{n} signed deliveries to {invoice_count} PaymentIntents in {elapsed:.1f} s "
          f"({mode} mode)")
    print("answers:", ", ".join(f"{code}: {count}" for code, count in sorted(codes.items())))
    if task:
        print("stored before the worker:",
              dict(Counter(WebhookEvent.objects.values_list("status", flat=True))))
        print(f"worker applied them in {run_worker():.1f} s")
    over = [t for t in charges if t.amount != 80]
    stored = Counter(WebhookEvent.objects.values_list("status", flat=True))
    print("stored events:", dict(stored))
    # Each charge's note is the event that credited it: judged on what was stored.
    misjudged = [t for t in charges if not credited_by_a_success(t)]
    if show:
        for t in misjudged:
            print("credited by:", t.note, t.provider_reference)
    wrongly += len(misjudged) if task else 0
    print(f"deliveries stored as failed: {stored.get('failed', 0)}; left unprocessed: "
          f"{stored.get('received', 0)}; charges whose crediting event is not a stored "
          f"well-formed success: {len(misjudged)}")
    print(f"500 answers: {sum(c for code, c in codes.items() if code >= 500)} "
          f"({errors_without_row} with no stored event)")
    print(f"payments credited: {charges.count()}; deliveries that credited money without "
          f"being a well-formed success: {wrongly}; charges of another amount than 80.00: "
          f"{len(over)}")
    bad = errors_without_row or wrongly or over or any(code >= 500 for code in codes) \
        or misjudged or stored.get("failed") or stored.get("received")
    return 1 if bad else 0


def credited_by_a_success(charge: Any) -> bool:
    """Whether the stored delivery named by a charge's note was a well-formed success
    for that charge's PaymentIntent."""
    from django_carepay.models import WebhookEvent

    event = WebhookEvent.objects.filter(event_id=charge.note).first()
    return event is not None and \
        well_formed_success(json.dumps(event.payload)) == charge.provider_reference


if __name__ == "__main__":
    main()
