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

from django.db import IntegrityError, transaction
from django.db.models import Count, FilteredRelation, Max, Q
from django.utils import timezone

from papers.models import ChecklistStep, Paper, StepProgress
from progress.models import Activity, PaperProgress
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


def refresh_paper_progress(*, user, paper: Paper, activity_at: datetime | None = None) -> PaperProgress:
    """Recompute one learner's row for one paper from the source tables.

    `activity_at` (when a receiver reacts to something the learner just did)
    moves the last-activity time forward even when the sources cannot show
    it, e.g. after unticking a step. The returned row's `became_completed`
    tells whether this change completed the paper.
    """
    steps = (
        ChecklistStep.objects.filter(paper=paper)
        .annotate(mine=FilteredRelation("progress", condition=Q(progress__user=user)))
        .aggregate(total=Count("id", distinct=True), done=Count("mine", distinct=True), last=Max("mine__done_at"))
    )
    quizzes = _graded_quizzes(paper)
    by_quiz: dict[int, list[Attempt]] = defaultdict(list)
    if quizzes:
        for attempt in Attempt.objects.filter(user=user, quiz__in=quizzes).only(
            "id", "quiz_id", "number", "state", "grade", "needs_grading", "started_at", "submitted_at"
        ):
            by_quiz[attempt.quiz_id].append(attempt)
    result = combine_quiz_results([quiz_result(quiz=q, attempts=by_quiz[q.pk]) for q in quizzes])
    source_at = _latest(
        steps["last"], *(_attempt_activity_at(a) for attempts in by_quiz.values() for a in attempts), activity_at
    )

    def apply(row: PaperProgress) -> None:
        _apply(
            row,
            steps_done=steps["done"],
            steps_total=steps["total"],
            result=result,
            has_quiz=bool(quizzes),
            source_activity_at=source_at,
        )

    row = PaperProgress.objects.filter(user=user, paper=paper).first()
    was_completed = row is not None and row.status == Status.COMPLETED
    if row is None:
        row = PaperProgress(user=user, paper=paper)
        apply(row)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:  # a concurrent request created it first
            row = PaperProgress.objects.get(user=user, paper=paper)
            was_completed = row.status == Status.COMPLETED
            apply(row)
            row.save()
    else:
        apply(row)
        row.save()
    row.became_completed = row.status == Status.COMPLETED and not was_completed
    return row


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
    fields = [
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
    with transaction.atomic():
        PaperProgress.objects.bulk_create(to_create, batch_size=500)
        PaperProgress.objects.bulk_update(to_update, fields, batch_size=500)
    return len(to_create) + len(to_update)


def rebuild_all_progress(*, papers: Iterable[Paper] | None = None) -> int:
    papers = Paper.objects.all() if papers is None else papers
    return sum(rebuild_paper_progress(paper=paper) for paper in papers)


def record_activity(*, user, kind: str, paper: Paper | None = None, detail: str = "", merge: bool = True) -> Activity:
    """Log a study activity; a repeat of the learner's latest one is merged into it."""
    now = timezone.now()
    if merge:
        latest = Activity.objects.filter(user=user).order_by("-created_at", "-pk").first()
        if (
            latest is not None
            and latest.kind == kind
            and latest.paper_id == (paper.pk if paper else None)
            and now - latest.created_at <= ACTIVITY_MERGE_WINDOW
            and timezone.localdate(latest.created_at) == timezone.localdate(now)
        ):
            latest.detail = detail[:300]
            latest.created_at = now
            latest.save(update_fields=["detail", "created_at"])
            return latest
    return Activity.objects.create(user=user, kind=kind, paper=paper, detail=detail[:300], created_at=now)
