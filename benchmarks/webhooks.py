"""Webhook throughput and SQL statements per event, on PostgreSQL.

    .venv/bin/python benchmarks/webhooks.py [--n 500] [--rounds 3] [--database-url URL]

Posts N signed ``payment_intent.succeeded`` events for N distinct open invoices,
in-process through Django's test client, to the Stripe webhook view; each event
verifies its signature, stores the event, writes the ledger charge and settles the
invoice. Reports events/s (median of the rounds) and statements per event counted
with ``CaptureQueriesContext`` (which includes BEGIN, COMMIT and SAVEPOINT lines) for
first deliveries and for duplicates. A throw-away test database is created and
dropped; it is not ANALYZEd, so the plans are those of fresh tables without
statistics (the worst case for index choice).

``--receipts`` gives each invoice a payer address and staff a notification address,
so every first delivery also sends what a real one sends: the payer's receipt with
its PDF and the staff's notice (locmem e-mail backend; the mail server's own time is
not in it). ``--email-sending task`` queues those e-mails to Django's tasks framework
(the database backend, in the same database) instead of sending them in the request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from decimal import Decimal

from _django import add_database_url, card_backend_on_a_test_database, setup

SECRET = "whsec_benchmark"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE",
                        help="also profile one more round of first deliveries (cProfile), "
                             "save the stats to FILE and print the top 20")
    parser.add_argument("--receipts", action="store_true",
                        help="payers and staff have addresses: receipts are sent")
    parser.add_argument("--email-sending", choices=["sync", "task"], default="sync",
                        help='CAREPAY["EMAIL_SENDING"] (with --receipts)')
    add_database_url(parser)
    args = parser.parse_args()
    setup(args.database_url)
    if args.receipts:
        with_receipts(args.email_sending)
    with card_backend_on_a_test_database(secret_key="sk_test_bench",
                                         publishable_key="pk_test_bench",
                                         webhook_secret=SECRET):
        run(args.n, args.rounds, receipts=args.receipts)
        if args.profile:
            profile(args.n, args.profile)


def with_receipts(email_sending: str) -> None:
    """Staff are told of every payment; with ``task``, e-mails go through the database
    tasks backend (its table in the same database)."""
    from django.conf import settings

    settings.CAREPAY = {**settings.CAREPAY, "STAFF_NOTIFICATION_EMAILS": ["desk@example.com"],
                        "EMAIL_SENDING": email_sending}
    if email_sending == "task":
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def make_events(n: int, receipts: bool = False) -> list[tuple[str, str]]:
    """N open invoices, each with a pending card payment, and a signed event for each."""
    import stripe

    from django_carepay import services
    from django_carepay.models import Invoice, Payment

    invoices = []
    for _ in range(n):
        invoice = services.create_invoice(
            lines=[{"description": "Consultation", "unit_price": "80.00"}],
            billing={"name": "Ada Lovelace", "email": "ada@example.com"} if receipts else None)
        invoices.append(services.issue_invoice(invoice))
    payments = Payment.objects.bulk_create(
        Payment(invoice=inv, backend="card", amount=Decimal("80.00"), currency="GBP",
                provider_reference=f"pi_{uuid.uuid4().hex[:24]}")
        for inv in invoices
    )
    assert Invoice.objects.filter(status="open").count() >= n
    events = []
    for payment in payments:
        body = json.dumps({
            "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
            "type": "payment_intent.succeeded", "api_version": "2026-10-28.endive",
            "created": int(time.time()), "livemode": False,
            "data": {"object": {
                "id": payment.provider_reference, "object": "payment_intent",
                "amount": 8000, "amount_received": 8000, "currency": "gbp",
                "status": "succeeded", "latest_charge": f"ch_{uuid.uuid4().hex[:24]}",
                "metadata": {"carepay_payment": str(payment.public_id)},
            }},
        })
        events.append((body, stripe.WebhookSignature.generate_signature_header(body, SECRET)))
    return events


def post_all(client, events) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for body, signature in events:
        response = client.post("/billing/webhooks/card/", body, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=signature)
        assert response.status_code == 200, response.content
    return time.perf_counter() - started


def commit_latency_ms(samples: int = 200) -> float:
    """Median time of a one-row INSERT + COMMIT here: the machine's fsync speed, which
    bounds any durable webhook handler (printed so runs can be compared)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_commit (x integer)")
    times = []
    for i in range(samples):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit VALUES (%s)", [i])
        times.append((time.perf_counter() - started) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_commit")
    return statistics.median(times)


def run(n: int, rounds: int, receipts: bool = False) -> None:
    from django.core import mail
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from django_carepay.models import Invoice, Transaction, WebhookEvent

    client = Client()
    rates = []
    mail.outbox = []
    for i in range(rounds):
        events = make_events(n, receipts)
        elapsed = post_all(client, events)
        rates.append(n / elapsed)
        print(f"round {i + 1}: {n} first deliveries in {elapsed:.2f} s = "
              f"{n / elapsed:.0f} events/s")
    dup_started = time.perf_counter()
    post_all(client, events)
    dup_rate = n / (time.perf_counter() - dup_started)

    sent = len(mail.outbox)
    events = make_events(n, receipts)
    with CaptureQueriesContext(connection) as first:
        post_all(client, events)
    charges_before = Transaction.objects.count()
    with CaptureQueriesContext(connection) as dupes:
        post_all(client, events)
    assert Transaction.objects.count() == charges_before, "a duplicate had an effect"
    assert WebhookEvent.objects.filter(status="processed").count() == n * (rounds + 1)
    assert not Invoice.objects.filter(status="open").exists()

    print(f"\nPostgreSQL {connection.pg_version if connection.vendor == 'postgresql' else ''}"
          f" ({connection.vendor}), N={n}, rounds={rounds}; INSERT+COMMIT median "
          f"{commit_latency_ms():.2f} ms on this machine now")
    print(f"first delivery: {statistics.median(rates):.0f} events/s (median), "
          f"{len(first.captured_queries) / n:.2f} SQL statements per event")
    if receipts:
        print(f"e-mails sent in the requests of the timed rounds: {sent} "
              f"({sent / (n * rounds):.1f} per first delivery)")
    print(f"duplicate:      {dup_rate:.0f} events/s, "
          f"{len(dupes.captured_queries) / n:.2f} SQL statements per event, 0 effects")
    print("statements of one first delivery:")
    per_event = len(first.captured_queries) // n
    for q in first.captured_queries[:per_event]:
        print("   ", q["sql"][:110])


def profile(n: int, path: str) -> None:
    """One more round of first deliveries under cProfile: the top 20 by own time and
    by cumulative time."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client()
    events = make_events(n)
    profiler = cProfile.Profile()
    profiler.enable()
    post_all(client, events)
    profiler.disable()
    profiler.dump_stats(path)
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
