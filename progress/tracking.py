"""The completion rule, and recomputing stored progress from the source tables.

A paper is *completed* when it is read (every checklist step ticked) and its
quiz is passed (grade ≥ pass mark by the quiz's grading method). A paper with
no published quiz is completed when read. Essays waiting for a grader make the
quiz "awaiting grading", never "failed".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from papers.models import ChecklistStep, Paper, StepProgress
from progress.models import Activity, PaperProgress
from progress.sql import execute, fetch, from_db, to_db
from quizzes.models import Attempt, Quiz

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState

# Consecutive activities of the same kind on the same paper within this window
# are merged into one entry (ticking seven steps is one study session).
ACTIVITY_MERGE_WINDOW = timedelta(minutes=30)

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class QuizResult:
    state: str
    grade: Decimal | None = None
    best_grade: Decimal | None = None
    attempts_used: int = 0


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _graded_quizzes(paper) -> list[Quiz]:
    """The paper's published quizzes, with just what grading needs."""
    return list(Quiz.objects.filter(paper=paper, is_published=True).only("id", "grading_method", "pass_mark"))


def quiz_result(*, quiz: Quiz, attempts: Sequence[Attempt]) -> QuizResult:
    """The state and grade of one quiz for one learner, from their attempts.

    The grade is the quizzes app's (`Quiz.grade_for`: the quiz's
    grading method over finished, fully graded attempts), so the quiz page and
    the dashboard agree. An attempt awaiting grading that could still change
    the outcome makes the state "awaiting grading", never "failed".
    """
    result = quiz.grade_for(attempts)
    if result.passed:
        state = QuizState.PASSED
    elif result.pending:
        state = QuizState.AWAITING_GRADING
    elif any(a.state == Attempt.State.IN_PROGRESS for a in attempts):
        state = QuizState.IN_PROGRESS
    elif result.grade is not None:
        state = QuizState.FAILED
    else:
        state = QuizState.NONE
    return QuizResult(state=state, grade=result.grade, best_grade=result.best, attempts_used=len(attempts))


# When a paper has several quizzes, the paper's quiz state is the one that
# most needs attention; it is "passed" only when every quiz is passed.
_STATE_PRIORITY = [QuizState.FAILED, QuizState.AWAITING_GRADING, QuizState.IN_PROGRESS]


def combine_quiz_results(results: Sequence[QuizResult]) -> QuizResult:
    if not results:
        return QuizResult(state=QuizState.NONE)
    if len(results) == 1:
        return results[0]
    states = {r.state for r in results}
    if states == {QuizState.PASSED}:
        state = QuizState.PASSED
    elif states == {QuizState.NONE}:
        state = QuizState.NONE
    else:
        # Some passed and some not tried yet counts as under way.
        state = next((s for s in _STATE_PRIORITY if s in states), QuizState.IN_PROGRESS)
    grades = [r.grade for r in results if r.grade is not None]
    bests = [r.best_grade for r in results if r.best_grade is not None]
    return QuizResult(
        state=state,
        grade=_round(sum(grades, Decimal(0)) / len(grades)) if grades else None,
        best_grade=max(bests) if bests else None,
        attempts_used=sum(r.attempts_used for r in results),
    )


def paper_status(*, steps_done: int, steps_total: int, has_quiz: bool, quiz_state: str) -> str:
    """The completion rule.

    A paper without checklist steps cannot be ticked through; when it has a
    quiz, passing the quiz is enough.
    """
    read = steps_done >= steps_total if steps_total else has_quiz
    quiz_ok = quiz_state == QuizState.PASSED if has_quiz else True
    if read and quiz_ok:
        return Status.COMPLETED
    if steps_total and steps_done >= steps_total:
        return Status.READ
    if steps_done or quiz_state != QuizState.NONE:
        return Status.READING
    return Status.NOT_STARTED


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _apply(
    row: PaperProgress,
    *,
    steps_done: int,
    steps_total: int,
    result: QuizResult,
    has_quiz: bool,
    source_activity_at: datetime | None,
) -> None:
    was_completed = row.status == Status.COMPLETED
    row.steps_done = min(steps_done, steps_total)
    row.steps_total = steps_total
    row.quiz_state = result.state
    row.quiz_grade = result.grade
    row.best_grade = result.best_grade
    row.attempts_used = result.attempts_used
    row.status = paper_status(
        steps_done=steps_done, steps_total=steps_total, has_quiz=has_quiz, quiz_state=result.state
    )
    row.last_activity_at = _latest(row.last_activity_at, source_activity_at)
    if row.status == Status.COMPLETED:
        if not was_completed or row.completed_at is None:
            row.completed_at = row.last_activity_at or timezone.now()
    else:
        row.completed_at = None


