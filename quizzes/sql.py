"""The two SQL expressions of the quiz hot paths that are written out.

The ORM builds and compiles expressions at a cost far above what the
database spends on them: the autosave's "is the attempt still open?"
subquery costs about 0.6 ms as `Exists(...)`, and writing eight graded
responses with `bulk_update()` (a Case/When/Value/Cast per row and field)
about 3.5 ms. Here only quoted table and column names are formatted into the
SQL; every value is a parameter, prepared by its model field or by the
backend, so the statements behave the same on PostgreSQL and on SQLite
(which the tests use).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from core.rows import attnames, columns, from_db, insert_params, insert_statement, inserted, instances, statement


def attempt_open(*, now: datetime, grace) -> RawSQL:
    """A condition on a response row: its attempt is in progress and `now` is within its deadline plus `grace`."""
    from quizzes.models import Attempt, Response

    quote = connection.ops.quote_name
    attempt, response = quote(Attempt._meta.db_table), quote(Response._meta.db_table)
    sql = (
        f"EXISTS (SELECT 1 FROM {attempt} WHERE {attempt}.id = {response}.attempt_id AND {attempt}.state = %s"  # noqa: S608
        f" AND ({attempt}.deadline IS NULL OR {attempt}.deadline >= %s))"
    )
    params = (Attempt.State.IN_PROGRESS.value, connection.ops.adapt_datetimefield_value(now - grace))
    return RawSQL(sql, params, output_field=models.BooleanField())  # noqa: S611


def case_by_pk(model, field_name: str, values: dict[int, object]) -> Cast:
    """`CAST(CASE id WHEN <pk> THEN <value> … END AS <type>)`: a value per row, for one UPDATE of many rows.

    The cast gives the column's type even when every value is NULL
    (PostgreSQL would otherwise take the CASE for text).
    """
    field = model._meta.get_field(field_name)
    params = []
    for pk, value in values.items():
        params += [pk, field.get_db_prep_save(value, connection)]
    whens = " ".join(["WHEN %s THEN %s"] * len(values))
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    case = RawSQL(f"CASE {pk_column} {whens} END", params, output_field=field)  # noqa: S611
    return Cast(case, output_field=field)


def save_answer_if_current(
    *, attempt_id: int, user_id: int, question_id: int, text: str, selected: list[int], sequence: int, now, grace
) -> int | None:
    """The autosave's usual case in one statement; the response's new sequence number, or None.

    The response of question `question_id` in attempt `attempt_id` is
    written if the attempt is the user's and still open (as `attempt_open`),
    the response still has the `sequence` the page was rendered with, and
    the answer differs from the stored one. None when any of that does not
    hold: nothing was written, and the caller finds out which it was.
    """
    from quizzes.models import Attempt, Response

    def build(quote) -> str:
        attempt, response = quote(Attempt._meta.db_table), quote(Response._meta.db_table)
        text_col, selected_col, saved_col, seq_col = (quote(n) for n in ("text", "selected", "saved_at", "sequence"))
        return (
            f"UPDATE {response} SET {text_col} = %s, {selected_col} = %s, {saved_col} = %s, {seq_col} = {seq_col} + 1"  # noqa: S608
            f" WHERE {response}.attempt_id = %s AND {response}.question_id = %s AND {seq_col} = %s"
            f" AND NOT ({text_col} = %s AND {selected_col} = %s)"
            f" AND EXISTS (SELECT 1 FROM {attempt} WHERE {attempt}.id = {response}.attempt_id"
            f" AND {attempt}.user_id = %s AND {attempt}.state = %s"
            f" AND ({attempt}.deadline IS NULL OR {attempt}.deadline >= %s))"
            f" RETURNING {seq_col}"
        )

    sql = statement("quizzes.save_answer_if_current", build)
    field = Response._meta.get_field
    selected_value = field("selected").get_db_prep_save(selected, connection)
    params = [
        text,
        selected_value,
        field("saved_at").get_db_prep_save(now, connection),
        attempt_id,
        question_id,
        sequence,
        text,
        selected_value,
        user_id,
        Attempt.State.IN_PROGRESS.value,
        connection.ops.adapt_datetimefield_value(now - grace),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


# What the take page needs of each response (the rest stays deferred).
TAKING_FIELDS = ("id", "question_id", "text", "selected", "saved_at", "sequence")


def attempt_with_responses(*, attempt_id: int, user_id: int):
    """The user's attempt (None if there is no such attempt of theirs) and its responses, in one query.

    The attempt has every field and `content_stamp`: when its quiz and the
    quiz's paper were last changed (`quizzes.fragments` keys the page's
    cached parts by it). Each response has `TAKING_FIELDS` and the attempt
    itself (the same instance), the rest deferred.
    """
    from papers.models import Paper
    from quizzes.models import Attempt, Quiz, Response

    attempt_names = attnames(Attempt)

    def build(quote) -> str:
        selected = columns("a", Attempt, attempt_names) + columns("q", Quiz, ("updated_at",))
        selected += columns("p", Paper, ("updated_at",)) + columns("r", Response, TAKING_FIELDS)
        return (
            f"SELECT {', '.join(selected)} FROM {quote(Attempt._meta.db_table)} a"  # noqa: S608
            f" JOIN {quote(Quiz._meta.db_table)} q ON q.id = a.quiz_id"
            f" JOIN {quote(Paper._meta.db_table)} p ON p.id = q.paper_id"
            f" LEFT JOIN {quote(Response._meta.db_table)} r ON r.attempt_id = a.id"
            " WHERE a.id = %s AND a.user_id = %s"
        )

    sql = statement("quizzes.attempt_with_responses", build)
    with connection.cursor() as cursor:
        cursor.execute(sql, [attempt_id, user_id])
        rows = cursor.fetchall()
    if not rows:
        return None, []
    split = len(attempt_names)
    (attempt,) = instances(Attempt, attempt_names, [rows[0][:split]])
    quiz_changed, paper_changed = (
        from_db(Quiz, "updated_at", rows[0][split]),
        from_db(Paper, "updated_at", rows[0][split + 1]),
    )
    attempt.content_stamp = content_stamp(quiz_changed, paper_changed)
    split += 2
    # A LEFT JOIN row without a response: the attempt has none.
    responses = instances(Response, TAKING_FIELDS, [row[split:] for row in rows if row[split] is not None])
    for response in responses:
        response.attempt = attempt  # sets attempt_id too
    return attempt, responses


def content_stamp(quiz_changed: datetime, paper_changed: datetime) -> str:
    """When a quiz and its paper were last changed, as a part of a cache key."""
    return f"{quiz_changed.timestamp()}-{paper_changed.timestamp()}"


PAPER_FIELDS = ("id", "title", "slug", "status")


def quiz_with_history(*, slug: str, user_id: int | None, published_only: bool):
    """The quiz page's rows in one query: the quiz (None if there is none to show), its paper (id,
    title, slug, status), its number of questions, and the user's attempts at it by number.

    `published_only` is `QuizQuerySet.published()` written out: a published quiz of a published paper.
    """
    from papers.models import Paper
    from quizzes.models import Attempt, Question, Quiz

    quiz_names, attempt_names = attnames(Quiz), attnames(Attempt)

    def build(quote) -> str:
        selected = columns("q", Quiz, quiz_names) + columns("p", Paper, PAPER_FIELDS)
        selected.append(f"(SELECT COUNT(*) FROM {quote(Question._meta.db_table)} n WHERE n.quiz_id = q.id)")  # noqa: S608
        selected += columns("a", Attempt, attempt_names)
        published = " AND q.is_published = %s AND p.status = %s" if published_only else ""
        return (
            f"SELECT {', '.join(selected)} FROM {quote(Quiz._meta.db_table)} q"  # noqa: S608
            f" JOIN {quote(Paper._meta.db_table)} p ON p.id = q.paper_id"
            f" LEFT JOIN {quote(Attempt._meta.db_table)} a ON a.quiz_id = q.id AND a.user_id = %s"
            f" WHERE q.slug = %s{published} ORDER BY a.number"
        )

    sql = statement(("quizzes.quiz_with_history", published_only), build)
    params = [user_id, slug] + ([True, Paper.Status.PUBLISHED.value] if published_only else [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None, 0, []
    first = rows[0]
    paper_start = len(quiz_names)
    count_at = paper_start + len(PAPER_FIELDS)
    (quiz,) = instances(Quiz, quiz_names, [first[:paper_start]])
    (quiz.paper,) = instances(Paper, PAPER_FIELDS, [first[paper_start:count_at]])
    attempts = instances(Attempt, attempt_names, [row[count_at + 1 :] for row in rows if row[count_at + 1] is not None])
    return quiz, first[count_at], attempts


# ---------------------------------------------------------------- starting and submitting an attempt
#
# Each ORM statement of these two paths cost 0.3–0.8 ms of Python to build,
# against under 0.1 ms for the same statement written out; a start made five
# and a submit six. The statements below are built once per database vendor.


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def question_points(*, quiz_id: int) -> list[tuple[int, object]]:
    """`(id, points)` of the quiz's questions, in quiz order."""
    from quizzes.models import Question

    sql = statement(
        "quizzes.question_points",
        lambda quote: (
            f"SELECT id, points FROM {quote(Question._meta.db_table)}"  # noqa: S608
            f" WHERE quiz_id = %s ORDER BY {quote('order')}, id"
        ),
    )
    return [(pk, from_db(Question, "points", points)) for pk, points in _fetch(sql, [quiz_id])]


