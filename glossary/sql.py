"""The flashcard review's one hand-written statement (see quizzes/sql.py for the why).

Only quoted table and column names are formatted into the SQL; every value
is a bound parameter, converted by its model field, so the statement
behaves the same on PostgreSQL and on SQLite (which the tests use).
"""

from __future__ import annotations

from django.db import connection

from core.rows import attnames, columns, from_db, instances

# What an unrevealed card shows of its term: the names (the definition only after "show answer").
UNREVEALED_DEFERRED = ("definition", "definition_html", "summary", "aliases")
_first_due_sql: dict[str, str] = {}  # by database vendor


def first_card_and_counts(*, user_id: int, now):
    """The learner's earliest card with its term (or None) and the deck's counts, in one query.

    The counts are window aggregates over all the learner's cards, so the
    earliest card carries them even when it is not due yet.
    """
    from glossary.models import Card, Term

    card_names, term_names = attnames(Card), attnames(Term, exclude=UNREVEALED_DEFERRED)
    sql = _first_due_sql.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        selected = columns("c", Card, card_names) + columns("t", Term, term_names)
        due = f"c.{quote('due')}"
        selected += [
            "COUNT(*) OVER ()",
            f"COUNT(*) FILTER (WHERE {due} <= %s) OVER ()",
            f"MIN({due}) FILTER (WHERE {due} > %s) OVER ()",
        ]
        sql = _first_due_sql[connection.vendor] = (
            f"SELECT {', '.join(selected)} FROM {quote(Card._meta.db_table)} c"  # noqa: S608
            f" JOIN {quote(Term._meta.db_table)} t ON t.id = c.term_id"
            f" WHERE c.user_id = %s ORDER BY {due}, c.id LIMIT 1"
        )
    moment = Card._meta.get_field("due").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, moment, user_id])
        row = cursor.fetchone()
    if row is None:
        return None, {"total": 0, "due_now": 0, "next_due": None}
    split = len(card_names)
    (card,) = instances(Card, card_names, [row[:split]])
    (card.term,) = instances(Term, term_names, [row[split : split + len(term_names)]])
    total, due_now, next_due = row[split + len(term_names) :]
    return card, {"total": total, "due_now": due_now, "next_due": from_db(Card, "due", next_due)}