def _attempt_activity_at(attempt) -> datetime | None:
    return _latest(attempt.submitted_at, attempt.started_at)


# ---------------------------------------------------------------- one learner, one paper (the hot path)
#
# This runs after every checklist tick, quiz start and submit, so it is
# written for few round trips: one read of everything it needs, one write of
# the row, one write of the activity; no transaction of its own in autocommit
# mode. The SQL is written out because the ORM spends several times longer
# building these statements than the database spends running them; values go
# through the model fields' own conversions, so it behaves the same on
# PostgreSQL and SQLite.
#
# Concurrency: the row is written with a compare-and-set on `updated_at` (the
# value read together with the sources), a new row with INSERT … ON CONFLICT
# DO NOTHING. If another request wrote the row since our read, nothing is
# written and we read again: the last writer has always seen every change that
# was committed before its read, so two ticks at once end with the right count.

MAX_REFRESH_TRIES = 8


class ProgressConflict(RuntimeError):
    """The row kept changing under us (should not happen outside a stress test)."""


@dataclass(frozen=True)
class LatestActivity:
    """The learner's newest activity, read with the sources so that merging into it needs no second read."""

    pk: int
    kind: str
    paper_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class _StoredRow:
    pk: int
    status: str
    last_activity_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


@dataclass
class _Sources:
    steps_total: int
    steps_done: int
    steps_last: datetime | None
    quizzes: list[Quiz]
    attempts: dict[int, list[Attempt]]
    stored: _StoredRow | None
    latest_activity: LatestActivity | None


_SOURCES_SQL = """
SELECT s.total, s.done, s.last_done,
       la.id, la.kind, la.paper_id, la.created_at,
       pp.id, pp.status, pp.last_activity_at, pp.completed_at, pp.updated_at,
       q.id, q.grading_method, q.pass_mark,
       a.id, a.number, a.state, a.grade, a.needs_grading, a.started_at, a.submitted_at
FROM (
    SELECT COUNT(cs.id) AS total, COUNT(sp.id) AS done, MAX(sp.done_at) AS last_done
    FROM papers_checkliststep cs
    LEFT JOIN papers_stepprogress sp ON sp.step_id = cs.id AND sp.user_id = %(user)s
    WHERE cs.paper_id = %(paper)s
) s
LEFT JOIN (
    SELECT id, kind, paper_id, created_at FROM progress_activity
    WHERE user_id = %(user)s ORDER BY created_at DESC, id DESC LIMIT 1
) la ON 1 = 1
LEFT JOIN progress_paperprogress pp ON pp.user_id = %(user)s AND pp.paper_id = %(paper)s
LEFT JOIN quizzes_quiz q ON q.paper_id = %(paper)s AND q.is_published
LEFT JOIN quizzes_attempt a ON a.quiz_id = q.id AND a.user_id = %(user)s
ORDER BY q.id, a.number, a.id
"""

_LATEST_ACTIVITY_SQL = """
SELECT id, kind, paper_id, created_at FROM progress_activity
WHERE user_id = %(user)s ORDER BY created_at DESC, id DESC LIMIT 1
"""

_REVIEWS_AND_LATEST_ACTIVITY_SQL = """
SELECT (SELECT COUNT(*) FROM glossary_reviewlog WHERE user_id = %(user)s AND reviewed_at >= %(since)s),
       la.id, la.kind, la.paper_id, la.created_at
FROM (SELECT 1 AS one) one
LEFT JOIN (
    SELECT id, kind, paper_id, created_at FROM progress_activity
    WHERE user_id = %(user)s ORDER BY created_at DESC, id DESC LIMIT 1
) la ON 1 = 1
"""

_ROW_FIELDS = [
    "steps_done",
    "steps_total",
    "status",
    "quiz_state",
    "quiz_grade",
    "best_grade",
    "attempts_used",
    "last_activity_at",
    "completed_at",
    "updated_at",
]

