"""Fuzz for the reliability suite: malformed signed webhooks in both processing modes,
then the money properties over every ISO 4217 currency with many more examples.

    .venv/bin/python reliability/fuzz.py [--n 5000] [--database-url URL] [--only PART]

Runs, each as its own process, and exits 1 if any fails:

* ``webhooks-sync``: ``benchmarks/webhook_fuzz.py --n N`` (the view applies each
  delivery), on a throw-away PostgreSQL database ``carepay_faults_fuzz_sync``;
* ``webhooks-task``: the same with ``--mode task`` (the view stores, ``db_worker``
  applies), on ``carepay_faults_fuzz_task``;
* ``money``: ``pytest tests/test_money_iso4217.py tests/test_money_properties.py``
  with ``HYPOTHESIS_PROFILE=reliability`` (tests/conftest.py), on SQLite.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("webhooks-sync", "webhooks-task", "money")


def commands(n: int, database_url: str, seed: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    fuzz = [sys.executable, str(ROOT / "benchmarks" / "webhook_fuzz.py"), "--n", str(n),
            "--seed", str(seed), "--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {
        "webhooks-sync": ([*fuzz, "--mode", "sync", "--test-database",
                           "carepay_faults_fuzz_sync"], env),
        "webhooks-task": ([*fuzz, "--mode", "task", "--test-database",
                           "carepay_faults_fuzz_task"], env),
        "money": ([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "--hypothesis-show-statistics", "tests/test_money_iso4217.py",
                   "tests/test_money_properties.py"],
                  {**env, "HYPOTHESIS_PROFILE": "reliability"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="deliveries per webhook mode")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/carepay_faults"))
    parser.add_argument("--only", choices=PARTS, action="append")
    args = parser.parse_args()
    failed = []
    for part, (command, env) in commands(args.n, args.database_url, args.seed).items():
        if args.only and part not in args.only:
            continue
        print(f"== {part} ==", flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True,
                              check=False)
        output = done.stdout
        if part == "money":
            output = summarize_hypothesis(output)
        print(output.rstrip())
        if done.returncode:
            print(done.stderr[-4000:].rstrip(), file=sys.stderr)
            failed.append(part)
        print(f"-- {part}: exit {done.returncode} in {time.perf_counter() - started:.0f} s",
              flush=True)
    print(f"\nfuzz: {len(failed)} of the parts failed" + (f": {failed}" if failed else ""))
    sys.exit(1 if failed else 0)


def summarize_hypothesis(output: str) -> str:
    """pytest's summary line and the examples hypothesis ran in all (its statistics
    are one block per test)."""
    # One line a phase of each test: "- 200 passing, 0 failing, and 0 invalid test cases"
    # (older hypothesis: "- 200 passing examples, 0 failing examples, …").
    counts = re.findall(r"- (\d+) passing(?: examples)?, (\d+) failing", output)
    passing = [int(p) for p, _f in counts]
    failing = [int(f) for _p, f in counts]
    tests = len(re.findall(r"^\S+::\S+:$", output, flags=re.MULTILINE))
    summary = [line for line in output.splitlines()
               if re.search(r"\d+ (passed|failed)", line)]
    return "\n".join([
        f"hypothesis: {tests} tests, {sum(passing)} passing examples, "
        f"{sum(failing)} failing",
        *summary,
    ])


if __name__ == "__main__":
    main()
