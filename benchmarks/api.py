"""The JSON API beside the HTML pages doing the same, on PostgreSQL: requests/s and SQL
statements per request.

    .venv/bin/python benchmarks/api.py [--n 300] [--rounds 3] [--database-url URL]

In-process through Django's test client (no network, no server), a payer signed in
with the session (as a browser or a SPA on the same site would be):

- list: ``GET /api/billing/invoices/?status=all`` (a page of 25) beside the payer's
  ``carepay:invoice_list`` page, for a payer with 25 issued invoices;
- transfer: ``POST /api/billing/invoices/<uuid>/transfers/`` (JSON) beside the bank
  transfer pay page's form (``POST carepay:pay``, multipart, answered with a redirect),
  each request for another open invoice, with and (API) without ``Idempotency-Key``.

Reports requests/s (median of the rounds) and statements per request counted with
``CaptureQueriesContext`` (BEGIN, COMMIT and SAVEPOINT lines included). A throw-away
test database is created and dropped; it is not ANALYZEd.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from _django import a_test_database, add_database_url, setup

TRANSFER = {"BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
            "OPTIONS": {"label": "Bank transfer", "currencies": ["GBP"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="requests per round and kind")
    parser.add_argument("--rounds", type=int, default=3)
    add_database_url(parser)
    args = parser.parse_args()
    setup(args.database_url)
    from django.conf import settings

    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {"bank_transfer": TRANSFER}}
    with a_test_database():
        run(args.n, args.rounds)


def open_invoices(customer: Any, n: int) -> list[Any]:
    from django_carepay import services

    return [services.issue_invoice(services.create_invoice(
        customer=customer, lines=[{"description": "Consultation", "unit_price": "80.00"}]))
        for _ in range(n)]


def measure(label: str, n: int, rounds: int, make: Callable[[], list[Callable[[], Any]]],
            expect: int) -> tuple[str, float, float]:
    """Run ``n`` requests ``rounds`` times (+ once counting statements); return the
    label, requests/s (median) and statements per request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rates = []
    for _ in range(rounds):
        requests = make()
        started = time.perf_counter()
        for request in requests:
            response = request()
            assert response.status_code == expect, (label, response.status_code,
                                                    response.content[:300])
        rates.append(n / (time.perf_counter() - started))
    requests = make()
    with CaptureQueriesContext(connection) as counted:
        for request in requests:
            request()
    return label, statistics.median(rates), len(counted.captured_queries) / n


def run(n: int, rounds: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from django_carepay.models import Payment

    payer = get_user_model().objects.create_user("payer", password="pw")
    client = Client()
    client.force_login(payer)
    open_invoices(payer, 25)

    def lists(path: str) -> Callable[[], list[Callable[[], Any]]]:
        return lambda: [lambda: client.get(path)] * n

    def api_transfers(keyed: bool) -> Callable[[], list[Callable[[], Any]]]:
        def make() -> list[Callable[[], Any]]:
            def post(invoice: Any) -> Callable[[], Any]:
                headers = {"Idempotency-Key": str(uuid.uuid4())} if keyed else {}
                return lambda: client.post(
                    f"/api/billing/invoices/{invoice.public_id}/transfers/",
                    {"method": "bank_transfer", "amount": "80.00", "reference": "BT-1",
                     "paid_on": "2026-11-01"}, content_type="application/json",
                    headers=headers)
            return [post(invoice) for invoice in open_invoices(payer, n)]
        return make

    def page_transfers() -> list[Callable[[], Any]]:
        def post(invoice: Any) -> Callable[[], Any]:
            return lambda: client.post(
                f"/billing/invoices/{invoice.public_id}/pay/bank_transfer/",
                {"amount": "80.00", "reference": "BT-1", "paid_on": "2026-11-01"})
        return [post(invoice) for invoice in open_invoices(payer, n)]

    results = [
        measure("GET invoices/ (API, page of 25)", n, rounds,
                lists("/api/billing/invoices/?status=all"), 200),
        measure("GET carepay:invoice_list (HTML, 25)", n, rounds, lists("/billing/"), 200),
        measure("POST …/transfers/ (API, JSON)", n, rounds, api_transfers(False), 201),
        measure("POST …/transfers/ + Idempotency-Key", n, rounds, api_transfers(True), 201),
        measure("POST carepay:pay bank transfer (HTML)", n, rounds, page_transfers, 302),
    ]
    submitted = Payment.objects.filter(status="awaiting_approval").count()
    assert submitted == 3 * n * (rounds + 1), "a POST did not submit exactly one transfer"

    print(f"PostgreSQL {connection.pg_version} ({connection.vendor}), "
          f"N={n} requests per round, rounds={rounds}, in-process test client")
    print(f"{'':40} {'requests/s':>11} {'statements/request':>19}")
    for label, rate, statements in results:
        print(f"{label:40} {rate:11.0f} {statements:19.1f}")


if __name__ == "__main__":
    main()
