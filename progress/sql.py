"""Small helpers for the few hand-written SQL statements of the hot paths.

The progress refresh (after every tick, quiz start and submit) and the
learner's dashboard run a handful of simple statements per request. Building
them through the ORM costs several times what the database spends running
them, so they are written out. Values still go through the model fields'
own conversions (`from_db`, `to_db`), so the statements behave exactly like
ORM queries on PostgreSQL and on SQLite (which the tests use): aware
datetimes, Decimals, booleans.

Every statement is a module-level constant with bound parameters (`%(name)s`),
never text built from values: tests/progress/test_sql.py checks the callers.
This module is the only place that runs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.models import DEFERRED


def fetch(sql: str, params: Mapping | Sequence = ()) -> list[tuple]:
    """The rows of a read."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Mapping | Sequence = ()) -> tuple[int, tuple | None]:
    """Run a write: the number of rows it changed, and the first row it returned (`RETURNING`), if any."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchone() if cursor.description else None
        return cursor.rowcount, returned


def field(model, name: str):
    return model._meta.get_field(name)


_converters: dict[tuple[str, object], tuple] = {}


def _converters_for(model_field) -> tuple:
    """The backend's and the field's converters for values of `model_field` (looked up once per backend)."""
    key = (connection.vendor, model_field)
    found = _converters.get(key)
    if found is None:
        expression = model_field.get_col(model_field.model._meta.db_table)
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        found = (expression, tuple(converters))
        _converters[key] = found
    return found


def from_db(model, name: str, value):
    """A raw column value as the ORM would return it for `model.name` (e.g. SQLite's text datetimes)."""
    if value is None:
        return None
    expression, converters = _converters_for(field(model, name))
    for converter in converters:
        value = converter(value, expression, connection)
    return value


def to_db(model, name: str, value):
    """A Python value as the ORM would send it for `model.name`."""
    return field(model, name).get_db_prep_save(value, connection)


def instance(model, **values):
    """A model instance from column values, the others deferred (as `.only()` makes them).

    Accessing a deferred field loads it, so a page that needs one more field
    is slower, never wrong.
    """
    fields = model._meta.concrete_fields
    return model.from_db(None, list(values), [values.get(f.attname, DEFERRED) for f in fields])
