"""The flashcard review's hand-written statements (see quizzes/sql.py for the why).

Only quoted table and column names are formatted into the SQL; every value
is a bound parameter, converted by its model field, so the statement
behaves the same on PostgreSQL and on SQLite (which the tests use).
"""

from __future__ import annotations

from django.db import connection

from core.rows import attnames, columns, from_db, insert_params, insert_statement, inserted, instances, statement

# What an unrevealed card shows of its term: the names (the definition only after "show answer").
UNREVEALED_DEFERRED = ("definition", "definition_html", "summary", "aliases")


def first_card_and_counts(*, user_id: int, now):
    """The learner's earliest card with its term (or None) and the deck's counts, in one query.

    The counts are window aggregates over all the learner's cards, so the
    earliest card carries them even when it is not due yet.
    """
    from glossary.models import Card, Term

    card_names, term_names = attnames(Card), attnames(Term, exclude=UNREVEALED_DEFERRED)

    def build(quote) -> str:
        selected = columns("c", Card, card_names) + columns("t", Term, term_names)
        due = f"c.{quote('due')}"
        selected += [
            "COUNT(*) OVER ()",
            f"COUNT(*) FILTER (WHERE {due} <= %s) OVER ()",
            f"MIN({due}) FILTER (WHERE {due} > %s) OVER ()",
        ]
        return (
            f"SELECT {', '.join(selected)} FROM {quote(Card._meta.db_table)} c"  # noqa: S608
            f" JOIN {quote(Term._meta.db_table)} t ON t.id = c.term_id"
            f" WHERE c.user_id = %s ORDER BY {due}, c.id LIMIT 1"
        )

    sql = statement("glossary.first_card_and_counts", build)
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


def own_card(*, card_id: int, user_id: int):
    """The user's card (every field), or None if there is no such card of theirs."""
    from glossary.models import Card

    names = attnames(Card)
    sql = statement(
        "glossary.own_card",
        lambda quote: (
            f"SELECT {', '.join(columns('c', Card, names))} FROM {quote(Card._meta.db_table)} c"  # noqa: S608
            " WHERE c.id = %s AND c.user_id = %s"
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [card_id, user_id])
        rows = cursor.fetchall()
    return instances(Card, names, rows)[0] if rows else None


RATED_FIELDS = ("fsrs", "due", "state", "reps", "last_review")


def rate_card(*, card_id: int, seen_reps: int, values: dict) -> bool:
    """Set `RATED_FIELDS` from `values` if the card still has `seen_reps` reviews: True for the one request that did."""
    from glossary.models import Card

    fields = [Card._meta.get_field(name) for name in RATED_FIELDS]
    sql = statement(
        "glossary.rate_card",
        lambda quote: (
            f"UPDATE {quote(Card._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)}"  # noqa: S608
            f" WHERE id = %s AND {quote('reps')} = %s"
        ),
    )
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, card_id, seen_reps])
        return cursor.rowcount == 1


def insert_review(entry) -> None:
    """INSERT a new ReviewLog as `save()` would; sets its pk."""
    with connection.cursor() as cursor:
        cursor.execute(insert_statement(type(entry)), insert_params(entry))
        inserted(entry, cursor.fetchone()[0])
