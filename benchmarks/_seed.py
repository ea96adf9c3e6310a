"""A realistic billing history of N invoices, written with PostgreSQL's COPY.

The clinic's history grows, not its day: about ``PER_DAY`` invoices are issued a day, so
1,000 invoices are the last 25 days and 100,000 invoices the last ~7 years. What an
invoice became depends on its age, as in a real ledger:

- not yet due (under 30 days): half open, 40 % paid, a few transfers awaiting
  approval, a few void, a few drafts among the last week's;
- 30-120 days: mostly paid; overdue, partly paid, refunded, overpaid (paid twice) and
  void ones;
- older: paid, with written-off (uncollectible), void, refunded and a residue of
  debts still overdue.

Customers: one per ``PER_CUSTOMER`` invoices (so a patient has ~25 invoices whatever the
clinic's size); currencies GBP 85 %, EUR 10 %, USD 5 %; 1-3 lines an invoice; payments
by cash, card terminal, online card and bank transfer, a failed card attempt on some;
the ledger (charges, refunds) consistent with the invoices' and payments' cached
totals; a webhook delivery per online payment, a few failed or flagged.

Rows are built in Python (seeded ``random``, so every run is the same) and written
with ``COPY … FROM STDIN`` through psycopg 3: 100,000 invoices (~0.6 M rows) take
seconds, where saving models would take many minutes.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

PER_DAY = 40
PER_CUSTOMER = 25
TERMS = 30
PRICES = [Decimal(p) for p in ("45.00", "65.00", "80.00", "95.00", "120.00", "150.00")]
TZ = ZoneInfo("Europe/London")


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), TZ)


class History:
    """Accumulates rows per table, with explicit ids so foreign keys can be written
    before the rows they point to exist."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            "user": [], "invoice": [], "line": [], "payment": [], "txn": [], "webhook": []}
        self.ids: Counter[str] = Counter()

    def add(self, table: str, **values: Any) -> int:
        self.ids[table] += 1
        values.setdefault("id", self.ids[table])
        self.rows[table].append(values)
        return int(values["id"])


