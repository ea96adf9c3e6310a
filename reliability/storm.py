"""The webhook storm: thousands of signed Stripe deliveries, redelivered, out of order,
with late failures and refunds, against carepay served by gunicorn on PostgreSQL.

    .venv/bin/python reliability/storm.py [--mode sync|task] [--invoices 2000]
        [--senders 8] [--web-workers 2] [--threads 4] [--task-workers 2]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--seed 1] [--keep]

1. Creates ``carepay_storm_<pid>`` on the server of ``--database-url``, migrates it
   (``reliability.settings``: the test host's settings, DEBUG off, Stripe at a fresh
   localstripe, ``WEBHOOK_PROCESSING`` from ``--mode``), dropped at the end.
2. Seeds the invoices through carepay's services, each paid by card at localstripe.
3. Serves the test host with gunicorn (gthread) on loopback; in task mode starts
   ``db_worker``s.
4. Storm, phase 1: every intent's ``payment_intent.succeeded`` (some twice at once,
   some again at once), ``processing``/``created`` after it, late
   ``payment_failed``. Phase 2, once phase 1 is applied: refunds by carepay's service
   and "from the dashboard" (straight at localstripe), each followed by
   ``refund.created`` and ``charge.refunded`` (some duplicated, some concurrently),
   mixed with later redeliveries of the successes and the late failures.
5. Waits until drained, checks the invariants in SQL (``reliability/invariants.py``)
   and prints them with events/s and latency. Exits 1 on any break.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reliability import host


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["sync", "task"], default="sync")
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--task-workers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get(
        "STORM_DATABASE_URL", host.DEFAULT_SERVER),
        help="a PostgreSQL server (any database on it); the storm creates its own")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    host.exit_cleanly_on_sigterm()
    load_before = os.getloadavg()
    with host.localstripe() as stripe_url, \
            host.throwaway_database(args.database_url, keep=args.keep) as database:
        env = host.environment(database, stripe_url, args.mode)
        host.setup_django(env, migrate=True)
        logging.disable(logging.WARNING)  # the driver's own: receipts nobody can get
        try:
            breaks = run(args, env, stripe_url)
        finally:
            from django.db import connections

            connections.close_all()
    print(f"load average before {_load(load_before)}, after {_load(os.getloadavg())}")
    sys.exit(1 if breaks else 0)


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def run(args: argparse.Namespace, env: dict[str, str], stripe_url: str) -> int:
    from reliability import invariants, seeding
    from reliability.sending import Answers, send
    from reliability.settings import WEBHOOK_SECRET
    from tests.backends.stripe.support import LocalStripe

    rng = random.Random(args.seed)
    server = LocalStripe(stripe_url)
    started = time.perf_counter()
    paid = seeding.seed(server, args.invoices, rng=rng)
    print(f"seeded {len(paid)} invoices paid at localstripe in "
          f"{time.perf_counter() - started:.1f} s")
    procs = host.Processes()
    try:
        url = procs.start_gunicorn(env, workers=args.web_workers, threads=args.threads)
        if args.mode == "task":
            procs.start_workers(env, args.task_workers)
        webhook = f"{url}/billing/webhooks/card/"
        answers = Answers()
        phase1, later = plan_phase1(paid, rng)
        wall1 = send(webhook, phase1, senders=args.senders, secret=WEBHOOK_SECRET,
                     answers=answers)
        drain1 = invariants.wait_drained()
        posts1 = len(answers.rows)
        refunds: dict[str, int] = {"service": 0, "dashboard": 0}
        phase2 = plan_phase2(paid, later, rng, server, refunds)
        wall2 = send(webhook, phase2, senders=args.senders, secret=WEBHOOK_SECRET,
                     answers=answers)
        answers.failures += finish_races()
        drain2 = invariants.wait_drained()
        time.sleep(0.5)
        checks = invariants.check_all(paid, server, answers, answers.seen)
    finally:
        procs.stop()
    logged = procs.errors_logged()
    report(args, answers, posts1, (wall1, drain1), (wall2, drain2), refunds, logged)
    breaks = invariants.print_checks(checks)
    print(f"\n{breaks} invariant breaks ({args.mode} mode)")
    if breaks:
        print(f"logs in {procs.logdir}")
    return breaks


def plan_phase1(paid: list[Any], rng: random.Random) -> tuple[list[list[Any]], list[Any]]:
    """Per invoice: the success (12 % twice at once, 10 % again straight after), 10 %
    a ``processing`` or ``created`` after it, 5 % a late ``payment_failed``. Returns the
    scripts and the deliveries kept back to be redelivered in phase 2."""
    from reliability import events
    from reliability.sending import Post

    scripts, later = [], []
    for p in paid:
        success = events.succeeded(p)
        script: list[Any] = [Post(success, concurrent=rng.random() < 0.12)]
        if rng.random() < 0.10:
            script.append(Post(success))
        if rng.random() < 0.10:
            script.append(Post(rng.choice([events.processing, events.created])(p)))
        if rng.random() < 0.05:
            failed = events.payment_failed(p)
            script.append(Post(failed))
            if rng.random() < 0.5:
                later.append(Post(failed))
        if rng.random() < 0.20:
            later.append(Post(success, concurrent=rng.random() < 0.2))
        scripts.append(script)
    rng.shuffle(scripts)
    return scripts, later


def plan_phase2(paid: list[Any], later: list[Any], rng: random.Random, server: Any,
                counts: dict[str, int]) -> list[list[Any]]:
    """10 % of the invoices refunded by carepay's service, 5 % from the dashboard,
    3 % both (a partial refund, then the dashboard refunds part of the rest); each
    refund's events follow it (half of them duplicated, half of those at once); the
    kept redeliveries (20 % of the successes) mixed in."""
    from reliability.sending import Call

    scripts: list[list[Any]] = [[post] for post in later]
    for p in rng.sample(paid, len(paid) // 5):
        roll = rng.random()
        plan: list[Any] = []
        if roll < 0.5:  # service: full or partial
            plan.append(("service", p.amount if rng.random() < 0.5
                         else rng.randint(1, p.amount - 1)))
        elif roll < 0.75:
            plan.append(("dashboard", rng.randint(1, p.amount)))
        else:
            first = rng.randint(1, p.amount - 1)
            plan += [("service", first), ("dashboard", rng.randint(1, p.amount - first))]
        script: list[Any] = []
        for how, amount in plan:
            counts[how] += 1
            script.append(Call(_refunder(server, p, how, amount, rng)))
        scripts.append(script)
    rng.shuffle(scripts)
    return scripts


def _refunder(server: Any, paid: Any, how: str, amount: int, rng: random.Random) -> Any:
    """The driver's refund: by carepay's service (which asks localstripe) or straight at
    localstripe as the dashboard does; returns the deliveries Stripe then sends.

    A third of the service's refunds race their own webhook: the service runs in a
    thread and ``refund.created`` is posted as soon as localstripe holds the refund,
    while the service may still be recording it (Stripe's event can beat its answer).
    """
    from reliability import events
    from reliability.sending import Post

    duplicate, at_once = rng.random() < 0.5, rng.random() < 0.5
    race = how == "service" and rng.random() < 0.33

    def act() -> list[Post]:
        if how == "service":
            refund_id = _service_refund(server, paid, amount, race=race)
        else:
            refund_id = server.dashboard_refund(events.charge_id(paid), amount)["id"]
        posts = [Post(event) for event in events.refund_events(server, refund_id)]
        rng.shuffle(posts)  # either may come first
        if duplicate:
            posts.append(Post(posts[0].event, concurrent=at_once))
        return posts

    return act


#: The racing refunds' threads and outcomes, joined once phase 2 is sent.
RACES: list[tuple[Any, dict[str, Any]]] = []


def finish_races() -> list[str]:
    """Wait for the racing refunds; return their failures."""
    failures = []
    for thread, outcome in RACES:
        thread.join(timeout=120)
        if thread.is_alive() or "error" in outcome:
            failures.append(f"racing service refund: {outcome.get('error', 'hung')!r}")
    return failures


def _service_refund(server: Any, paid: Any, amount: int, *, race: bool) -> str:
    """``services.refund_payment`` of ``amount`` (minor units); with ``race``, in a
    thread, returning the refund's id as soon as localstripe has it."""
    import threading

    from django.db import connection

    from django_carepay import services
    from django_carepay.models import Payment
    from reliability import events

    def refund() -> str:
        payment = Payment.objects.get(pk=paid.payment_id)
        return str(services.refund_payment(payment, amount=Decimal(amount) / 100,
                                           reason="storm").provider_reference)

    if not race:
        return refund()
    charge = events.charge_id(paid)
    known = {r.id for r in server.client.v1.refunds.list({"charge": charge, "limit": 100})}
    outcome: dict[str, Any] = {}

    def in_thread() -> None:
        try:
            outcome["id"] = refund()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=in_thread)
    thread.start()
    RACES.append((thread, outcome))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        fresh = [r.id for r in server.client.v1.refunds.list({"charge": charge, "limit": 100})
                 if r.id not in known]
        if fresh:
            # The thread finishes on its own; its outcome is checked after phase 2.
            outcome["overlapped"] = thread.is_alive()
            return str(fresh[0])
        if not thread.is_alive():
            break
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome["id"])


