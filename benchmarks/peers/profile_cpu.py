"""Where one peer's Python time goes: a cProfile of its first deliveries, timed by
CPU (``time.process_time``), so waiting for the database server counts for nothing and
a loaded machine distorts it less than wall time (not part of ``make test``).

    <venv>/bin/python benchmarks/peers/profile_cpu.py PEER [--n 300] [--out FILE]

The same settings, events and throw-away database as ``harness.py`` (named
``<PEER_DB_PREFIX>_<peer>``); 20 deliveries to warm up, N timed without the profiler
(CPU ms per event), N more profiled: function calls per event (deterministic: the
figure to compare between commits), then the top 25 functions by own and by
cumulative CPU time. ``CAREPAY_SRC`` profiles another checkout's carepay.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import harness


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--out", default="first-deliveries.prof")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    module = harness.configure(args.peer, args.database_url)

    from django.db import connection
    from django.test import Client

    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        client = Client()
        events = module.prepare(harness.WARM_UP + 2 * args.n)  # type: ignore[attr-defined]
        harness.post_all(client, events[:harness.WARM_UP])
        timed, profiled = events[harness.WARM_UP:-args.n], events[-args.n:]
        _wall, cpu = harness.timed_post_all(client, timed)
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        harness.post_all(client, profiled)
        profile.disable()
        profile.dump_stats(args.out)
    finally:
        connection.close()
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    stats = pstats.Stats(args.out)
    print(f"{args.peer}: {1000 * cpu / args.n:.2f} CPU ms per event unprofiled, "
          f"{stats.total_calls / args.n:.0f} function calls per event profiled")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