_UPDATE_ROW_SQL = """
UPDATE progress_paperprogress
SET steps_done = %(steps_done)s, steps_total = %(steps_total)s, status = %(status)s, quiz_state = %(quiz_state)s,
    quiz_grade = %(quiz_grade)s, best_grade = %(best_grade)s, attempts_used = %(attempts_used)s,
    last_activity_at = %(last_activity_at)s, completed_at = %(completed_at)s, updated_at = %(updated_at)s
WHERE id = %(pk)s AND updated_at = %(seen)s
"""

_INSERT_ROW_SQL = """
INSERT INTO progress_paperprogress (
    user_id, paper_id, steps_done, steps_total, status, quiz_state, quiz_grade, best_grade, attempts_used,
    last_activity_at, completed_at, updated_at
) VALUES (
    %(user_id)s, %(paper_id)s, %(steps_done)s, %(steps_total)s, %(status)s, %(quiz_state)s, %(quiz_grade)s,
    %(best_grade)s, %(attempts_used)s, %(last_activity_at)s, %(completed_at)s, %(updated_at)s
)
ON CONFLICT (user_id, paper_id) DO NOTHING
RETURNING id
"""

_TOUCH_ACTIVITY_SQL = (
    "UPDATE progress_activity SET detail = %(detail)s, created_at = %(now)s WHERE id = %(pk)s AND created_at = %(seen)s"
)

_INSERT_ACTIVITY_SQL = (
    "INSERT INTO progress_activity (user_id, kind, paper_id, detail, created_at) "
    "VALUES (%(user_id)s, %(kind)s, %(paper_id)s, %(detail)s, %(now)s) RETURNING id"
)


def _latest_activity_from(row: Sequence) -> LatestActivity | None:
    pk, kind, paper_id, created_at = row
    if pk is None:
        return None
    return LatestActivity(pk, kind, paper_id, from_db(Activity, "created_at", created_at))


def _read_sources(*, user_id: int, paper_id: int) -> _Sources:
    """Steps, published quizzes and attempts, the stored row and the latest activity: one query."""
    rows = fetch(_SOURCES_SQL, {"user": user_id, "paper": paper_id})
    first = rows[0]  # the step counts make one row even without quizzes
    stored = None
    if first[7] is not None:
        stored = _StoredRow(
            pk=first[7],
            status=first[8],
            last_activity_at=from_db(PaperProgress, "last_activity_at", first[9]),
            completed_at=from_db(PaperProgress, "completed_at", first[10]),
            updated_at=from_db(PaperProgress, "updated_at", first[11]),
        )
    quizzes: dict[int, Quiz] = {}
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for row in rows:
        quiz_id, grading_method, pass_mark = row[12:15]
        if quiz_id is None:
            continue
        if quiz_id not in quizzes:
            quizzes[quiz_id] = Quiz(
                id=quiz_id,
                paper_id=paper_id,
                grading_method=grading_method,
                pass_mark=from_db(Quiz, "pass_mark", pass_mark),
            )
        attempt_id, number, state, grade, needs_grading, started_at, submitted_at = row[15:22]
        if attempt_id is not None:
            attempts[quiz_id].append(
                Attempt(
                    id=attempt_id,
                    quiz_id=quiz_id,
                    user_id=user_id,
                    number=number,
                    state=state,
                    grade=from_db(Attempt, "grade", grade),
                    needs_grading=from_db(Attempt, "needs_grading", needs_grading),
                    started_at=from_db(Attempt, "started_at", started_at),
                    submitted_at=from_db(Attempt, "submitted_at", submitted_at),
                )
            )
    return _Sources(
        steps_total=first[0] or 0,
        steps_done=first[1] or 0,
        steps_last=from_db(StepProgress, "done_at", first[2]),
        quizzes=list(quizzes.values()),
        attempts=attempts,
        stored=stored,
        latest_activity=_latest_activity_from(first[3:7]),
    )


