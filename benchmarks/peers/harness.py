"""One timed round of one webhook receiver, run inside that receiver's own venv.

    <venv>/bin/python benchmarks/peers/harness.py PEER --n 500 --database-url URL

PEER is a module ``peer_<name>.py`` beside this file: its INSTALLED_APPS, settings, URLs
and three functions, ``prepare(n)`` (n payments it prepared itself, each with a
signed ``payment_intent.succeeded`` for its own webhook URL), ``credited()`` and
``double_credits()``. The round, on a throw-away database (created, migrated, dropped):
20 deliveries to warm up, n first deliveries timed, the same n again as duplicates
timed (wall time and this process's CPU time: the Python side of an event, without
the database server's), then 50 more first deliveries and their duplicates with every
statement captured. The database is named ``<PEER_DB_PREFIX>_<peer>`` (``carepay_peer``
unless that variable is set). Django 5.2, DEBUG off,
the same middleware for every peer, in-process through Django's test client. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
# CAREPAY_SRC: another checkout's src/ (compare.py --carepay-before), ahead of this one.
sys.path[:0] = [str(HERE), os.environ.get("CAREPAY_SRC") or str(HERE.parent.parent / "src")]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
BASE_APPS = ["django.contrib.auth", "django.contrib.contenttypes",
             "django.contrib.sessions", "django.contrib.messages"]
COUNTED = 50
WARM_UP = 20


def configure(peer: str, database_url: str) -> object:
    import django
    from django.conf import settings

    module = importlib.import_module(f"peer_{peer.removesuffix('-before').replace('-', '_')}")
    url = urlparse(database_url)
    name = f"{os.environ.get('PEER_DB_PREFIX', 'carepay_peer')}_{peer.replace('-', '_')}"
    settings.configure(
        DEBUG=False, SECRET_KEY="peer-benchmark-not-secret", USE_TZ=True,
        ALLOWED_HOSTS=["*"], MIDDLEWARE=MIDDLEWARE, ROOT_URLCONF=module.__name__,
        INSTALLED_APPS=BASE_APPS + module.APPS,
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": name,
            "USER": url.username or "postgres", "PASSWORD": url.password or "",
            "HOST": url.hostname or "127.0.0.1", "PORT": str(url.port or 5432),
            "TEST": {"NAME": name},
            # PEER_SERVER_SIDE_BINDING=1: Django's server-side parameter binding for
            # every peer (psycopg then prepares a statement run five times).
            "OPTIONS": {"server_side_binding": bool(os.environ.get(
                "PEER_SERVER_SIDE_BINDING"))}}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True, "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages"]}}],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **module.SETTINGS,
    )
    django.setup()
    return module


def post_all(client, events) -> float:  # type: ignore[no-untyped-def]
    return timed_post_all(client, events)[0]


def timed_post_all(client, events) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, this process's CPU seconds) for posting ``events``."""
    started, cpu = time.perf_counter(), time.process_time()
    for path, body, headers in events:
        response = client.post(path, body, content_type="application/json", **headers)
        assert response.status_code == 200, (response.status_code, response.content[:300])
    return time.perf_counter() - started, time.process_time() - cpu


def counted(client, events) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(all statements, BEGIN/COMMIT/ROLLBACK among them) for posting ``events``; with
    PEER_SHOW_SQL set, each statement of an event is printed with its median time
    over the events (microseconds as the client waits for it: round trip and server
    work; BEGIN travels with the statement after it), the COMMIT's, and the
    write-ahead log the events wrote (bytes per event: what each COMMIT flushes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings: list[float] = []
    commits: list[float] = []

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - started)

    def wal() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
            return int(cursor.fetchone()[0])

    commit = connection._commit

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            commit()
        finally:
            commits.append(time.perf_counter() - started)

    wal_before = wal()
    connection._commit = timed_commit
    try:
        with CaptureQueriesContext(connection) as queries, \
                connection.execute_wrapper(timed):
            post_all(client, events)
    finally:
        del connection._commit
    wal_per_event = (wal() - wal_before) / len(events)
    sql = [q["sql"] for q in queries.captured_queries]
    tx = ("BEGIN", "COMMIT", "ROLLBACK")
    if os.environ.get("PEER_SHOW_SQL") and len(timings) % len(events) == 0:
        import statistics

        per_event = len(timings) // len(events)
        shown = [s for s in sql if s not in tx][:per_event]
        for i, statement in enumerate(shown):
            median = statistics.median(timings[i::per_event]) * 1e6
            print(f"    {median:7.0f} µs  {statement[:140]}", file=sys.stderr)
        if commits:
            print(f"    {statistics.median(commits) * 1e6:7.0f} µs  COMMIT "
                  f"({len(commits) / len(events):.0f} per event)", file=sys.stderr)
        print(f"    {wal_per_event:7.0f} bytes of write-ahead log per event", file=sys.stderr)
    return len(sql), sum(s in tx for s in sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    module = configure(args.peer, args.database_url)

    from django.db import connection
    from django.test import Client

    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        client = Client()
        events = module.prepare(WARM_UP + args.n + COUNTED)  # type: ignore[attr-defined]
        post_all(client, events[:WARM_UP])  # imports, URL resolvers, first connections
        timed, extra = events[WARM_UP:WARM_UP + args.n], events[WARM_UP + args.n:]
        first, first_cpu = timed_post_all(client, timed)
        dupes, dup_cpu = timed_post_all(client, timed)
        first_sql, first_tx = counted(client, extra)
        dup_sql, dup_tx = counted(client, extra)
        result = {
            "peer": args.peer, "n": args.n, "first_per_s": args.n / first,
            "dup_per_s": args.n / dupes,
            "first_cpu_ms": 1000 * first_cpu / args.n, "dup_cpu_ms": 1000 * dup_cpu / args.n,
            "first_statements": first_sql / COUNTED,
            "first_statements_no_tx": (first_sql - first_tx) / COUNTED,
            "dup_statements": dup_sql / COUNTED,
            "dup_statements_no_tx": (dup_sql - dup_tx) / COUNTED,
            "credited": module.credited(),  # type: ignore[attr-defined]
            "double_credits": module.double_credits(),  # type: ignore[attr-defined]
        }
    finally:
        connection.close()
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
