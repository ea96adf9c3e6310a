"""Helpers for races with real threads and real row locks (PostgreSQL only)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

THREAD_TIMEOUT = 60


def run_in_threads(count: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``work(i)`` in ``count`` threads released together; return each thread's
    ``("ok", result)`` or ``("error", exception)``."""
    barrier = threading.Barrier(count)
    outcomes: list[tuple[str, Any]] = [("missing", None)] * count

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[i] = ("ok", work(i))
        except Exception as exc:  # handed to the test to assert on
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def blocked_on_locks() -> int:
    """How many other sessions of this database are waiting for a lock."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction and cached; we poll from
        # inside one, so drop the cached copy first.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class HoldUntilBlocked:
    """A receiver action: the first time it runs, it keeps its transaction (and the
    invoice lock) open until ``waiters`` other sessions are blocked on a lock.

    ``overlapped`` tells the test the race really happened; a test asserts it, so a
    race that merely ran one after the other cannot pass by luck.
    """

    def __init__(self, waiters: int) -> None:
        self.waiters = waiters
        self.overlapped = False
        self._first = threading.Event()

    def __call__(self, **kwargs: Any) -> None:
        if self._first.is_set():
            return
        self._first.set()
        deadline = time.monotonic() + 10
        while blocked_on_locks() < self.waiters:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        self.overlapped = True


def errors(outcomes: list[tuple[str, Any]]) -> list[Exception]:
    return [value for kind, value in outcomes if kind == "error"]


def successes(outcomes: list[tuple[str, Any]]) -> list[Any]:
    return [value for kind, value in outcomes if kind == "ok"]
