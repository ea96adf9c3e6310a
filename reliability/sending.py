"""The senders: threads posting signed deliveries to carepay over real HTTP.

Work comes as *scripts*, one per invoice: steps run in order by one sender (so an
invoice's late events really arrive after its success), while the scripts of other
invoices run on the other senders at the same time. A step is a :class:`Post` (one
delivery, or with ``concurrent`` the same delivery twice at once) or a :class:`Call`
(the driver acting — a refund — and returning the deliveries that follow it).
Every delivery is signed when it is sent, as Stripe signs each attempt.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class Post:
    event: dict[str, Any]
    concurrent: bool = False


@dataclass
class Call:
    act: Callable[[], list[Post]]


Step = Post | Call


@dataclass
class Answers:
    """Every answer: status code (0: no answer), latency, first delivery or not."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: list[tuple[int, float, bool, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    calls: int = 0

    def first(self, event_id: str) -> bool:
        with self.lock:
            if event_id in self.seen:
                return False
            self.seen.add(event_id)
            return True

    def add(self, status: int, latency: float, first: bool, event_type: str) -> None:
        with self.lock:
            self.rows.append((status, latency, first, event_type))

    @property
    def by_status(self) -> Counter[int]:
        return Counter(status for status, *_ in self.rows)

    @property
    def redeliveries(self) -> int:
        return sum(1 for _s, _l, first, _t in self.rows if not first)

    def latency(self, *, first_only: bool = False) -> tuple[float, float]:
        """p50 and p99 in milliseconds."""
        values = sorted(lat for _s, lat, first, _t in self.rows if first or not first_only)
        if not values:
            return 0.0, 0.0
        return (1000 * values[len(values) // 2],
                1000 * values[min(len(values) - 1, int(len(values) * 0.99))])


def _post(session: Any, url: str, event: dict[str, Any], secret: str, answers: Answers,
          first: bool) -> None:
    import stripe

    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    started = time.perf_counter()
    try:
        response = session.post(url, data=body.encode(), timeout=120, headers={
            "Content-Type": "application/json", "Stripe-Signature": header})
        status = response.status_code
        if status >= 500:
            answers.failures.append(f"{status} {event['type']} {event['id']}: "
                                    f"{response.text[:200]}")
    except requests.RequestException as exc:
        status = 0
        answers.failures.append(f"no answer {event['type']} {event['id']}: {exc}")
    answers.add(status, time.perf_counter() - started, first, event["type"])


def _run_step(step: Step, session: Any, url: str, secret: str, answers: Answers) -> None:
    if isinstance(step, Call):
        with answers.lock:
            answers.calls += 1
        for post in step.act():
            _run_step(post, session, url, secret, answers)
        return
    first = answers.first(step.event["id"])
    if not step.concurrent:
        _post(session, url, step.event, secret, answers, first)
        return
    # The same delivery twice at once (Stripe retrying while the first is in flight).
    barrier = threading.Barrier(2)

    def twin() -> None:
        barrier.wait(timeout=30)
        _post(requests, url, step.event, secret, answers, False)

    helper = threading.Thread(target=twin)
    helper.start()
    barrier.wait(timeout=30)
    _post(session, url, step.event, secret, answers, first)
    helper.join()


def send(url: str, scripts: Sequence[Sequence[Step]], *, senders: int, secret: str,
         answers: Answers) -> float:
    """Run ``scripts`` on ``senders`` threads against the webhook ``url``; return the
    wall time in seconds. A step that raises is recorded and ends its script only."""
    from django.db import connection

    work: queue.SimpleQueue[Sequence[Step]] = queue.SimpleQueue()
    for script in scripts:
        work.put(script)

    def sender() -> None:
        session = requests.Session()
        try:
            while True:
                try:
                    script = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    for step in script:
                        _run_step(step, session, url, secret, answers)
                except Exception as exc:  # a driver action failed: a finding, not a crash
                    answers.failures.append(f"driver step failed: {type(exc).__name__}: {exc}")
        finally:
            session.close()
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
