"""PDF render time: carepay's ``render_invoice_pdf`` against bare WeasyPrint.

    .venv/bin/python benchmarks/pdf.py [--rounds 20] [--database-url URL]

For a 1-line and a 60-line invoice, times ``render_invoice_pdf(invoice)`` (load the
lines, ask the adapter, sign the pay link, draw its QR code, render the template,
WeasyPrint) and ``weasyprint.HTML(string=html).write_pdf()`` on the very HTML
carepay renders, and prints the medians and their ratio (goal: at most 1.2).
A throw-away test database is created and dropped.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

from _django import add_database_url, setup


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    work()  # warm up: fonts, template and CSS caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(rounds: int) -> None:
    import weasyprint
    from django.template.loader import render_to_string

    from django_carepay.documents import render_invoice_pdf
    from django_carepay.documents.render import invoice_context
    from tests import factories

    print(f"{'invoice':>10} {'carepay ms':>11} {'bare ms':>8} {'ratio':>6}  (median of {rounds})")
    for count in (1, 60):
        lines = [{"description": f"Consultation {i}", "unit_price": "80.00", "tax_rate": "20",
                  "service_date": date(2026, 11, 1 + i % 28), "provider_name": "Dr Haddad"}
                 for i in range(count)]
        invoice = factories.make_invoice(lines=lines)
        html = render_to_string("carepay/pdf/invoice.html", invoice_context(invoice))
        ours = median_seconds(lambda invoice=invoice: render_invoice_pdf(invoice), rounds)
        bare = median_seconds(lambda html=html: weasyprint.HTML(string=html).write_pdf(), rounds)
        print(f"{count:>4} lines{ours * 1000:>11.1f} {bare * 1000:>8.1f} {ours / bare:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    add_database_url(parser)
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.rounds)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
