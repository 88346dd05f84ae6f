"""Rows of hand-written SQL (progress/sql.py, quizzes/sql.py) as the ORM would give them.

Values go through the model fields' own conversions, so a raw statement
behaves exactly like an ORM query on PostgreSQL and on SQLite (which the
tests use): aware datetimes, Decimals, booleans, JSON. Nothing here runs SQL.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import DEFERRED


def field(model, name: str):
    return model._meta.get_field(name)


_converters: dict[tuple[str, object], tuple] = {}
_model_converters: dict[tuple[str, object, tuple[str, ...]], list] = {}


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


def instances(model, names: tuple[str, ...], rows) -> list:
    """Instances of `model` from rows of the columns `names` (attnames), converted as `from_db` does.

    For many rows at once: the converters of each column are looked up once.
    """
    key = (connection.vendor, model, names)
    columns = _model_converters.get(key)
    if columns is None:
        columns = _model_converters[key] = [_converters_for(field(model, name)) for name in names]
    fields = model._meta.concrete_fields
    position = {name: i for i, name in enumerate(names)}
    order = [position.get(f.attname) for f in fields]
    convert = [(i, expression, converters) for i, (expression, converters) in enumerate(columns) if converters]
    made = []
    for row in rows:
        values = list(row)
        for i, expression, converters in convert:
            value = values[i]
            if value is not None:
                for converter in converters:
                    value = converter(value, expression, connection)
                values[i] = value
        made.append(model.from_db(None, names, [DEFERRED if i is None else values[i] for i in order]))
    return made


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
