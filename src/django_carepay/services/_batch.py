"""Several writes in one round trip on PostgreSQL (the webhook's hot path).

:class:`Writes` collects INSERTs and UPDATEs of model instances, compiled by Django's
own SQL compilers, and runs them as the data-modifying CTEs of one statement
(``WITH w0 AS (UPDATE …), w1 AS (INSERT … RETURNING id) SELECT …``): PostgreSQL runs
each exactly once, all or none, in the statement's one snapshot, which is taken when
the statement starts (so after the locks the caller holds). Read-only expressions
(``also``) ride in the same statement's SELECT list.

A caller may hand its batch to the code it calls, which adds its writes there
instead of running them and leaves what must follow them (announcing them, with what
the statement read) to :meth:`Writes.after`; the caller runs the batch, then
:meth:`Writes.run_after`. The webhook writes a charge, its audit entry and the event
row this way, in one statement.

Everywhere else, and whenever a ``pre_save`` or ``post_save`` receiver listens to one
of the models (the one-statement write would skip it), each write is an ordinary
``save()``. Either way an UPDATE of a :class:`~django_fsm.ConcurrentTransitionMixin`
model is guarded by the states it was read in: no row updated raises
``ConcurrentTransition``, as ``save()`` does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import signals, sql
from django.db.models.constants import OnConflict
from django_fsm import ConcurrentTransition


def _db() -> BaseDatabaseWrapper:
    """The default connection itself (``django.db.connection`` is a proxy that looks
    it up again at each attribute read, a dozen times per write)."""
    return connections[DEFAULT_DB_ALIAS]


def one_statement(*model_classes: type[models.Model]) -> bool:
    """Whether writes of these models can be joined into one statement here."""
    return _db().vendor == "postgresql" and not any(
        signals.pre_save.has_listeners(m) or signals.post_save.has_listeners(m)
        for m in model_classes)


class Writes:
    """INSERTs and UPDATEs run together by :meth:`run` (see the module)."""

    def __init__(self) -> None:
        self._ops: list[tuple[str, models.Model, list[str]]] = []
        self._also: list[tuple[str, list[Any]]] = []
        self._after: list[Callable[[], None]] = []
        self._ran = False
        #: What the ``also`` queries read, once run (``[]`` where rows were saved one
        #: by one: the caller reads it itself).
        self.read: list[Any] = []

    def after(self, callback: Callable[[], None]) -> None:
        """Leave ``callback`` for :meth:`run_after`, once this batch is written."""
        self._after.append(callback)

    def run_after(self) -> None:
        """Call what was left for after the writes (:meth:`after`), in order. The
        batch must have run: announcing writes that were never made is a bug."""
        if self._after and not self._ran:
            raise RuntimeError("This batch of writes has not run.")
        callbacks, self._after = self._after, []
        for callback in callbacks:
            callback()

    def insert(self, obj: models.Model) -> None:
        self._ops.append(("insert", obj, []))

    def update(self, obj: models.Model, fields: list[str]) -> None:
        self._ops.append(("update", obj, fields))

    def also(self, query_sql: str, params: list[Any]) -> int:
        """Read the single column of the SELECT ``query_sql`` as an array in the same
        statement; its index in :attr:`read`."""
        self._also.append((query_sql, params))
        return len(self._also) - 1

    def run(self) -> list[Any]:
        """Write everything; return what the ``also`` queries read, in order (only in
        one statement; elsewhere the caller reads it itself, so ``[]``)."""
        if self._ran:
            raise RuntimeError("This batch of writes has run already.")
        self._ran = True
        if not self._ops:
            return []
        if not one_statement(*(type(obj) for _, obj, _ in self._ops)):
            for kind, obj, fields in self._ops:
                obj.save(**({"force_insert": True} if kind == "insert"
                            else {"update_fields": fields}))
            return []
        db = _db()
        ctes, selects, params = [], [], []
        for i, (kind, obj, fields) in enumerate(self._ops):
            if kind == "insert":
                query_sql, query_params = _insert_sql(obj, db=db)
                selects.append(f"(SELECT * FROM w{i})")
            else:
                query_sql, query_params = _update_sql(obj, fields, db)
                query_sql += " RETURNING 1"
                selects.append(f"(SELECT count(*) FROM w{i})")
            ctes.append(f"w{i} AS ({query_sql})")
            params.extend(query_params)
        for also_sql, also_params in self._also:
            selects.append(f"ARRAY({also_sql})")
            params.extend(also_params)
        with db.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT {', '.join(selects)}", params)
            row = cursor.fetchone()
        for (kind, obj, _), value in zip(self._ops, row, strict=False):
            if kind == "insert":
                obj.pk = value
                obj._state.adding, obj._state.db = False, db.alias
            elif not value:
                raise ConcurrentTransition(
                    f"Cannot save {obj!r}: its state changed since it was read.")
            elif hasattr(obj, "_update_initial_state"):
                obj._update_initial_state()
        self.read = list(row[len(self._ops):])
        return self.read


#: Each write's SQL by its shape (model, fields, which values are NULL, the guard's
#: fields): rendering it through Django's compilers cost more than running it, so each
#: shape is compiled once per process and later writes only prepare their values, as
#: the compilers do (``pre_save``, ``get_db_prep_save``). A value that is an
#: expression, or a field with its own placeholder, is compiled every time.
_SQL: dict[tuple[Any, ...], str] = {}


@functools.cache
def _insert_fields(model: type[models.Model], with_pk: bool) -> tuple[list[Any], bool]:
    """The fields an INSERT of ``model`` writes, and whether its SQL can be reused."""
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields
              if not f.generated and not (f is meta.auto_field and not with_pk)]
    return fields, not any(hasattr(f, "get_placeholder") for f in fields)


def _insert_sql(obj: models.Model, on_conflict: OnConflict | None = None, *,
                db: BaseDatabaseWrapper | None = None) -> tuple[str, list[Any]]:
    db = db or _db()
    model, with_pk = type(obj), obj.pk is not None
    fields, reusable = _insert_fields(model, with_pk)
    key = ("insert", model, with_pk, on_conflict, db.alias)
    known = _SQL.get(key) if reusable else None
    if known is not None:
        values = [f.pre_save(obj, True) for f in fields]
        if not any(hasattr(v, "resolve_expression") for v in values):
            return known, [f.get_db_prep_save(v, connection=db)
                           for f, v in zip(fields, values, strict=True)]
    plain = not any(hasattr(getattr(obj, f.attname, None), "resolve_expression")
                    for f in fields)
    query = sql.InsertQuery(model, on_conflict=on_conflict)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(db.alias)
    compiler.returning_fields = [model._meta.pk]
    [(query_sql, query_params)] = compiler.as_sql()
    if reusable and plain:
        _SQL[key] = query_sql
    return query_sql, list(query_params)


@functools.cache
def _concrete_fields(model: type[models.Model]) -> dict[str, Any]:
    return {f.name: f for f in model._meta.concrete_fields}


def _lookup_param(field: Any, value: Any, db: BaseDatabaseWrapper) -> Any:
    """``value`` as an exact lookup on ``field`` passes it (``Exact.as_sql``)."""
    return field.get_db_prep_value(field.get_prep_value(value), db, prepared=True)


def _update_sql(obj: models.Model, fields: list[str], db: BaseDatabaseWrapper | None = None
                ) -> tuple[str, list[Any]]:
    db = db or _db()
    model, meta = type(obj), obj._meta
    concrete = _concrete_fields(model)
    targets = [concrete[name] for name in fields]
    values = [(field, None, field.pre_save(obj, False)) for field in targets]
    match: dict[str, Any] = {"pk": obj.pk}
    # ConcurrentTransitionMixin's guard: only the row still in the states it was read in.
    initial = getattr(obj, "_ConcurrentTransitionMixin__initial_states", None) or {}
    match.update({name: value for name, value in initial.items()
                  if meta.get_field(name).model is meta.concrete_model})
    reusable = all(value is not None for value in match.values()) and not any(
        hasattr(value, "resolve_expression") or hasattr(value, "prepare_database_save")
        or hasattr(field, "get_placeholder") for field, _, value in values)
    prepared = [field.get_db_prep_save(value, connection=db)
                for field, _, value in values] if reusable else []
    reusable = reusable and not any(hasattr(p, "as_sql") for p in prepared)
    # filter(**match) orders its conditions by name (Q sorts its keyword arguments).
    names = tuple(sorted(match))
    key = ("update", model, tuple(fields), tuple(p is None for p in prepared), names,
           db.alias)
    known = _SQL.get(key) if reusable else None
    if known is not None:
        where = [_lookup_param(meta.pk if name == "pk" else meta.get_field(name),
                               match[name], db) for name in names]
        return known, [p for p in prepared if p is not None] + where
    query: Any = model._base_manager.filter(**match).query.chain(sql.UpdateQuery)
    query.add_update_fields(values)
    query_sql, query_params = query.get_compiler(db.alias).as_sql()
    if reusable:
        _SQL[key] = query_sql
    return query_sql, list(query_params)


def insert_unless_stored(obj: models.Model) -> bool:
    """Insert ``obj`` unless a row with the same unique key is stored; whether it was
    inserted. On PostgreSQL one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (in
    autocommit a statement that commits by itself, or part of the caller's
    transaction; a concurrent insert of the same key is waited for); elsewhere a
    savepoint and ``save()``."""
    if one_statement(type(obj)):
        db = _db()
        query_sql, query_params = _insert_sql(obj, OnConflict.IGNORE, db=db)
        with db.cursor() as cursor:
            cursor.execute(query_sql, query_params)
            row = cursor.fetchone()
        if row is None:
            return False
        obj.pk = row[0]
        obj._state.adding, obj._state.db = False, db.alias
        return True
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        return False
    return True