def _computed_row(*, user_id: int, paper_id: int, sources: _Sources, activity_at: datetime | None) -> PaperProgress:
    stored = sources.stored
    row = PaperProgress(user_id=user_id, paper_id=paper_id)
    if stored is not None:
        row.pk = stored.pk
        row.status, row.last_activity_at, row.completed_at = stored.status, stored.last_activity_at, stored.completed_at
    quizzes = sources.quizzes
    result = combine_quiz_results([quiz_result(quiz=q, attempts=sources.attempts[q.pk]) for q in quizzes])
    source_at = _latest(
        sources.steps_last,
        *(_attempt_activity_at(a) for attempts in sources.attempts.values() for a in attempts),
        activity_at,
    )
    _apply(
        row,
        steps_done=sources.steps_done,
        steps_total=sources.steps_total,
        result=result,
        has_quiz=bool(quizzes),
        source_activity_at=source_at,
    )
    row.updated_at = timezone.now()
    return row


def _write_row(row: PaperProgress, stored: _StoredRow | None) -> bool:
    """Store `row` unless someone else wrote it since `stored` was read; True when written."""
    values = {name: to_db(PaperProgress, name, getattr(row, name)) for name in _ROW_FIELDS}
    if stored is None:
        _count, inserted = execute(_INSERT_ROW_SQL, {**values, "user_id": row.user_id, "paper_id": row.paper_id})
        if inserted is None:  # someone else inserted it first
            return False
        row.pk = inserted[0]
        return True
    seen = to_db(PaperProgress, "updated_at", stored.updated_at)
    updated, _returned = execute(_UPDATE_ROW_SQL, {**values, "pk": stored.pk, "seen": seen})
    return updated == 1


def refresh_paper_progress(
    *,
    user=None,
    paper: Paper | None = None,
    user_id: int | None = None,
    paper_id: int | None = None,
    activity_at: datetime | None = None,
) -> PaperProgress:
    """Recompute one learner's row for one paper from the source tables.

    Give the user and paper as objects or as ids. `activity_at` (when a
    receiver reacts to something the learner just did) moves the
    last-activity time forward even when the sources cannot show it, e.g.
    after unticking a step. The returned row's `became_completed` tells
    whether this change completed the paper, and `latest_activity` is the
    learner's newest activity as read (for `record_activity(latest=…)`).
    One read and one write in the usual case; see the notes above on concurrency.
    """
    user_id = user.pk if user is not None else user_id
    paper_id = paper.pk if paper is not None else paper_id
    for _try in range(MAX_REFRESH_TRIES):
        sources = _read_sources(user_id=user_id, paper_id=paper_id)
        row = _computed_row(user_id=user_id, paper_id=paper_id, sources=sources, activity_at=activity_at)
        if _write_row(row, sources.stored):
            was_completed = sources.stored is not None and sources.stored.status == Status.COMPLETED
            row.became_completed = row.status == Status.COMPLETED and not was_completed
            row.latest_activity = sources.latest_activity
            if paper is not None:
                row.paper = paper
            if user is not None:
                row.user = user
            return row
    raise ProgressConflict(f"progress of user {user_id} on paper {paper_id} kept changing")


def rebuild_paper_progress(*, paper: Paper, user_ids: Iterable[int] | None = None) -> int:
    """Recompute the rows of every learner with activity on `paper`, in bulk.

    A fixed number of queries per paper (plus the bulk writes); used by the
    `rebuild_progress` command and when a quiz's settings change.
    Returns the number of rows written.
    """
    step_rows = StepProgress.objects.filter(step__paper=paper)
    attempt_rows = Attempt.objects.filter(quiz__paper=paper, quiz__is_published=True)
    existing_rows = PaperProgress.objects.filter(paper=paper)
    if user_ids is not None:
        user_ids = list(user_ids)
        step_rows = step_rows.filter(user_id__in=user_ids)
        attempt_rows = attempt_rows.filter(user_id__in=user_ids)
        existing_rows = existing_rows.filter(user_id__in=user_ids)

    steps_total = ChecklistStep.objects.filter(paper=paper).count()
    quizzes = _graded_quizzes(paper)
    done = {
        row["user_id"]: row
        for row in step_rows.values("user_id").annotate(n=Count("step_id", distinct=True), last=Max("done_at"))
    }
    attempts: dict[int, dict[int, list[Attempt]]] = defaultdict(lambda: defaultdict(list))
    for attempt in attempt_rows.only(
        "id", "quiz_id", "user_id", "number", "state", "grade", "needs_grading", "started_at", "submitted_at"
    ):
        attempts[attempt.user_id][attempt.quiz_id].append(attempt)
    existing = {row.user_id: row for row in existing_rows}

    to_create, to_update = [], []
    for user_id in set(done) | set(attempts) | set(existing):
        row = existing.get(user_id) or PaperProgress(user_id=user_id, paper=paper)
        by_quiz = attempts.get(user_id, {})
        result = combine_quiz_results([quiz_result(quiz=q, attempts=by_quiz.get(q.pk, [])) for q in quizzes])
        source_at = _latest(
            done.get(user_id, {}).get("last"),
            *(_attempt_activity_at(a) for items in by_quiz.values() for a in items),
        )
        _apply(
            row,
            steps_done=done.get(user_id, {}).get("n", 0),
            steps_total=steps_total,
            result=result,
            has_quiz=bool(quizzes),
            source_activity_at=source_at,
        )
        row.updated_at = timezone.now()
        (to_update if row.pk else to_create).append(row)
    with transaction.atomic():
        PaperProgress.objects.bulk_create(to_create, batch_size=500)
        PaperProgress.objects.bulk_update(to_update, _ROW_FIELDS, batch_size=500)
    return len(to_create) + len(to_update)


