"""The writes' SQL reused by shape (:mod:`django_carepay.services._batch`) is what
Django's own compilers render for the same write, values and guard included."""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models
from django.db.models import sql
from django.utils import timezone

from django_carepay.models import AuditEntry, Invoice, Payment, Transaction
from django_carepay.services import _batch, _ledger
from tests import factories

pytestmark = pytest.mark.django_db


def compiled_update(obj: models.Model, fields: list[str]) -> tuple[str, list[Any]]:
    meta = obj._meta
    concrete = {f.name: f for f in meta.concrete_fields}
    values = [(concrete[n], None, getattr(obj, concrete[n].attname)) for n in fields]
    initial = getattr(obj, "_ConcurrentTransitionMixin__initial_states", None) or {}
    match = {"pk": obj.pk, **initial}
    query: Any = type(obj)._base_manager.filter(**match).query.chain(sql.UpdateQuery)
    query.add_update_fields(values)
    query_sql, params = query.get_compiler(connection.alias).as_sql()
    return query_sql, list(params)


def compiled_insert(obj: models.Model) -> tuple[str, list[Any]]:
    fields, _ = _batch._insert_fields(type(obj), obj.pk is not None)
    query = sql.InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection.alias)
    compiler.returning_fields = [obj._meta.pk]
    [(query_sql, params)] = compiler.as_sql()
    return query_sql, list(params)


def comparable(params: list[Any]) -> list[Any]:
    return [getattr(p, "obj", p) for p in params]  # psycopg's Jsonb wraps its value


@pytest.fixture(autouse=True)
def _fresh_shapes() -> None:
    _batch._SQL.clear()


def test_an_update_reuses_its_shape_with_this_writes_values(invoice):
    first, second = factories.start_online(invoice), factories.start_online(invoice)
    for payment in (first, second):  # the first renders the shape, the second reuses it
        payment.amount_received = Decimal("12.34")
        reused = _batch._update_sql(payment, _ledger._CHARGE_PAYMENT_FIELDS)
        expected = compiled_update(payment, _ledger._CHARGE_PAYMENT_FIELDS)
        assert reused[0] == expected[0]
        assert comparable(reused[1]) == comparable(expected[1])
    assert any(key[0] == "update" for key in _batch._SQL)


def test_null_values_make_another_shape(invoice):
    payment = factories.start_online(invoice)
    _batch._update_sql(payment, ["succeeded_at", "updated_at"])
    payment.succeeded_at = invoice.issued_at
    reused = _batch._update_sql(payment, ["succeeded_at", "updated_at"])
    assert reused[0] == compiled_update(payment, ["succeeded_at", "updated_at"])[0]
    assert len(_batch._SQL) == 2


def test_an_expression_is_compiled_not_reused(invoice):
    _batch._update_sql(invoice, ["amount_paid"])
    invoice.amount_paid = models.F("amount_paid") + 1
    query_sql, _ = _batch._update_sql(invoice, ["amount_paid"])
    assert '"amount_paid" + ' in query_sql


def test_an_insert_reuses_its_shape(invoice, monkeypatch):
    payment = factories.start_online(invoice)
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # auto_now_add: one instant
    for note in ("first", "second"):
        txn = Transaction(invoice=invoice, payment=payment, kind=Transaction.Kind.CHARGE,
                          amount=Decimal("1.00"), currency="GBP", backend="card",
                          note=note)
        entry = AuditEntry(actor="system", action=AuditEntry.Action.PROVIDER_UPDATE,
                           invoice=invoice, detail={"note": note})
        for obj in (txn, entry):
            reused = _batch._insert_sql(obj)
            expected = compiled_insert(obj)
            assert reused[0] == expected[0]
            assert comparable(reused[1]) == comparable(expected[1])


def test_the_other_pending_payments_sql_reads_them(invoice):
    paid, other, failed = (Payment.objects.create(
        invoice=invoice, backend="online", amount=Decimal("1.00"), currency="GBP")
        for _ in range(3))
    Payment.objects.filter(pk=failed.pk).update(status=Payment.Status.FAILED)
    with connection.cursor() as cursor:
        cursor.execute(_ledger._other_pending_sql(),
                       [invoice.pk, Payment.Status.PENDING, paid.pk])
        assert [row[0] for row in cursor.fetchall()] == [other.pk]
    assert Invoice.objects.filter(pk=invoice.pk).exists()
