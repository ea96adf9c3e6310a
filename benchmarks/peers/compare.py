"""carepay beside its peers, interleaved in one run (not part of ``make test``).

    .venv/bin/python benchmarks/peers/compare.py [--n 500] [--rounds 3]
        [--peers carepay,getpaid,payments,djstripe,carepay-task] [--carepay-before SRC]
        [--database-url URL]

Each round runs every peer once, in turn (A B C A B C …, so a noisy machine slows all
of them alike), each in its own venv (benchmarks/peers/.venvs/<peer>, see README.md;
carepay runs in the repository's .venv) through harness.py. Prints the machine's load,
each round's events/s, and a table of medians: events/s and statements per event
(with and without BEGIN/COMMIT) for first deliveries and duplicates, credited count,
double credits, the harness process's CPU ms per first delivery (the Python side,
without the database server's work), and the ratio carepay / best peer. ``floor``
(peer_floor.py) is not a peer: a receiver that only verifies and parses, the most
any peer can reach here; each peer's milliseconds per event above it are printed.
``floor-durable`` and ``floor-ledger`` are not peers either: the floor plus one
durable INSERT of the event (the most any receiver that stores an event before
acknowledging it can reach), and carepay's five statements in hand-written SQL on
narrow tables (the most carepay's shape of a first delivery can reach).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
#: The venv each peer runs in; carepay's is the repository's own.
VENVS = {"carepay": ROOT / ".venv", "carepay-task": ROOT / ".venv",
         "floor": ROOT / ".venv", "floor-durable": ROOT / ".venv",
         "floor-ledger": ROOT / ".venv",
         "getpaid": HERE / ".venvs" / "getpaid", "payments": HERE / ".venvs" / "payments",
         "djstripe": HERE / ".venvs" / "djstripe"}
#: What carepay is measured against (not itself in task mode).
PEERS = ("getpaid", "payments", "djstripe")


def run_round(peer: str, n: int, database_url: str, before: str = "") -> dict[str, float]:
    python = VENVS[peer.removesuffix("-before")] / "bin" / "python"
    env = {**os.environ, "CAREPAY_SRC": before} if peer.endswith("-before") else None
    done = subprocess.run(
        [str(python), str(HERE / "harness.py"), peer, "--n", str(n),
         "--database-url", database_url],
        capture_output=True, text=True, check=False, cwd=HERE, env=env)
    if done.returncode:
        sys.exit(f"{peer} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peers", default="carepay,getpaid,payments,djstripe,carepay-task,floor")
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--carepay-before", metavar="SRC", default="",
                        help="also run carepay from another checkout's src/ (e.g. the "
                             "commit before a change), as the peer carepay-before")
    args = parser.parse_args()
    peers = args.peers.split(",")
    if args.carepay_before:
        peers.insert(1, "carepay-before")
    print(f"load before: {os.getloadavg()}")
    results: dict[str, list[dict[str, float]]] = {peer: [] for peer in peers}
    for i in range(args.rounds):
        for peer in peers:
            result = run_round(peer, args.n, args.database_url, args.carepay_before)
            results[peer].append(result)
            print(f"round {i + 1} {peer:>13}: {result['first_per_s']:7.0f} first/s "
                  f"{result['dup_per_s']:7.0f} duplicates/s "
                  f"{result.get('first_cpu_ms', 0):5.2f} CPU ms/first", flush=True)
    print(f"load after: {os.getloadavg()}\n")
    table = {peer: {key: statistics.median(r[key] for r in rounds)
                    for key in rounds[0] if key != "peer"}
             for peer, rounds in results.items()}
    print(f"{'':>13} {'first/s':>8} {'stmts':>6} {'w/o tx':>6} {'dup/s':>8} {'stmts':>6} "
          f"{'w/o tx':>6} {'credited':>8} {'double':>6} {'cpu ms':>6}")
    for peer, row in table.items():
        print(f"{peer:>13} {row['first_per_s']:8.0f} {row['first_statements']:6.2f} "
              f"{row['first_statements_no_tx']:6.2f} {row['dup_per_s']:8.0f} "
              f"{row['dup_statements']:6.2f} {row['dup_statements_no_tx']:6.2f} "
              f"{row['credited']:8.0f} {row['double_credits']:6.0f} "
              f"{row.get('first_cpu_ms', 0):6.2f}")
    others = [p for p in peers if p in PEERS]
    if "carepay" in table and others:
        best_first = max(others, key=lambda p: table[p]["first_per_s"])
        best_dup = max(others, key=lambda p: table[p]["dup_per_s"])
        print(f"\ncarepay / best peer, first deliveries: "
              f"{table['carepay']['first_per_s'] / table[best_first]['first_per_s']:.2f}x "
              f"({best_first}); duplicates: "
              f"{table['carepay']['dup_per_s'] / table[best_dup]['dup_per_s']:.2f}x "
              f"({best_dup})")
        # Each round's own ratio: the two ran a few seconds apart, so a load that
        # comes and goes between rounds cancels out better than in the medians' ratio.
        paired = [mine["first_per_s"] / theirs["first_per_s"]
                  for mine, theirs in zip(results["carepay"], results[best_first],
                                          strict=True)]
        print(f"round by round, first deliveries, carepay / {best_first}: "
              + ", ".join(f"{r:.2f}x" for r in paired)
              + f" (median {statistics.median(paired):.2f}x)")
        if "carepay-task" in table:
            ack = table["carepay-task"]["first_per_s"] / table[best_first]["first_per_s"]
            print(f"carepay task-mode acknowledge / best peer's first deliveries: "
                  f"{ack:.2f}x")
        for reference, what in (("floor-durable", "verify, parse, one durable INSERT"),
                                ("floor-ledger", "carepay's five statements, hand-written "
                                                 "SQL, four narrow tables")):
            if reference in table:
                ratio = table[reference]["first_per_s"] / table[best_first]["first_per_s"]
                print(f"{reference} ({what}) / best peer's first deliveries: {ratio:.2f}x")
        if "floor" in table:
            floor = table["floor"]["first_per_s"]
            print(f"the harness's floor (verify and parse, no database): {floor:.0f}/s, "
                  f"{floor / table[best_first]['first_per_s']:.2f}x {best_first}; "
                  f"time per event above it: " + ", ".join(
                      f"{p} {1000 / table[p]['first_per_s'] - 1000 / floor:.2f} ms"
                      for p in table if p != "floor"))


if __name__ == "__main__":
    main()
