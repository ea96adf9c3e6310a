"""Console and portal pages at 1,000 and at 100,000 invoices (PostgreSQL).

    .venv/bin/python benchmarks/pages.py [--requests 30] [--sizes 1000,100000]
        [--explain FILE.txt] [--no-without]
        [--database-url postgres://postgres@127.0.0.1:5432/carepay_dash_bench]

Each size gets its own copy of the billing tables, in its own PostgreSQL schema of
one throw-away database, filled with a realistic history (``benchmarks/_seed.py``:
the clinic's history grows at ~40 invoices a day, so the work a page does for "this
month" should not grow with it) and ANALYZEd. A third schema holds the largest history
again without the indexes of migration ``0009_console_indexes`` (``--no-without``
skips it), to show what they are for.

Each page is requested in-process through ``django.test.Client``, the schemas taking
turns request by request (``SET search_path`` between requests), so a busy machine
slows every size alike:

- the payer list (``carepay:invoice_list``) as a customer with the median number of
  invoices (~25);
- the staff invoice list (``carepay:staff_invoices``) when the URLconf has it, else
  "skipped (not built)";
- the approvals queue (``carepay:approvals``);
- the dashboard (``carepay:dashboard``) for its default period (this month), and for
  "this year" (informational: a year holds ~40 times more history at 100,000 invoices
  than the 25 days of the small set, so its work grows with the rows in range).

Staff pages are requested as "finance", a member of staff with the view, approve and
dashboard permissions (not a superuser, so the permission queries count).

Printed per page and size: SQL statements per request (must be equal at every size),
the median and the fastest of N requests after three warm-ups, and the ratio of the
medians to the first size's (goal: at most 1.5). Then the peak Python memory
(``tracemalloc``) while streaming both CSV exports of every row at the largest size.
With ``--explain FILE.txt``, every statement the pages ran at the largest size is
EXPLAINed (ANALYZE) into FILE.txt, and without 0009 into FILE-without-0009.txt.

The database named in the URL is created afresh (dropped if it exists) and dropped
at the end.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

from _django import setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/carepay_dash_bench"
#: The tables each size has its own copy of (the rest, e.g. sessions, is shared).
TABLES = ("auth_user", "auth_user_user_permissions", "carepay_invoice",
          "carepay_invoiceline", "carepay_payment", "carepay_transaction",
          "carepay_webhookevent")
#: The indexes of migration 0009_console_indexes, dropped for the "without" copy.
CONSOLE_INDEXES = ("carepay_invoice_payer", "carepay_invoice_created", "carepay_invoice_issued",
                   "carepay_invoice_status_issued", "carepay_invoice_to_refund",
                   "carepay_payment_created", "carepay_ledger_created",
                   "carepay_webhook_problems")
FINANCE_PERMISSIONS = ("view_dashboard", "view_invoice", "view_payment", "approve_payment")


@dataclass
class DataSet:
    label: str
    schema: str
    customer_id: int = 0
    clients: dict[str, Any] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, list[str]] = field(default_factory=dict)


def pages() -> list[tuple[str, str, dict[str, str], str]]:
    """(label, url name, query, who) of every page measured."""
    from django.utils import timezone

    today = timezone.localdate()
    year = {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()}
    return [
        ("payer list", "carepay:invoice_list", {}, "customer"),
        ("staff invoice list", "carepay:staff_invoices", {}, "staff"),
        ("approvals queue", "carepay:approvals", {}, "staff"),
        ("dashboard (this month)", "carepay:dashboard", {}, "staff"),
        ("dashboard (this year)", "carepay:dashboard", year, "staff"),
    ]


def use(data: DataSet) -> None:
    """Point the connection at ``data``'s schema (shared tables stay in public)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{data.schema}", public')


def create_schema(data: DataSet, *, copy_of: DataSet | None = None,
                  skip_indexes: tuple[str, ...] = ()) -> None:
    """``data``'s own empty copy of :data:`TABLES` with public's indexes under their
    own names (but ``skip_indexes``), or a full copy of ``copy_of``'s rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{data.schema}"')
        for table in TABLES:
            cursor.execute(f'CREATE TABLE "{data.schema}"."{table}" '
                           f'(LIKE public."{table}" INCLUDING ALL EXCLUDING INDEXES)')
            if copy_of:
                cursor.execute(f'INSERT INTO "{data.schema}"."{table}" '
                               f'SELECT * FROM "{copy_of.schema}"."{table}"')
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes "
                       "WHERE schemaname = 'public' AND tablename = ANY(%s)", [list(TABLES)])
        for name, definition in cursor.fetchall():
            if name not in skip_indexes:
                cursor.execute(definition.replace(" ON public.", f' ON "{data.schema}".'))


def seed(data: DataSet, size: int) -> None:
    import _seed
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.utils import timezone

    use(data)
    started = time.perf_counter()
    history, data.customer_id = _seed.build(size, timezone.localdate())
    counts = _seed.copy_history(history)
    finance = next(row["id"] for row in history.rows["user"] if row["username"] == "finance")
    permissions = Permission.objects.filter(content_type__app_label="carepay",
                                            codename__in=FINANCE_PERMISSIONS)
    with connection.cursor() as cursor:
        for permission in permissions:
            cursor.execute("INSERT INTO auth_user_user_permissions (user_id, permission_id) "
                           "VALUES (%s, %s)", [finance, permission.pk])
        cursor.execute("ANALYZE")
    print(f"seeded {size:,} invoices in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{t.removeprefix('carepay_')} {c:,}" for t, c in counts.items()))


def log_in(data: DataSet) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    use(data)
    users = get_user_model().objects
    data.clients = {"staff": Client(), "customer": Client()}
    data.clients["staff"].force_login(users.get(username="finance"))
    data.clients["customer"].force_login(users.get(pk=data.customer_id))


def measure(sets: list[DataSet], requests: int) -> None:
    """Each page, the data sets taking turns request by request."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    for label, name, query, who in pages():
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        for data in sets:
            use(data)
            for _ in range(3):
                response = data.clients[who].get(url, query)
                assert response.status_code == 200, (data.label, url, response.status_code)
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                data.clients[who].get(url, query)
            # Read now: the next request empties the log the context reads from.
            data.queries[label] = [q["sql"] for q in captured.captured_queries]
            data.times[label] = []
        for _ in range(requests):
            for data in sets:
                use(data)
                started = time.perf_counter()
                data.clients[who].get(url, query)
                data.times[label].append(time.perf_counter() - started)


