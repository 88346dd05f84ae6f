"""Grading: one pure function per question type, attempt scoring, grading methods.

The per-type functions know nothing about the database: they take the
learner's answer and the answer key (`Key` rows) and return an `Outcome`, a
fraction of the question's points (None while a self-rating or a grader is
awaited). `regrade_quiz` and `question_statistics` at the end are the two
functions here that read and write rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.text import nfkc

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
_FRACTION_Q = Decimal("0.00001")
_SCORE_Q = Decimal("0.001")
_GRADE_Q = Decimal("0.01")

# Model-answer questions: the learner's own rating after seeing the model answer.
SELF_RATING_FRACTIONS = {"correct": ONE, "partial": Decimal("0.5"), "missed": ZERO}

# qtype values (mirrors quizzes.models.Question.Type without importing models).
SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERICAL, MODEL, ESSAY = (
    "single", "multiple", "truefalse", "short", "numerical", "model", "essay",
)  # fmt: skip
HIGHEST, AVERAGE, FIRST, LAST = "highest", "average", "first", "last"


@dataclass(frozen=True)
class Key:
    """One entry of an answer key: a choice, an accepted text or a number."""

    id: int
    text: str = ""
    fraction: Decimal = ZERO
    value: Decimal | None = None
    tolerance: Decimal = ZERO


@dataclass(frozen=True)
class Outcome:
    """A graded answer: the share of the points (None: waiting) and the key entry it matched."""

    fraction: Decimal | None
    key_id: int | None = None

    @property
    def pending(self) -> bool:
        return self.fraction is None


# ---------------------------------------------------------------- per type


def _clamp(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value)).quantize(_FRACTION_Q, rounding=ROUND_HALF_UP)


def grade_single(*, selected: Sequence[int], keys: Sequence[Key]) -> Outcome:
    """Single choice and true/false: the chosen entry's fraction (never below 0)."""
    if not selected:
        return Outcome(ZERO)
    key = next((k for k in keys if k.id == selected[0]), None)
    if key is None:
        return Outcome(ZERO)
    return Outcome(_clamp(key.fraction), key.id)


def grade_multiple(*, selected: Sequence[int], keys: Sequence[Key]) -> Outcome:
    """Multiple response: the sum of the chosen entries' fractions, within 0..1.

    Wrong choices carry negative fractions, so ticking everything does not pay.
    """
    chosen = set(selected)
    total = sum((k.fraction for k in keys if k.id in chosen), ZERO)
    return Outcome(_clamp(total))


def normalize_answer(text: str, *, case_sensitive: bool = False) -> str:
    """NFKC (composes decomposed Hangul, folds full-width forms), whitespace runs
    collapsed and trimmed, case folded unless the question is case sensitive."""
    text = re.sub(r"\s+", " ", nfkc(text)).strip()
    return text if case_sensitive else text.casefold()


def wildcard_pattern(accepted: str, *, case_sensitive: bool = False) -> re.Pattern:
    """Moodle's short-answer match: `*` matches anything, `\\*` is a literal star."""
    normalized = normalize_answer(accepted, case_sensitive=case_sensitive)
    pieces = re.split(r"(?<!\\)\*", normalized)
    body = ".*".join(re.escape(piece.replace("\\*", "*")) for piece in pieces)
    return re.compile(f"^{body}$", re.DOTALL)


def short_answer_matches(*, response: str, accepted: str, case_sensitive: bool = False) -> bool:
    given = normalize_answer(response, case_sensitive=case_sensitive)
    if not given:
        return False
    return wildcard_pattern(accepted, case_sensitive=case_sensitive).match(given) is not None


def grade_short(*, text: str, keys: Sequence[Key], case_sensitive: bool = False) -> Outcome:
    """Short answer: the first accepted answer (in key order) that matches."""
    for key in keys:
        if short_answer_matches(response=text, accepted=key.text, case_sensitive=case_sensitive):
            return Outcome(_clamp(key.fraction), key.id)
    return Outcome(ZERO)