def report(args: argparse.Namespace, answers: Any, posts1: int, phase1: tuple[float, float],
           phase2: tuple[float, float], refunds: dict[str, int], logged: list[str]) -> None:
    rows = answers.rows
    p50, p99 = answers.latency()
    wall = phase1[0] + phase2[0]
    print(f"\n== webhook storm, {args.mode} mode: gunicorn {args.web_workers} workers x "
          f"{args.threads} threads"
          + (f", {args.task_workers} db_workers" if args.mode == "task" else "")
          + f", {args.senders} senders ==")
    print(f"invoices {args.invoices}; deliveries {len(rows)} ({len(answers.seen)} events, "
          f"{answers.redeliveries} redeliveries = "
          f"{100 * answers.redeliveries / max(1, len(rows)):.0f} %)")
    overlapped = sum(1 for _t, outcome in RACES if outcome.get("overlapped"))
    print(f"refunds: {refunds['service']} by the service ({len(RACES)} racing their "
          f"webhook, {overlapped} still recording when it was sent), "
          f"{refunds['dashboard']} from the dashboard")
    types: dict[str, int] = {}
    for _s, _l, _f, event_type in rows:
        types[event_type] = types.get(event_type, 0) + 1
    print("by type:", ", ".join(f"{t} {n}" for t, n in sorted(types.items())))
    print("answers:", ", ".join(f"{code or 'none'}: {n}"
                                for code, n in sorted(answers.by_status.items())))
    print(f"phase 1: {posts1} deliveries in {phase1[0]:.1f} s "
          f"({posts1 / phase1[0]:.0f}/s), drained {phase1[1]:.1f} s later")
    print(f"phase 2: {len(rows) - posts1} deliveries and {answers.calls} refunds in "
          f"{phase2[0]:.1f} s, drained {phase2[1]:.1f} s later")
    print(f"throughput {len(rows) / wall:.0f} deliveries/s; latency p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms")
    if logged:
        print(f"{len(logged)} error lines logged by gunicorn/db_worker, e.g.:")
        for line in logged[:5]:
            print("   ", line[:300])
    print()


if __name__ == "__main__":
    main()
