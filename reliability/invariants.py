"""What must hold after a storm, checked in SQL against carepay's real tables and
compared with what localstripe (the provider's truth) holds.

Each check returns ``(name, checked, breaks, examples)``; any break fails the run.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from .seeding import Paid
from .sending import Answers

Check = tuple[str, int, int, list[str]]


def _tables() -> dict[str, str]:
    from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent

    return {"invoice": Invoice._meta.db_table, "payment": Payment._meta.db_table,
            "ledger": Transaction._meta.db_table, "event": WebhookEvent._meta.db_table}


def _rows(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return list(cursor.fetchall())


def pending_work() -> tuple[int, int]:
    """Deliveries still ``received`` and tasks still queued or running."""
    received = _rows("SELECT count(*) FROM {event} WHERE status = 'received'")[0][0]
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return received, 0
    table = DBTaskResult._meta.db_table
    queued = _rows(f"SELECT count(*) FROM {table} WHERE status IN ('READY', 'RUNNING')")[0][0]
    return received, queued


def wait_drained(timeout: float = 900) -> float:
    """Wait until no delivery is ``received`` and no task is queued or running;
    return the seconds waited (raises on timeout)."""
    started = time.perf_counter()
    while True:
        received, queued = pending_work()
        if not received and not queued:
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not drained after {timeout} s: {received} deliveries "
                               f"received, {queued} tasks queued or running")
        time.sleep(0.2)


def provider_truth(server: Any) -> tuple[dict[str, int], dict[str, tuple[str, int, str]]]:
    """localstripe's PaymentIntents (id → amount received, minor units) and refunds
    (id → (intent, amount, status)), listed 100 a page."""
    intents = {pi.id: int(pi.amount) for pi in server.client.v1.payment_intents.list(
        {"limit": 100}).auto_paging_iter() if pi.status == "succeeded"}
    refunds = {r.id: (str(r.payment_intent), int(r.amount), str(r.status))
               for r in server.client.v1.refunds.list({"limit": 100}).auto_paging_iter()}
    return intents, refunds


def _check(name: str, checked: int, problems: list[str]) -> Check:
    return name, checked, len(problems), problems[:5]


def check_all(paid: list[Paid], server: Any, answers: Answers, sent_ids: set[str]
              ) -> list[Check]:
    intents, refunds = provider_truth(server)
    ours = {p.intent_id: p for p in paid}
    checks: list[Check] = []

    # 1. Every invoice paid exactly once, for its total; refunded only if fully.
    invoice_rows = _rows("""
        SELECT i.id, i.status, i.total, i.amount_paid, i.amount_refunded,
               count(t.id) FILTER (WHERE t.kind = 'charge'),
               coalesce(sum(t.amount) FILTER (WHERE t.kind = 'charge'), 0),
               coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund'), 0),
               coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund_reversal'), 0)
        FROM {invoice} i LEFT JOIN {ledger} t ON t.invoice_id = i.id
        WHERE i.id = ANY(%s) GROUP BY i.id""", [[p.invoice_id for p in paid]])
    problems = []
    for inv, status, total, paid_, refunded, charges, charged, *_sums in invoice_rows:
        expected = "refunded" if refunded == paid_ and refunded > 0 else "paid"
        if charges != 1 or charged != total or paid_ != total or status != expected:
            problems.append(f"invoice {inv}: {status} (expected {expected}), total {total}, "
                            f"paid {paid_}, {charges} charges of {charged}")
    missing = len(paid) - len(invoice_rows)
    problems += [f"{missing} invoices missing"] if missing else []
    checks.append(_check("invoice paid exactly once (status, paid = total)", len(paid),
                         problems))

    # 2. One ledger charge per PaymentIntent, of localstripe's exact amount.
    charge_rows = _rows("SELECT provider_reference, count(*), sum(amount) FROM {ledger} "
                        "WHERE kind = 'charge' GROUP BY provider_reference")
    problems = []
    seen = set()
    for ref, count, amount in charge_rows:
        seen.add(ref)
        if ref not in ours:
            problems.append(f"charge {ref} is not one of the storm's intents")
        elif count != 1 or ref not in intents or amount != Decimal(intents[ref]) / 100:
            problems.append(f"{ref}: {count} charges of {amount}, localstripe "
                            f"{intents.get(ref)}")
    problems += [f"{ref}: no charge in the ledger" for ref in ours if ref not in seen]
    checks.append(_check("one ledger charge per intent = localstripe's amount", len(ours),
                         problems))

    # 3. Every refund at localstripe exactly once in the ledger, of its amount.
    refund_rows = _rows("""SELECT t.provider_reference, p.provider_reference, count(*),
                                  sum(t.amount)
                           FROM {ledger} t JOIN {payment} p ON p.id = t.payment_id
                           WHERE t.kind = 'refund' GROUP BY 1, 2""")
    problems = []
    recorded = {}
    for ref, intent, count, amount in refund_rows:
        recorded[ref] = (intent, count, amount)
        truth = refunds.get(ref)
        if truth is None or count != 1 or truth[0] != intent \
                or amount != Decimal(truth[1]) / 100 or truth[2] != "succeeded":
            problems.append(f"refund {ref} of {intent}: {count} x {amount}, "
                            f"localstripe {truth}")
    problems += [f"refund {ref} at localstripe, not in the ledger"
                 for ref in refunds if ref not in recorded]
    reversals = _rows("SELECT count(*) FROM {ledger} WHERE kind = 'refund_reversal'")[0][0]
    problems += [f"{reversals} refund reversals"] if reversals else []
    checks.append(_check("each refund once in the ledger = localstripe's", len(refunds),
                         problems))

    # 4. No delivery left unprocessed; every event sent stored once.
    by_status = dict(_rows("SELECT status, count(*) FROM {event} GROUP BY status"))
    stored = sum(by_status.values())
    attention = _rows("SELECT event_id, type, error FROM {event} WHERE needs_attention")
    problems = [f"{count} deliveries {status}" for status, count in by_status.items()
                if status in ("received", "failed")]
    problems += [f"{stored} events stored, {len(sent_ids)} sent"] if stored != len(sent_ids) \
        else []
    problems += [f"needs attention: {t} {e}: {err[:150]}" for e, t, err in attention]
    checks.append(_check("no webhook event unprocessed or flagged", len(sent_ids), problems))

    # 5. Cached totals equal ledger sums (every invoice and payment).
    problems = [f"invoice {i}: paid {a}/{c}, refunded {b}/{r}" for i, a, b, c, r in _rows("""
        SELECT i.id, i.amount_paid, i.amount_refunded,
          coalesce(sum(t.amount) FILTER (WHERE t.kind = 'charge'), 0),
          coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund'), 0)
            - coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund_reversal'), 0)
        FROM {invoice} i LEFT JOIN {ledger} t ON t.invoice_id = i.id GROUP BY i.id
        HAVING i.amount_paid <> coalesce(sum(t.amount) FILTER (WHERE t.kind = 'charge'), 0)
           OR i.amount_refunded <>
              coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund'), 0)
              - coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund_reversal'), 0)""")]
    payment_rows = _rows("""
        SELECT p.id, p.status, p.amount_received, p.amount_refunded,
          coalesce(sum(t.amount) FILTER (WHERE t.kind = 'charge'), 0),
          coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund'), 0)
            - coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund_reversal'), 0)
        FROM {payment} p LEFT JOIN {ledger} t ON t.payment_id = p.id GROUP BY p.id""")
    for pk, status, received, refunded, charged, back in payment_rows:
        expected = ("refunded" if back == received else "partially_refunded") if back \
            else "succeeded"
        if received != charged or refunded != back or status != expected:
            problems.append(f"payment {pk}: {status} (expected {expected}), received "
                            f"{received}/{charged}, refunded {refunded}/{back}")
    checks.append(_check("cached totals = ledger sums (invoices, payments)",
                         len(invoice_rows) + len(payment_rows), problems))

    # 6. No 5xx, every delivery answered, every driver action done (one line each).
    problems = list(answers.failures)
    checks.append(_check("no 5xx or unanswered delivery", len(answers.rows), problems))
    return checks


def print_checks(checks: list[Check]) -> int:
    """Print the table; return the number of breaks."""
    width = max(len(name) for name, *_ in checks)
    print(f"{'invariant':<{width}}  {'checked':>8}  {'breaks':>6}")
    for name, checked, breaks, examples in checks:
        print(f"{name:<{width}}  {checked:>8}  {breaks:>6}")
        for example in examples:
            print(f"{'':<{width}}    ! {example}")
    return sum(breaks for _n, _c, breaks, _e in checks)