def parse_number(text: str) -> Decimal | None:
    """A number as learners type it: `3.5`, `3,5`, `1,234.5`, `−2`, `1e-3`; None if it is not one."""
    cleaned = nfkc(text).strip().replace("−", "-").replace(" ", "").replace("\u202f", "")
    if not cleaned:
        return None
    if "," in cleaned:
        cleaned = cleaned.replace(",", "") if "." in cleaned else cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def grade_numerical(*, text: str, keys: Sequence[Key]) -> Outcome:
    """Numerical: the first key whose value ± tolerance contains the number.

    A key without a value is a catch-all (GIFT's `~#feedback`), used for its feedback.
    """
    number = parse_number(text)
    if number is None:
        return Outcome(ZERO)
    for key in keys:
        if key.value is None or abs(number - key.value) <= abs(key.tolerance):
            return Outcome(_clamp(key.fraction), key.id)
    return Outcome(ZERO)


def grade_model_answer(*, text: str, self_rating: str = "") -> Outcome:
    """Model answer: the learner's rating scores it; a blank answer is simply missed."""
    if not text.strip():
        return Outcome(ZERO)
    if self_rating in SELF_RATING_FRACTIONS:
        return Outcome(SELF_RATING_FRACTIONS[self_rating])
    return Outcome(None)


def grade_essay(*, text: str) -> Outcome:
    """Essay: waits for a grader, unless nothing was written."""
    return Outcome(ZERO) if not text.strip() else Outcome(None)


def grade_response(
    *,
    qtype: str,
    keys: Sequence[Key],
    selected: Sequence[int] = (),
    text: str = "",
    case_sensitive: bool = False,
    self_rating: str = "",
) -> Outcome:
    if qtype in (SINGLE, TRUE_FALSE):
        return grade_single(selected=selected, keys=keys)
    if qtype == MULTIPLE:
        return grade_multiple(selected=selected, keys=keys)
    if qtype == SHORT:
        return grade_short(text=text, keys=keys, case_sensitive=case_sensitive)
    if qtype == NUMERICAL:
        return grade_numerical(text=text, keys=keys)
    if qtype == MODEL:
        return grade_model_answer(text=text, self_rating=self_rating)
    if qtype == ESSAY:
        return grade_essay(text=text)
    raise ValueError(f"unknown question type {qtype!r}")


