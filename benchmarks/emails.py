"""Invoices issued with ``send_email=True``: SQL statements per invoice, time, memory.

    .venv/bin/python benchmarks/emails.py [--n 200] [--database-url URL]

Each invoice is created as a draft with two lines and a billing e-mail address, then
issued with ``send_email=True``: the number is taken, the invoice opened, and after
commit the ``invoice_issued`` e-mail is composed with the invoice PDF, which is
rendered once and stored (MEDIA_ROOT is a temporary directory), then sent through the
locmem e-mail backend. Statements are counted per invoice with
``CaptureQueriesContext`` (BEGIN/COMMIT/SAVEPOINT lines included) around the issue
and its on-commit e-mail; printed for the first and last ten. Two passes of N: the
first timed, the second under ``tracemalloc`` for the peak of Python allocations
(which includes the growing locmem outbox with its PDFs). A throw-away test database
is created and dropped.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter

from _django import a_test_database, add_database_url, setup

LINES = [{"description": "GP consultation", "unit_price": "80.00", "tax_rate": "20",
          "provider_name": "Dr Omar Haddad"},
         {"description": "Blood test", "unit_price": "25.50", "quantity": "2"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=200)
    add_database_url(parser)
    args = parser.parse_args()
    setup(args.database_url)
    from django.conf import settings

    with tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        with a_test_database():
            run(args.n)


FIRST: list[list[str]] = []  # the statements of the first two invoices issued


def issue_all(n: int, start: int) -> tuple[list[int], float]:
    """Issue ``n`` invoices with e-mail; the statements each took, and the wall time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_carepay import services

    counts = []
    started = time.perf_counter()
    for i in range(start, start + n):
        draft = services.create_invoice(lines=LINES, billing={
            "name": f"Patient {i}", "email": f"patient{i}@example.com"})
        with CaptureQueriesContext(connection) as issued:
            services.issue_invoice(draft, send_email=True)
        counts.append(len(issued.captured_queries))
        if len(FIRST) < 2:
            FIRST.append([q["sql"] for q in issued.captured_queries])
    return counts, time.perf_counter() - started


def run(n: int) -> None:
    from django.core import mail
    from django.db import connection

    from django_carepay.models import Invoice

    mail.outbox = []
    counts, elapsed = issue_all(n, 0)
    assert len(mail.outbox) == n, len(mail.outbox)
    assert all(m.attachments and m.attachments[0][1].startswith(b"%PDF-") for m in mail.outbox)
    assert Invoice.objects.filter(status="open").exclude(document="").count() == n

    mail.outbox = []
    tracemalloc.start()
    traced_counts, traced_elapsed = issue_all(n, n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(mail.outbox) == n

    vendor = connection.vendor
    version = getattr(connection, "pg_version", "")
    print(f"{vendor} {version}, N={n} invoices issued with send_email=True "
          "(PDF rendered, stored and attached; locmem e-mail)")
    print(f"statements per invoice, first 10: {counts[:10]}")
    print(f"statements per invoice, last 10:  {counts[-10:]}")
    print(f"statements per invoice: min {min(counts)}, max {max(counts)}, "
          f"constant: {len(set(counts + traced_counts)) == 1}")
    once = Counter(sql[:40] for sql in FIRST[0]) - Counter(sql[:40] for sql in FIRST[1])
    if once:
        print("statements only the first invoice needed:")
        for sql, times in once.items():
            print(f"    {times} x {sql}…")
    print("statements of one invoice after the first:")
    for sql in FIRST[1]:
        print("   ", sql[:110])
    per_invoice = elapsed / n * 1000
    print(f"wall time: {elapsed:.2f} s for {n} = {per_invoice:.1f} ms per invoice "
          f"(create + issue + PDF + e-mail)")
    attachment = statistics.mean(len(m.attachments[0][1]) for m in mail.outbox) / 1024
    print(f"traced pass: {traced_elapsed:.2f} s; peak traced Python memory "
          f"{peak / 2**20:.1f} MiB (outbox of {n} messages with PDFs included; "
          f"mean attachment {attachment:.0f} KiB)")


if __name__ == "__main__":
    main()