def csv_memory(data: DataSet) -> list[tuple[str, int, int, float]]:
    """(export, rows, peak bytes, seconds) streaming each export of every row: timed
    once, then streamed again under ``tracemalloc`` (which slows Python down)."""
    from django.urls import reverse

    use(data)
    client = data.clients["staff"]
    results = []
    for name in ("carepay:invoices_csv", "carepay:payments_csv"):
        started = time.perf_counter()
        response = client.get(reverse(name))
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        response = client.get(reverse(name))
        for _chunk in response.streaming_content:
            pass
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        results.append((name.split(":")[1], lines - 1, peak, elapsed))
    return results


def explain(data: DataSet, path: str) -> None:
    from django.db import connection

    use(data)
    with open(path, "w") as out, connection.cursor() as cursor:
        for label, statements in data.queries.items():
            for sql in statements:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}")
                out.write(f"-- {label}\n{sql}\n")
                out.write("\n".join(row[0] for row in cursor.fetchall()) + "\n\n")


def print_table(sets: list[DataSet], requests: int) -> None:
    print()
    print(f"median (fastest) ms of {requests} requests a page, after 3 warm-ups, the data "
          f"sets taking turns; ratio = median / median at {sets[0].label}")
    print(f"{'page':<24}" + "".join(f"{d.label:>32}" for d in sets))
    base = sets[0]
    for label, _name, _query, _who in pages():
        if label not in base.times:
            print(f"{label:<24}{'skipped (not built)':>32}")
            continue
        cells = []
        for data in sets:
            times = data.times[label]
            median, fastest = statistics.median(times), min(times)
            ratio = median / statistics.median(base.times[label])
            same = len(data.queries[label]) == len(base.queries[label])
            cells.append(f"{len(data.queries[label]):>4}q{' ' if same else '!'}"
                         f"{median * 1000:>8.1f} ({fastest * 1000:>6.1f}) {ratio:>5.2f}x")
        print(f"{label:<24}" + "".join(cells))


def run(sizes: list[int], requests: int, explain_to: str | None, without: bool) -> None:
    from django.conf import settings
    from django.db import connection

    settings.CAREPAY = {**settings.CAREPAY, "BACKENDS": {
        **settings.CAREPAY["BACKENDS"],
        "transfer": {"BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
                     "OPTIONS": {"label": "Bank transfer",
                                 "instructions": "Quote {{ reference }}."}},
    }}
    sets = []
    for size in sizes:
        data = DataSet(f"{size:,}", f"bench_{size}")
        create_schema(data)
        seed(data, size)
        sets.append(data)
    largest = sets[-1]
    if without:
        data = DataSet(f"{largest.label} w/o 0009", f"{largest.schema}_without_0009",
                       customer_id=largest.customer_id)
        create_schema(data, copy_of=largest, skip_indexes=CONSOLE_INDEXES)
        # 0009 also dropped the foreign key's own index on customer_id (the payer index
        # serves it): put it back, as it was before.
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE INDEX ON "{data.schema}"."carepay_invoice" ("customer_id")')
            cursor.execute(f'ANALYZE "{data.schema}".carepay_invoice')
        sets.append(data)
    for data in sets:
        log_in(data)
    measure(sets, requests)
    print_table(sets, requests)
    print()
    for name, rows, peak, elapsed in csv_memory(largest):
        print(f"{name} at {largest.label}: {rows:,} rows streamed in {elapsed:.1f} s, "
              f"peak Python memory {peak / 2**20:.1f} MiB")
    if explain_to:
        explain(largest, explain_to)
        if without:
            explain(sets[-1], explain_to.removesuffix(".txt") + "-without-0009.txt")
        print(f"EXPLAIN ANALYZE of every statement at {largest.label}: {explain_to}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--explain", default=None)
    parser.add_argument("--without", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure the largest size without 0009's indexes")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection

    # The benchmark's database is the one named in the URL, created afresh.
    name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run([int(s) for s in args.sizes.split(",")], args.requests, args.explain,
            args.without)
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
