"""Rows of hand-written SQL (progress/, quizzes/ and glossary/sql.py) as the ORM would give them.

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
# (vendor, model, column names) -> where each model field's value is in a row, and the columns to convert.
_row_plans: dict[tuple[str, object, tuple[str, ...]], tuple[list, list]] = {}


def fits_bigint(value: int) -> bool:
    """Whether an id or number from a URL or a form fits a 64-bit column (SQLite cannot even bind a larger one)."""
    return abs(value) < 2**63


def attnames(model, *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The model's column attribute names (`paper_id`, not `paper`), in field order, less the `exclude`d fields."""
    return tuple(f.attname for f in model._meta.concrete_fields if f.name not in exclude)


def columns(alias: str, model, names: tuple[str, ...]) -> list[str]:
    """`alias."column"` for each attname in `names`, quoted for the database: a hand-written SELECT's list."""
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(model._meta.get_field(name).column)}" for name in names]


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

    For many rows at once: where each field is and which columns need
    converting are worked out once per backend, model and columns.
    """
    key = (connection.vendor, model, names)
    plan = _row_plans.get(key)
    if plan is None:
        position = {name: i for i, name in enumerate(names)}
        order = [position.get(f.attname) for f in model._meta.concrete_fields]
        converted = [_converters_for(field(model, name)) for name in names]
        convert = [(i, expression, found) for i, (expression, found) in enumerate(converted) if found]
        plan = _row_plans[key] = (order, convert)
    order, convert = plan
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


_statements: dict[tuple[str, object], str] = {}


def statement(key, build) -> str:
    """The SQL text `build(quote_name)` makes, built once per database vendor and `key`."""
    found = _statements.get((connection.vendor, key))
    if found is None:
        found = _statements[(connection.vendor, key)] = build(connection.ops.quote_name)
    return found


def insert_statement(model) -> str:
    """`INSERT INTO <table> (<every column but the pk>) VALUES (…) RETURNING <pk>`, for `insert_params`."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return statement(
        ("insert", model),
        lambda quote: (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608
            f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(model._meta.pk.column)}"
        ),
    )


def insert_params(obj) -> list:
    """The values `obj.save()` would INSERT (defaults, `auto_now_add`), in `insert_statement`'s order."""
    return [
        f.get_db_prep_save(f.pre_save(obj, True), connection)
        for f in type(obj)._meta.concrete_fields
        if not f.primary_key
    ]


def inserted(obj, pk) -> None:
    """Mark `obj` as the saved row `pk`, as `save()` leaves it."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
