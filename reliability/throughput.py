"""Webhook throughput over real HTTP: sync vs task mode, 1, 2 and 4 gunicorn workers.

    .venv/bin/python reliability/throughput.py [--invoices 1000] [--workers 1,2,4]
        [--senders 8] [--threads 4] [--database-url URL] [--seed 1] [--keep]

One throw-away database and localstripe (as ``storm.py``); before each run
``--invoices`` more invoices are seeded and paid at localstripe (its store emptied
first: it slows down as it fills), so every delivery is a *first* delivery of
``payment_intent.succeeded``.

* sync: gunicorn with N workers (gthread, ``--threads`` each) applies each delivery
  in the request: events/s and p50/p99 latency of the answers.
* task: gunicorn with N workers only stores and acknowledges (no db_worker running):
  events/s and latency of the acknowledge path; then N ``db_worker``s drain what was
  stored: drain events/s, from the first to the last delivery they processed
  (``processed_at``), and the wall time including their start.

Prints the table and the load average (``os.getloadavg()``) before and after each
run: this machine is shared, so the figures carry its noise.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reliability import host


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000, help="per run")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default=os.environ.get(
        "STORM_DATABASE_URL", host.DEFAULT_SERVER))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    host.exit_cleanly_on_sigterm()
    counts = [int(n) for n in args.workers.split(",")]
    with host.localstripe() as stripe_url, \
            host.throwaway_database(args.database_url, keep=args.keep) as database:
        host.setup_django(host.environment(database, stripe_url, "sync"), migrate=True)
        logging.disable(logging.WARNING)
        try:
            rows = run(args, counts, database, stripe_url)
        finally:
            from django.db import connections

            connections.close_all()
    print_table(args, rows)


def run(args: argparse.Namespace, counts: list[int], database: str, stripe_url: str
        ) -> list[dict[str, Any]]:
    from reliability import seeding
    from tests.backends.stripe.support import LocalStripe

    server, rng = LocalStripe(stripe_url), random.Random(args.seed)
    rows = []
    for mode in ("sync", "task"):
        env = host.environment(database, stripe_url, mode)
        for workers in counts:
            # A fresh localstripe store for each run's intents: it answers in time
            # proportional to what it holds (the deliveries never ask it).
            server.reset()
            started = time.perf_counter()
            paid = seeding.seed(server, args.invoices, rng=rng)
            print(f"seeded {len(paid)} invoices in {time.perf_counter() - started:.0f} s",
                  flush=True)
            rows.append(one_run(args, env, mode, workers, paid))
            print(rows[-1], flush=True)
    return rows


def one_run(args: argparse.Namespace, env: dict[str, str], mode: str, workers: int,
            paid: list[Any]) -> dict[str, Any]:
    from reliability import events, invariants
    from reliability.sending import Answers, Post, send
    from reliability.settings import WEBHOOK_SECRET

    procs = host.Processes()
    row: dict[str, Any] = {"mode": mode, "workers": workers, "events": len(paid)}
    scripts = [[Post(events.succeeded(p))] for p in paid]
    try:
        url = procs.start_gunicorn(env, workers=workers, threads=args.threads)
        time.sleep(2)  # let the start-up's load settle a little
        row["load_before"] = os.getloadavg()[0]
        answers = Answers()
        wall = send(f"{url}/billing/webhooks/card/", scripts, senders=args.senders,
                    secret=WEBHOOK_SECRET, answers=answers)
        row["load_after"] = os.getloadavg()[0]
        procs.stop()
        row["per_s"] = len(answers.rows) / wall
        row["p50"], row["p99"] = answers.latency()
        row["answers"] = dict(answers.by_status)
        if mode == "task":
            started = time.perf_counter()
            procs.start_workers(env, workers)
            invariants.wait_drained()
            row["drain_wall_s"] = time.perf_counter() - started
            row["drain_per_s"] = drain_rate([e["id"] for e in (s[0].event for s in scripts)])
            row["load_after"] = os.getloadavg()[0]
    finally:
        procs.stop()
    if procs.errors_logged():
        row["errors_logged"] = len(procs.errors_logged())
    return row


def drain_rate(event_ids: list[str]) -> float:
    """Deliveries processed per second, from the first to the last ``processed_at``."""
    from django.db.models import Count, Max, Min

    from django_carepay.models import WebhookEvent

    span = WebhookEvent.objects.filter(event_id__in=event_ids, status="processed").aggregate(
        first=Min("processed_at"), last=Max("processed_at"), n=Count("id"))
    seconds = (span["last"] - span["first"]).total_seconds() if span["n"] > 1 else 0
    return span["n"] / seconds if seconds else 0.0


def print_table(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    print(f"\nfirst deliveries of payment_intent.succeeded, {args.invoices} a run, "
          f"{args.senders} senders, gunicorn gthread x {args.threads} threads, "
          f"{os.cpu_count()} CPUs")
    print("| mode | gunicorn workers | db_workers | events/s | p50 ms | p99 ms "
          "| drain events/s | load 1-min before → after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        task = r["mode"] == "task"
        drain = f"{r['drain_per_s']:.0f}" if task else "—"
        print(f"| {r['mode']} | {r['workers']} | {r['workers'] if task else '—'} "
              f"| {r['per_s']:.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {drain} "
              f"| {r['load_before']:.2f} → {r['load_after']:.2f} |")
    bad = [r for r in rows if set(r["answers"]) != {200} or r.get("errors_logged")]
    if bad:
        print("runs with answers other than 200 or errors logged:", bad)
        sys.exit(1)


if __name__ == "__main__":
    main()