def insert_attempt(attempt) -> None:
    """INSERT a new attempt as `attempt.save()` would (field defaults, `auto_now_add`); sets its pk."""
    from quizzes.models import Attempt

    ((pk,),) = _fetch(insert_statement(Attempt), insert_params(attempt))
    inserted(attempt, pk)


_RESPONSE_DEFAULTS = ("text", "selected", "saved_at", "sequence", "score", "fraction", "matched_answer")
_RESPONSE_DEFAULTS += ("self_rating", "grader", "grader_comment", "graded_at")


def insert_responses(*, attempt_id: int, quiz_id: int) -> int:
    """An empty response of the attempt for each question of the quiz (their field defaults): one statement."""
    from quizzes.models import Question, Response

    fields = [Response._meta.get_field(name) for name in _RESPONSE_DEFAULTS]
    assert {f.name for f in fields} | {"id", "attempt", "question"} == {f.name for f in Response._meta.concrete_fields}
    sql = statement(
        "quizzes.insert_responses",
        lambda quote: (
            f"INSERT INTO {quote(Response._meta.db_table)} (attempt_id, question_id,"  # noqa: S608
            f" {', '.join(quote(f.column) for f in fields)})"
            f" SELECT %s, q.id, {', '.join(['%s'] * len(fields))}"
            f" FROM {quote(Question._meta.db_table)} q WHERE q.quiz_id = %s"
        ),
    )
    params = [attempt_id, *(f.get_db_prep_save(f.get_default(), connection) for f in fields), quiz_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def attempt_with_quiz(*, attempt_id: int, user_id: int):
    """The user's attempt with its quiz (every field of both), or None if there is no such attempt of theirs."""
    from quizzes.models import Attempt, Quiz

    attempt_names, quiz_names = attnames(Attempt), attnames(Quiz)
    sql = statement(
        "quizzes.attempt_with_quiz",
        lambda quote: (
            f"SELECT {', '.join(columns('a', Attempt, attempt_names) + columns('q', Quiz, quiz_names))}"  # noqa: S608
            f" FROM {quote(Attempt._meta.db_table)} a JOIN {quote(Quiz._meta.db_table)} q ON q.id = a.quiz_id"
            " WHERE a.id = %s AND a.user_id = %s"
        ),
    )
    rows = _fetch(sql, [attempt_id, user_id])
    if not rows:
        return None
    split = len(attempt_names)
    (attempt,) = instances(Attempt, attempt_names, [rows[0][:split]])
    (attempt.quiz,) = instances(Quiz, quiz_names, [rows[0][split:]])
    return attempt


# What grading a response reads and writes (`Response.apply_grade`), and of its question.
GRADING_FIELDS = ("id", "attempt_id", "question_id", "text", "selected", "self_rating", "grader_id")
GRADING_FIELDS += ("fraction", "score", "matched_answer_id")
GRADING_QUESTION_FIELDS = ("id", "qtype", "points", "case_sensitive")


def responses_for_grading(*, attempt_id: int) -> list:
    """The attempt's responses with `GRADING_FIELDS`, each with its question's `GRADING_QUESTION_FIELDS`."""
    from quizzes.models import Question, Response

    sql = statement(
        "quizzes.responses_for_grading",
        lambda quote: (
            "SELECT "  # noqa: S608
            + ", ".join(columns("r", Response, GRADING_FIELDS) + columns("q", Question, GRADING_QUESTION_FIELDS))
            + f" FROM {quote(Response._meta.db_table)} r JOIN {quote(Question._meta.db_table)} q"
            " ON q.id = r.question_id WHERE r.attempt_id = %s ORDER BY r.id"
        ),
    )
    rows = _fetch(sql, [attempt_id])
    split = len(GRADING_FIELDS)
    responses = instances(Response, GRADING_FIELDS, [row[:split] for row in rows])
    questions = instances(Question, GRADING_QUESTION_FIELDS, [row[split:] for row in rows])
    for response, question in zip(responses, questions, strict=True):
        response.question = question
    return responses


def grading_keys(*, attempt_id: int) -> dict[int, list]:
    """The answer keys of the attempt's questions, by question id, each in order (no model instances)."""
    from quizzes import grading
    from quizzes.models import Answer, Response

    names = ("question_id", "id", "text", "fraction", "value", "tolerance")
    sql = statement(
        "quizzes.grading_keys",
        lambda quote: (
            f"SELECT {', '.join(columns('k', Answer, names))} FROM {quote(Answer._meta.db_table)} k"  # noqa: S608
            f" WHERE k.question_id IN (SELECT question_id FROM {quote(Response._meta.db_table)} WHERE attempt_id = %s)"
            f" ORDER BY k.question_id, k.{quote('order')}, k.id"
        ),
    )
    keys: dict[int, list[grading.Key]] = {}
    for answer in instances(Answer, names, _fetch(sql, [attempt_id])):
        keys.setdefault(answer.question_id, []).append(
            grading.Key(
                id=answer.pk, text=answer.text, fraction=answer.fraction, value=answer.value, tolerance=answer.tolerance
            )
        )
    return keys


FINISH_FIELDS = ("state", "submitted_at", "auto_submitted", "score", "max_score", "grade", "needs_grading")


def finish_attempt(*, attempt_id: int, values: dict) -> bool:
    """Set `FINISH_FIELDS` from `values` if the attempt is still in progress: True for the one request that did."""
    from quizzes.models import Attempt

    fields = [Attempt._meta.get_field(name) for name in FINISH_FIELDS]
    sql = statement(
        "quizzes.finish_attempt",
        lambda quote: (
            f"UPDATE {quote(Attempt._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)}"  # noqa: S608
            " WHERE id = %s AND state = %s"
        ),
    )
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, attempt_id, Attempt.State.IN_PROGRESS.value])
        return cursor.rowcount == 1