def build(n: int, today: date, *, seed: int = 15) -> tuple[History, int]:
    """``n`` invoices ending ``today``; returns the rows and the id of a customer with
    the median number of invoices (the payer the benchmark logs in as)."""
    rng = random.Random(seed)
    h = History()
    customers = max(1, n // PER_CUSTOMER)
    for c in range(customers):
        h.add("user", username=f"patient{c:06d}", email=f"patient{c:06d}@example.com",
              first_name="Pat", last_name=f"{c:06d}")
    staff_id = h.add("user", username="finance", is_staff=True)
    per_customer: Counter[int] = Counter()
    seq: Counter[int] = Counter()
    for i in range(n):
        age = int(i / PER_DAY)
        issued_day = today - timedelta(days=age)
        customer = rng.randint(1, customers)
        per_customer[customer] += 1
        currency = rng.choices(("GBP", "EUR", "USD"), (85, 10, 5))[0]
        _invoice(h, rng, issued_day, today, age, customer, currency, seq, staff_id)
    median = sorted(per_customer.items(), key=lambda kv: kv[1])[len(per_customer) // 2][0]
    return h, median


def _story(rng: random.Random, age: int) -> str:
    if age < 7 and rng.random() < 0.01:
        return "draft"
    if age < TERMS:
        return rng.choices(("open", "paid", "awaiting", "void"), (52, 40, 4, 4))[0]
    if age < 120:
        return rng.choices(("paid", "overdue", "partly", "refunded", "overpaid", "void"),
                           (82, 8, 3, 3, 1, 3))[0]
    return rng.choices(("paid", "overdue", "uncollectible", "void", "refunded"),
                       (92, 2, 3, 1, 2))[0]


def _invoice(h: History, rng: random.Random, issued_day: date, today: date, age: int,
             customer: int, currency: str, seq: Counter[int], staff_id: int) -> None:
    story = _story(rng, age)
    lines = [(rng.choice(PRICES), rng.randint(1, 2)) for _ in range(rng.randint(1, 3))]
    total = sum((price * qty for price, qty in lines), Decimal(0))
    issued_at = _moment(issued_day, rng)
    draft = story == "draft"
    number = None
    if not draft:
        seq[issued_day.year] += 1
        number = f"INV-{issued_day.year}-{seq[issued_day.year]:05d}"
    status = {"draft": "draft", "open": "open", "awaiting": "open", "overdue": "overdue",
              "partly": "overdue", "paid": "paid", "overpaid": "paid", "refunded": "refunded",
              "void": "void", "uncollectible": "uncollectible"}[story]
    paid_at = closed_at = None
    invoice_id = h.ids["invoice"] + 1
    charges: list[tuple[str, Decimal, datetime, str]] = []  # backend, amount, when, status
    refund = Decimal(0)
    if story in ("paid", "overpaid", "refunded", "partly"):
        when = _moment(min(today, issued_day + timedelta(days=rng.randint(0, min(age, 40)))),
                       rng)
        if when > datetime.combine(today, time(23, 59), TZ):
            when = issued_at
        when = max(when, issued_at)
        backend = rng.choices(("cash", "terminal", "online", "transfer"), (35, 20, 40, 5))[0]
        amount = total if story != "partly" else (total / 2).quantize(Decimal("0.01"))
        charges.append((backend, amount, when, "succeeded"))
        if story == "overpaid":
            charges.append(("online", total, when + timedelta(minutes=3), "succeeded"))
        if story != "partly":
            paid_at = when
    if story == "refunded":
        refund = total
    if story in ("void", "uncollectible"):
        closed_at = issued_at + timedelta(days=min(age, rng.randint(1, 60)))
    received = sum((c[1] for c in charges), Decimal(0))
    h.add("invoice", public_id=uuid.uuid4(), number=number, status=status, currency=currency,
          customer_id=customer, billing_name=f"Pat {customer:06d}",
          billing_email=f"patient{customer:06d}@example.com", billing_country="GB",
          issued_at=None if draft else issued_at,
          due_date=None if draft else issued_day + timedelta(days=TERMS),
          paid_at=paid_at, closed_at=closed_at, subtotal=total, tax=Decimal(0), total=total,
          amount_paid=received, amount_refunded=refund,
          created_at=issued_at, updated_at=paid_at or closed_at or issued_at)
    for position, (price, qty) in enumerate(lines):
        h.add("line", invoice_id=invoice_id, position=position,
              description=rng.choice(("GP consultation", "Blood test", "Vaccination",
                                      "Physiotherapy session", "Medical report")),
              quantity=Decimal(qty), unit_price=price, line_total=price * qty,
              tax_amount=Decimal(0), service_date=issued_day)
    if story == "online" or (story in ("open", "overdue") and rng.random() < 0.06):
        h.add("payment", invoice_id=invoice_id, backend="online", status="failed",
              amount=total, currency=currency, created_at=issued_at + timedelta(hours=1),
              failure_code="card_declined", provider_reference=f"pi_f{invoice_id}")
    if story == "awaiting":
        h.add("payment", invoice_id=invoice_id, backend="transfer", status="awaiting_approval",
              amount=total, currency=currency, reference=f"RS-{number}",
              created_at=issued_at + timedelta(days=1), paid_on=issued_day)
    for k, (backend, amount, when, pstatus) in enumerate(charges):
        refunded_here = refund if k == 0 else Decimal(0)
        payment_id = h.add(
            "payment", invoice_id=invoice_id, backend=backend,
            status="refunded" if refunded_here else pstatus, amount=amount, currency=currency,
            amount_received=amount, amount_refunded=refunded_here, created_at=when,
            succeeded_at=when,
            recorded_by_id=staff_id if backend in ("cash", "terminal") else None,
            provider_reference=f"pi_{invoice_id}_{k}" if backend == "online" else "",
            reference=f"RS-{number}" if backend == "transfer" else "")
        ref = f"pi_{invoice_id}_{k}" if backend == "online" else None
        h.add("txn", payment_id=payment_id, invoice_id=invoice_id, kind="charge", amount=amount,
              currency=currency, backend=backend, provider_reference=ref, created_at=when)
        if refunded_here:
            later = when + timedelta(days=rng.randint(1, 20))
            h.add("txn", payment_id=payment_id, invoice_id=invoice_id, kind="refund",
                  amount=refunded_here, currency=currency, backend=backend,
                  provider_reference=f"re_{invoice_id}" if backend == "online" else None,
                  created_at=min(later, datetime.combine(today, time(8), TZ)))
        if backend == "online":
            trouble = rng.random()
            h.add("webhook", backend="online", event_id=f"evt_{invoice_id}_{k}",
                  type="payment_intent.succeeded",
                  status="failed" if trouble < 0.002 else "processed",
                  needs_attention=0.002 <= trouble < 0.003, received_at=when,
                  processed_at=when, error="Host receiver raised" if trouble < 0.002 else "",
                  payload={"id": f"evt_{invoice_id}_{k}"})


TABLES = {  # our name → (model label, rows key)
    "user": "auth.User", "invoice": "carepay.Invoice", "line": "carepay.InvoiceLine",
    "payment": "carepay.Payment", "txn": "carepay.Transaction",
    "webhook": "carepay.WebhookEvent",
}


def _value(field: Any, row: dict[str, Any]) -> Any:
    if field.attname in row:
        value = row[field.attname]
    elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value = row.get("created_at") or datetime.now(TZ)
    elif field.has_default():
        value = field.get_default()
    elif field.null:
        value = None
    elif field.get_internal_type() in ("CharField", "TextField", "EmailField", "FileField"):
        value = ""
    elif field.get_internal_type() == "BooleanField":
        value = False
    else:
        value = None
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def copy_history(h: History) -> dict[str, int]:
    """Write every row with COPY, reset the id sequences, and ANALYZE."""
    from django.apps import apps
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    counts = {}
    with raw.cursor() as cursor:
        for key, label in TABLES.items():
            model = apps.get_model(label)
            fields = list(model._meta.concrete_fields)
            table = model._meta.db_table
            columns = ", ".join(f'"{f.column}"' for f in fields)
            rows: Iterable[dict[str, Any]] = h.rows[key]
            if key == "user":
                rows = [{"password": "!", "is_active": True, "date_joined": datetime.now(TZ),
                         **r} for r in rows]
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([_value(f, row) for f in fields])
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")
            counts[table] = len(h.rows[key])
        cursor.execute("ANALYZE")
    raw.commit()
    return counts
