"""Migration 0015's lighter indexes. The user columns are indexed only where set: a
provider's payments, ledger rows and audit entries, all with a NULL user, write no
entry in those indexes, and a user's rows are still found through them (deleting a
user sets them NULL by that look-up). The invoice number is unique by a constraint,
with no LIKE index beside it."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from django_carepay.models import AuditEntry, Invoice, Payment, Transaction
from tests import factories

pytestmark = pytest.mark.django_db

USER_COLUMNS = [
    (Payment, "recorded_by", "carepay_payment_recorded_by"),
    (Payment, "decided_by", "carepay_payment_decided_by"),
    (Transaction, "created_by", "carepay_ledger_created_by"),
    (AuditEntry, "user", "carepay_audit_user"),
]
each_user_column = pytest.mark.parametrize(
    ("model", "field", "index"), USER_COLUMNS,
    ids=[f"{model.__name__}.{field}" for model, field, _index in USER_COLUMNS])


def _plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: no seq scan
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(map(str, row)) for row in cursor.fetchall())


@each_user_column
def test_a_users_rows_are_found_by_the_partial_index(model, field, index, staff):
    column = model._meta.get_field(field).column
    # What deleting the user runs (on_delete=SET_NULL), planned, not run.
    sql = f"UPDATE {model._meta.db_table} SET {column} = NULL WHERE {column} IN (%s)"

    assert re.search(rf"\b{index}\b", _plan(sql, [staff.pk]))


@each_user_column
def test_the_index_holds_only_rows_with_a_user(model, field, index):
    declared = next(i for i in model._meta.indexes if i.name == index)

    assert declared.fields == [field]
    assert declared.condition.children == [(f"{field}__isnull", False)]
    assert model._meta.get_field(field).db_index is False  # no second, full index


def test_an_invoice_number_is_still_unique_and_drafts_have_none():
    first, second = factories.make_invoice(), factories.make_invoice()
    drafts = [factories.make_invoice(issue=False) for _ in range(2)]

    assert all(draft.number is None for draft in drafts)  # many drafts, no clash
    second.number = first.number
    with pytest.raises(ValidationError, match="number"):
        second.validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=second.pk).update(number=first.number)


def test_an_invoice_is_found_by_its_number_through_the_unique_index():
    invoice = factories.make_invoice()
    table = Invoice._meta.db_table

    plan = _plan(f"SELECT id FROM {table} WHERE number = %s", [invoice.number])

    # SQLite names a table's UNIQUE constraint's index itself (sqlite_autoindex_…).
    expected = (r"\bcarepay_invoice_number_unique\b" if connection.vendor == "postgresql"
                else r"USING (COVERING )?INDEX \S+ \(number=\?\)")
    assert re.search(expected, plan)


@pytest.mark.postgres
def test_no_like_index_is_kept_for_the_invoice_number():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s",
                       [Invoice._meta.db_table])
        names = {name for (name,) in cursor.fetchall()}

    assert "carepay_invoice_number_unique" in names
    assert not [name for name in names if name.endswith("_like")]
