"""The checklist tick's hand-written statements (see quizzes/sql.py for the why).

Only quoted table and column names are formatted into the SQL; every value
is a bound parameter, converted by its model field, so the statements behave
the same on PostgreSQL and on SQLite (which the tests use).
"""

from __future__ import annotations

from django.db import connection

from core.rows import statement, to_db


def ticked_steps(*, user_id: int) -> list[tuple[int, int]]:
    """`(paper id, step id)` of every step the learner ticked."""
    from papers.models import ChecklistStep, StepProgress

    sql = statement(
        "papers.ticked_steps",
        lambda quote: (
            f"SELECT s.paper_id, t.step_id FROM {quote(StepProgress._meta.db_table)} t"  # noqa: S608
            f" JOIN {quote(ChecklistStep._meta.db_table)} s ON s.id = t.step_id WHERE t.user_id = %s"
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return cursor.fetchall()


def tick(*, user_id: int, step_id: int, now) -> bool:
    """Store the tick unless it is there already (two clicks at once cannot fail): True if it was added."""
    from papers.models import StepProgress

    sql = statement(
        "papers.tick",
        lambda quote: (
            f"INSERT INTO {quote(StepProgress._meta.db_table)} (user_id, step_id, done_at)"  # noqa: S608
            " VALUES (%s, %s, %s) ON CONFLICT (user_id, step_id) DO NOTHING"
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, step_id, to_db(StepProgress, "done_at", now)])
        return cursor.rowcount == 1


def untick(*, user_id: int, step_id: int) -> bool:
    """Remove the tick: True if there was one."""
    from papers.models import StepProgress

    sql = statement(
        "papers.untick",
        lambda quote: f"DELETE FROM {quote(StepProgress._meta.db_table)} WHERE user_id = %s AND step_id = %s",  # noqa: S608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, step_id])
        return cursor.rowcount == 1