def score_for(*, fraction: Decimal | None, points: Decimal) -> Decimal | None:
    if fraction is None:
        return None
    return (fraction * points).quantize(_SCORE_Q, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- attempts


@dataclass(frozen=True)
class AttemptScore:
    score: Decimal
    max_score: Decimal
    grade: Decimal | None  # percent; None while anything awaits grading
    needs_grading: bool


def score_attempt(*, items: Iterable[tuple[Decimal | None, Decimal]]) -> AttemptScore:
    """Sum `(score or None, points)` pairs into an attempt's score and grade."""
    score, max_score, pending = ZERO, ZERO, False
    for item_score, points in items:
        max_score += points
        if item_score is None:
            pending = True
        else:
            score += item_score
    if pending:
        grade = None
    elif max_score > 0:
        grade = (score * HUNDRED / max_score).quantize(_GRADE_Q, rounding=ROUND_HALF_UP)
    else:
        grade = HUNDRED
    return AttemptScore(score=score, max_score=max_score, grade=grade, needs_grading=pending)


@dataclass(frozen=True)
class QuizGrade:
    """A learner's grade for a quiz over their attempts, by the quiz's grading method."""

    grade: Decimal | None
    pending: bool  # an attempt awaiting grading could still change the outcome
    passed: bool
    best: Decimal | None
    finished: int


def _is_graded(attempt) -> bool:
    return not attempt.needs_grading and attempt.grade is not None


def quiz_grade(*, attempts: Sequence, method: str, pass_mark: Decimal) -> QuizGrade:
    """Highest / average / first / last over finished attempts.

    Only fully graded attempts count. An attempt awaiting grading makes the
    result "pending" whenever it could change it: always for average, when it
    is the chosen one for first/last, and for highest only while the grade is
    not already a pass.
    """
    finished = sorted((a for a in attempts if a.state == "finished"), key=lambda a: (a.number, a.pk or 0))
    graded = [a for a in finished if _is_graded(a)]
    has_pending = len(graded) < len(finished)
    best = max((a.grade for a in graded), default=None)
    if method == AVERAGE:
        grade = (
            (sum((a.grade for a in graded), ZERO) / len(graded)).quantize(_GRADE_Q, rounding=ROUND_HALF_UP)
            if graded
            else None
        )
        pending = has_pending
    elif method in (FIRST, LAST):
        chosen = (finished[0] if method == FIRST else finished[-1]) if finished else None
        grade = chosen.grade if chosen is not None and _is_graded(chosen) else None
        pending = chosen is not None and not _is_graded(chosen)
    else:
        grade = best
        pending = has_pending and (grade is None or grade < pass_mark)
    passed = grade is not None and grade >= pass_mark and not pending
    return QuizGrade(grade=grade, pending=pending, passed=passed, best=best, finished=len(finished))


# ---------------------------------------------------------------- database-wide


@dataclass(frozen=True)
class RegradeResult:
    attempts: int  # finished attempts looked at
    attempts_changed: int
    responses_changed: int


def regrade_quiz(*, quiz, dry_run: bool = False) -> RegradeResult:
    """Grade every finished attempt of `quiz` again against the current answer key.

    Instructor grades and self-ratings are kept (rescaled to the current
    points). With `dry_run`, nothing is written: the result says what would change.
    """
    from django.db import transaction

    from quizzes.models import Attempt, Response
    from quizzes.signals import attempt_changed

    attempts = list(
        Attempt.objects.filter(quiz=quiz, state=Attempt.State.FINISHED).select_related("quiz", "user").with_responses()
    )
    changed_responses: list = []
    changed_attempts: list = []
    for attempt in attempts:
        responses = list(attempt.responses.all())
        for response in responses:
            before = (response.fraction, response.score, response.matched_answer_id)
            response.apply_grade()
            if (response.fraction, response.score, response.matched_answer_id) != before:
                changed_responses.append(response)
        before = (attempt.score, attempt.max_score, attempt.grade, attempt.needs_grading)
        attempt.apply_score(responses)
        if (attempt.score, attempt.max_score, attempt.grade, attempt.needs_grading) != before:
            changed_attempts.append(attempt)
    if not dry_run:
        with transaction.atomic():
            Response.objects.bulk_update(changed_responses, ["fraction", "score", "matched_answer"], batch_size=500)
            Attempt.objects.bulk_update(
                changed_attempts, ["score", "max_score", "grade", "needs_grading"], batch_size=500
            )
        for attempt in changed_attempts:
            attempt_changed.send(sender=Attempt, attempt=attempt)
    return RegradeResult(
        attempts=len(attempts), attempts_changed=len(changed_attempts), responses_changed=len(changed_responses)
    )


@dataclass(frozen=True)
class QuestionStats:
    question: object
    responses: int  # in submitted attempts
    answered: int
    graded: int
    average_percent: Decimal | None  # mean score as % of the question's points
    correct_percent: Decimal | None  # share of graded responses with full marks
    pending: int


def question_statistics(*, quiz) -> list[QuestionStats]:
    """Per-question figures over submitted attempts, in two queries."""
    from django.db.models import Avg, Count, Q

    from quizzes.models import Attempt, Response

    rows = {
        row["question"]: row
        for row in Response.objects.filter(attempt__quiz=quiz, attempt__state=Attempt.State.FINISHED)
        .values("question")
        .annotate(
            n=Count("pk"),
            answered=Count("pk", filter=~Q(text="") | ~Q(selected=[])),
            graded=Count("pk", filter=Q(score__isnull=False)),
            avg_fraction=Avg("fraction", filter=Q(score__isnull=False)),
            correct=Count("pk", filter=Q(fraction__gte=ONE)),
        )
    }
    stats = []
    for question in quiz.questions.order_by("order", "pk"):
        row = rows.get(question.pk, {})
        graded = row.get("graded", 0)
        avg = row.get("avg_fraction")
        stats.append(
            QuestionStats(
                question=question,
                responses=row.get("n", 0),
                answered=row.get("answered", 0),
                graded=graded,
                average_percent=(Decimal(str(avg)) * HUNDRED).quantize(Decimal("0.1")) if avg is not None else None,
                correct_percent=(Decimal(row["correct"]) * HUNDRED / graded).quantize(Decimal("0.1"))
                if graded
                else None,
                pending=row.get("n", 0) - graded,
            )
        )
    return stats
