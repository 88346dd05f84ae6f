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

from core.rows import from_db, instance, to_db

__all__ = ["execute", "fetch", "from_db", "instance", "to_db"]


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
