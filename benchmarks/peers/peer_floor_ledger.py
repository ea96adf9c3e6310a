"""Not a peer: carepay's round trips with the least data. A first delivery runs
what carepay's does (the duplicate look-up; BEGIN and a select locking the payment
and its invoice; one statement that marks the payment succeeded, adds the ledger
row, credits the invoice and stores the event; COMMIT), in hand-written SQL, on four
narrow tables with only their keys and the indexes that look-up and lock need.

No ORM, no model instances, no state machine, no signals, no audit entry, none of
the indexes the console and the API read by: its events/s is what these five
statements cost when nothing else is done, the most carepay's shape of a first
delivery can reach here. A duplicate costs the look-up.
"""

from __future__ import annotations

import peer_floor

APPS: list[str] = []
SETTINGS: dict[str, object] = {}
TABLES = (
    "CREATE TABLE floor_invoice (id bigserial PRIMARY KEY, total numeric NOT NULL, "
    "amount_paid numeric NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'open')",
    "CREATE TABLE floor_payment (id bigserial PRIMARY KEY, invoice_id bigint NOT NULL "
    "REFERENCES floor_invoice, reference text NOT NULL UNIQUE, amount numeric NOT NULL, "
    "status text NOT NULL DEFAULT 'pending')",
    "CREATE TABLE floor_ledger (id bigserial PRIMARY KEY, payment_id bigint NOT NULL "
    "REFERENCES floor_payment, invoice_id bigint NOT NULL REFERENCES floor_invoice, "
    "amount numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE floor_event (id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, "
    "type text NOT NULL, body text NOT NULL, status text NOT NULL)",
)
LOCK = ("SELECT p.id, p.status, p.amount, i.id FROM floor_payment p JOIN floor_invoice i "
        "ON i.id = p.invoice_id WHERE p.reference = %s FOR UPDATE OF p, i")
CHARGE = (
    "WITH paid AS (UPDATE floor_payment SET status = 'succeeded' "
    "WHERE id = %(payment)s AND status = 'pending'), "
    "ledger AS (INSERT INTO floor_ledger (payment_id, invoice_id, amount) "
    "VALUES (%(payment)s, %(invoice)s, %(amount)s)), "
    "invoice AS (UPDATE floor_invoice SET amount_paid = amount_paid + %(amount)s, "
    "status = CASE WHEN amount_paid + %(amount)s >= total THEN 'paid' ELSE status END "
    "WHERE id = %(invoice)s) "
    "INSERT INTO floor_event (event_id, type, body, status) "
    "VALUES (%(event)s, %(type)s, %(body)s, 'processed')")


def receive(request):  # type: ignore[no-untyped-def]
    from django.db import connection, transaction
    from django.http import HttpResponse, HttpResponseBadRequest

    delivery = peer_floor.verified(request)
    if delivery is None:
        return HttpResponseBadRequest("refused")
    body, event = delivery
    with connection.cursor() as cursor:
        cursor.execute("SELECT status FROM floor_event WHERE event_id = %s", [event["id"]])
        if cursor.fetchone() is None:
            with transaction.atomic():
                cursor.execute(LOCK, [event["data"]["object"]["id"]])
                payment, status, amount, invoice = cursor.fetchone()
                if status == "pending":
                    cursor.execute(CHARGE, {
                        "payment": payment, "invoice": invoice, "amount": amount,
                        "event": event["id"], "type": event["type"], "body": body})
    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        return peer_floor.urls(receive)
    raise AttributeError(name)


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(table)
        cursor.execute("INSERT INTO floor_invoice (total) "
                       "SELECT 80 FROM generate_series(1, %s)", [n])
        # The floor's events name pi_floor<i>, i from 0.
        cursor.execute("INSERT INTO floor_payment (invoice_id, reference, amount) "
                       "SELECT id, 'pi_floor' || lpad((id - 1)::text, 20, '0'), 80 "
                       "FROM floor_invoice ORDER BY id")
    return peer_floor.prepare(n)


def _count(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def credited() -> int:
    return _count("SELECT count(*) FROM floor_payment WHERE status = 'succeeded'")


def double_credits() -> int:
    return _count("SELECT count(*) FROM floor_invoice WHERE amount_paid > total")