def rebuild_all_progress(*, papers: Iterable[Paper] | None = None) -> int:
    papers = Paper.objects.all() if papers is None else papers
    return sum(rebuild_paper_progress(paper=paper) for paper in papers)


_UNREAD = object()


def _mergeable(latest: LatestActivity | None, *, kind: str, paper_id: int | None, now: datetime) -> bool:
    return (
        latest is not None
        and latest.kind == kind
        and latest.paper_id == paper_id
        and now - latest.created_at <= ACTIVITY_MERGE_WINDOW
        and timezone.localdate(latest.created_at) == timezone.localdate(now)
    )


def read_latest_activity(*, user_id: int) -> LatestActivity | None:
    rows = fetch(_LATEST_ACTIVITY_SQL, {"user": user_id})
    return _latest_activity_from(rows[0]) if rows else None


def record_activity(
    *,
    user,
    kind: str,
    paper: Paper | None = None,
    paper_id: int | None = None,
    detail: str = "",
    merge: bool = True,
    latest: LatestActivity | None | object = _UNREAD,
) -> Activity:
    """Log a study activity; a repeat of the learner's latest one is merged into it.

    `latest` is the learner's newest activity when the caller has just read it
    (`refresh_paper_progress` does); otherwise it is read here. The merge is a
    conditional UPDATE that only applies while that activity is unchanged; if
    a concurrent request merged into it first, this one is logged as a new
    entry rather than overwriting it.
    """
    now = timezone.now()
    paper_id = paper.pk if paper is not None else paper_id
    detail = detail[:300]
    activity = Activity(user=user, kind=kind, paper_id=paper_id, detail=detail, created_at=now)
    if paper is not None:
        activity.paper = paper
    encode = partial(to_db, Activity)
    if merge:
        if latest is _UNREAD:
            latest = read_latest_activity(user_id=user.pk)
        if _mergeable(latest, kind=kind, paper_id=paper_id, now=now):
            seen = encode("created_at", latest.created_at)
            touched, _returned = execute(
                _TOUCH_ACTIVITY_SQL, {"detail": detail, "now": encode("created_at", now), "pk": latest.pk, "seen": seen}
            )
            if touched == 1:
                activity.pk = latest.pk
                return activity
    params = {"user_id": user.pk, "kind": kind, "paper_id": paper_id, "detail": detail}
    _count, (activity.pk,) = execute(_INSERT_ACTIVITY_SQL, {**params, "now": encode("created_at", now)})
    return activity


def record_flashcard_activity(*, user, now: datetime | None = None) -> Activity:
    """Log flashcard study, with the number of cards reviewed today (one read, one write)."""
    from glossary.models import ReviewLog

    now = now or timezone.now()
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    (row,) = fetch(_REVIEWS_AND_LATEST_ACTIVITY_SQL, {"user": user.pk, "since": to_db(ReviewLog, "reviewed_at", since)})
    return record_activity(
        user=user, kind=Activity.Kind.FLASHCARDS, detail=str(row[0]), latest=_latest_activity_from(row[1:])
    )
