"""``carepay_reconcile`` over N charges at localstripe: wall time and API calls.

    .venv/bin/python benchmarks/reconcile.py [--n 10000] [--missing 5] [--timeout 300]
                                             [--database-url URL]

Seeds N paid PaymentIntents at a fresh localstripe (created with the Stripe SDK,
confirmed through the test server's Payment Element stand-in: two calls each, four
threads) and the matching N open invoices and card payments, recorded in the ledger
through ``services.apply_provider_update`` (as their webhooks would), except
``--missing`` of them whose webhooks "never arrived". Then times
``services.reconcile_ledger`` (what the command runs): it must report exactly the
missing charges, and with ``fix`` record them. Prints seeding time, reconcile wall
time, API calls (list pages of 100 and look-ups), charges compared and differences.
A throw-away test database is created and dropped (PostgreSQL by default).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from _django import add_database_url, card_backend_on_a_test_database, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--missing", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300,
                        help="the card backend's read timeout in seconds (default 300): "
                             "localstripe filters its whole store for each list page, so a "
                             "page takes seconds once it holds 10,000 intents (Stripe "
                             "answers one in well under a second)")
    add_database_url(parser)
    args = parser.parse_args()
    setup(args.database_url)
    logging.disable(logging.WARNING)  # receipts the seeded invoices cannot e-mail
    from tests.backends.stripe.support import (
        LocalStripe,
        card_backend_options,
        start_localstripe,
        stop_localstripe,
    )

    proc, url = start_localstripe()
    try:
        options = card_backend_options(url, timeout=args.timeout)
        with card_backend_on_a_test_database(**options):
            run(LocalStripe(url), args.n, args.missing)
    finally:
        stop_localstripe(proc)


def run(server, n: int, missing: int) -> None:
    import requests
    from django.utils import timezone

    from django_carepay import services
    from django_carepay.backends import get_backend
    from django_carepay.models import Payment

    started = time.monotonic()
    invoices = [services.issue_invoice(services.create_invoice(
        lines=[{"description": "Consultation", "unit_price": "80.00"}])) for _ in range(n)]
    ids = [uuid.uuid4() for _ in range(n)]
    session = requests.Session()

    def pay(public_id: uuid.UUID) -> str:
        intent = server.client.v1.payment_intents.create(params={
            "amount": 8000, "currency": "gbp",
            "metadata": {"carepay_payment": str(public_id)}})
        secret = intent.client_secret
        session.post(f"{server.url}/_config/standin/payment_intents/{intent.id}/confirm",
                     timeout=30, data=json.dumps({
                         "key": "pk_test_x", "client_secret": secret, "card": {
                             "number": "4242424242424242", "exp_month": "12",
                             "exp_year": "30", "cvc": "123"}})).raise_for_status()
        return str(intent.id)

    with ThreadPoolExecutor(4) as pool:
        intent_ids = list(pool.map(pay, ids))
    seeded_provider = time.monotonic() - started
    payments = Payment.objects.bulk_create(
        Payment(invoice=inv, backend="card", amount=Decimal("80.00"), currency="GBP",
                public_id=pid, provider_reference=pi)
        for inv, pid, pi in zip(invoices, ids, intent_ids, strict=True))
    backend = get_backend("card")
    for payment in payments[missing:]:
        services.apply_provider_update(backend.update_from_intent(
            {"id": payment.provider_reference, "status": "succeeded", "amount": 8000,
             "amount_received": 8000, "currency": "gbp",
             "metadata": {"carepay_payment": str(payment.public_id)}}))
    seeded = time.monotonic() - started

    since = timezone.now() - timedelta(days=1)
    t0, cpu0 = time.monotonic(), time.process_time()
    result = services.reconcile_ledger("card", since=since)
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    t1 = time.monotonic()
    fixed = services.reconcile_ledger("card", since=since, fix=True)
    wall_fix = time.monotonic() - t1
    again = services.reconcile_ledger("card", since=since)
    print(json.dumps({
        "charges": n, "seeding_s": round(seeded, 1),
        "seeding_provider_s": round(seeded_provider, 1),
        "reconcile_wall_s": round(wall, 2), "api_calls": result.api_calls,
        # carepay's own share of the wall time (this process's CPU); the rest is
        # waiting for the provider's pages and for the database
        "reconcile_cpu_s": round(cpu, 2),
        "charges_compared": result.charges,
        "differences": dict(result.summary()["by_kind"]),
        "fix_wall_s": round(wall_fix, 2),
        "fixed": sum(1 for d in fixed.differences if d.fixed),
        "differences_after_fix": len(again.differences),
    }, indent=2))
    assert result.summary()["by_kind"] == ({"missing_in_ledger": missing} if missing else {})
    assert again.clean


if __name__ == "__main__":
    main()
