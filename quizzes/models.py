"""Quizzes, questions with their answer keys, attempts and responses."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from core.models import RenderedMarkdownModel
from core.rows import fits_bigint
from core.urls import reverse_one
from papers.models import Paper
from quizzes import grading, sql
from quizzes.signals import attempt_changed

# Answers saved this long after the deadline still count: the last autosave,
# or the timer's own submit, is on its way when the clock runs out.
GRACE_PERIOD = timedelta(seconds=30)
MAX_TEXT_ANSWER = 20_000
MAX_SHORT_ANSWER = 1_000


class AttemptError(Exception):
    """An answer or a submit that the attempt refuses; `str()` is the learner-facing message."""


class AttemptClosed(AttemptError):
    def __init__(self, message=None):
        super().__init__(message or _("이 시도는 이미 제출되어 답을 바꿀 수 없습니다."))


class DeadlinePassed(AttemptClosed):
    def __init__(self):
        super().__init__(
            _("제한 시간이 지나 답을 저장하지 않았습니다. 시도는 마감 시각까지 저장된 답으로 자동 제출되었습니다.")
        )


class StaleAnswer(AttemptError):
    def __init__(self):
        super().__init__(
            _("이 문항은 다른 창이나 탭에서 더 최근에 저장되었습니다. 페이지를 새로 고친 뒤 다시 답하세요.")
        )


class InvalidAnswer(AttemptError):
    pass


class NoAttemptsLeft(AttemptError):
    def __init__(self):
        super().__init__(_("허용된 시도 횟수를 모두 사용했습니다."))


class NoQuestions(AttemptError):
    def __init__(self):
        super().__init__(_("아직 문항이 없는 퀴즈입니다."))


@dataclass
class SaveReport:
    responses: dict  # question id → Response (as stored now)
    errors: dict = field(default_factory=dict)  # question id → AttemptError


class QuizQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True, paper__status=Paper.Status.PUBLISHED)

    def visible_to(self, user):
        """Learners see published quizzes of published papers; instructors see all."""
        from core.permissions import is_instructor

        return self if is_instructor(user) else self.published()


class Quiz(RenderedMarkdownModel):
    class GradingMethod(models.TextChoices):
        HIGHEST = "highest", _("Highest grade")
        AVERAGE = "average", _("Average grade")
        FIRST = "first", _("First attempt")
        LAST = "last", _("Last attempt")

    MARKDOWN_FIELDS = {"instructions": "instructions_html"}

    paper = models.ForeignKey(
        Paper,
        on_delete=models.CASCADE,
        related_name="quizzes",
        help_text=_("The paper this quiz is about."),
        verbose_name=_("paper"),
    )
    title = models.CharField(_("title"), max_length=200, help_text=_("Shown to learners."))
    slug = models.SlugField(
        verbose_name=_("slug"), unique=True, max_length=120, help_text=_("URL part; also used by `import_gift --quiz`.")
    )
    instructions = MarkdownxField(
        _("instructions"), blank=True, help_text=_("Markdown shown before the first question.")
    )
    instructions_html = models.TextField(editable=False, blank=True)
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Grade in percent needed to pass."),
    )
    attempts_allowed = models.PositiveIntegerField(_("attempts allowed"), default=0, help_text=_("0 means unlimited."))
    time_limit = models.DurationField(
        _("time limit"), null=True, blank=True, help_text=_("Empty for no limit, e.g. 00:30:00 for 30 minutes.")
    )
    grading_method = models.CharField(
        _("grading method"),
        max_length=10,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
        help_text=_("How several attempts make one grade."),
    )
    shuffle_questions = models.BooleanField(
        _("shuffle questions"), default=False, help_text=_("Each attempt gets its own question order.")
    )
    review_own_answers = models.BooleanField(_("show own answers"), default=True, help_text=_("After submitting."))
    review_correctness = models.BooleanField(_("show correctness"), default=True, help_text=_("After submitting."))
    review_marks = models.BooleanField(_("show marks"), default=True, help_text=_("After submitting."))
    review_feedback = models.BooleanField(_("show feedback"), default=True, help_text=_("After submitting."))
    review_model_answers = models.BooleanField(
        _("show model answers"), default=True, help_text=_("Right answers and model answers, after submitting.")
    )
    is_published = models.BooleanField(_("published"), default=True, help_text=_("Hidden from learners when off."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["paper__category__order", "paper__order", "pk"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse_one("quizzes:quiz_detail", self.slug)

    def grade_for(self, attempts) -> grading.QuizGrade:
        """This quiz's grade over one learner's attempts, by its grading method."""
        return grading.quiz_grade(attempts=attempts, method=self.grading_method, pass_mark=self.pass_mark)

    @property
    def time_limit_minutes(self) -> int | None:
        if not self.time_limit:
            return None
        return max(1, round(self.time_limit.total_seconds() / 60))

    def attempts_left(self, used: int) -> int | None:
        """None when unlimited."""
        if not self.attempts_allowed:
            return None
        return max(0, self.attempts_allowed - used)


class Question(RenderedMarkdownModel):
    class Type(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple response")
        TRUE_FALSE = "truefalse", _("True/false")
        SHORT = "short", _("Short answer")
        NUMERICAL = "numerical", _("Numerical")
        MODEL_ANSWER = "model", _("Model answer (self-rated)")
        ESSAY = "essay", _("Essay (instructor-graded)")

    AUTO_GRADED = {Type.SINGLE, Type.MULTIPLE, Type.TRUE_FALSE, Type.SHORT, Type.NUMERICAL}

    MARKDOWN_FIELDS = {
        "text": "text_html",
        "general_feedback": "general_feedback_html",
        "model_answer": "model_answer_html",
    }

    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Position within the quiz."))
    qtype = models.CharField(
        _("type"), max_length=10, choices=Type.choices, help_text=_("How it is answered and graded.")
    )
    name = models.CharField(_("name"), max_length=200, blank=True, help_text=_("Short internal name (GIFT ::name::)."))
    text = MarkdownxField(_("question text"), help_text=_("Markdown; `$$…$$` for math."))
    text_html = models.TextField(editable=False, blank=True)
    points = models.DecimalField(
        _("points"), max_digits=6, decimal_places=2, default=Decimal("1"), help_text=_("Maximum marks.")
    )
    general_feedback = MarkdownxField(
        _("general feedback"), blank=True, help_text=_("Shown after submitting, whatever the answer.")
    )
    general_feedback_html = models.TextField(editable=False, blank=True)
    model_answer = MarkdownxField(
        _("model answer"), blank=True, help_text=_("For model-answer and essay questions; shown after submitting.")
    )
    model_answer_html = models.TextField(editable=False, blank=True)
    case_sensitive = models.BooleanField(
        _("case sensitive"), default=False, help_text=_("Short answer only: match letter case exactly.")
    )
    category = models.CharField(
        _("category"),
        max_length=255,
        blank=True,
        help_text=_("Question-bank category, e.g. from GIFT `$CATEGORY:` lines; kept on export."),
    )

    class Meta:
        ordering = ["quiz", "order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["quiz", "order"], name="unique_question_order")]

    def __str__(self):
        return self.name or f"{self.quiz} #{self.order}"

    @property
    def is_auto_graded(self) -> bool:
        return self.qtype in self.AUTO_GRADED

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.qtype, self.get_qtype_display())

    @property
    def is_choice(self) -> bool:
        return self.qtype in CHOICE_TYPES

    @property
    def is_manually_graded(self) -> bool:
        return self.qtype in (self.Type.MODEL_ANSWER, self.Type.ESSAY)

    def keys(self) -> list[grading.Key]:
        """The answer key for grading (uses prefetched `answers`)."""
        return [
            grading.Key(id=a.pk, text=a.text, fraction=a.fraction, value=a.value, tolerance=a.tolerance)
            for a in self.answers.all()
        ]

    def right_answers(self) -> list[Answer]:
        """Entries shown as "the right answer" in a review: full marks, or the best there is."""
        answers = [a for a in self.answers.all() if a.fraction > 0]
        if self.qtype == self.Type.MULTIPLE:
            return answers
        best = max((a.fraction for a in answers), default=None)
        return [a for a in answers if a.fraction == best]

    def clean_answer(self, values: list[str]) -> tuple[str, list[int]]:
        """Posted values → (text, selected answer ids), checked against the prefetched answers."""
        choice_ids = {a.pk for a in self.answers.all()} if self.is_choice else set()
        return clean_answer(self.qtype, values, choice_ids=choice_ids)


def clean_answer(qtype: str, values: list[str], *, choice_ids: set[int]) -> tuple[str, list[int]]:
    """Posted values for a question of `qtype` → (text, selected answer ids). Raises InvalidAnswer.

    `choice_ids` are the ids of the question's choices (for choice types).
    """
    if qtype in CHOICE_TYPES:
        try:
            posted = [int(v) for v in values if str(v).strip()]
        except ValueError:
            raise InvalidAnswer(_("선택지를 알아볼 수 없습니다. 페이지를 새로 고치세요.")) from None
        # One choice only: the last one posted wins.
        ids = sorted(set(posted)) if qtype == Question.Type.MULTIPLE else posted[-1:]
        if not set(ids) <= choice_ids:
            raise InvalidAnswer(_("이 문항에 없는 선택지입니다. 페이지를 새로 고치세요."))
        return "", ids
    text = (values[-1] if values else "").replace("\r\n", "\n")
    limit = MAX_SHORT_ANSWER if qtype in (Question.Type.SHORT, Question.Type.NUMERICAL) else MAX_TEXT_ANSWER
    if len(text) > limit:
        message = _("답이 너무 깁니다 (%(length)d자). %(limit)d자 이하로 줄여 주세요.")
        raise InvalidAnswer(message % {"length": len(text), "limit": limit})
    return text, []


CHOICE_TYPES = {Question.Type.SINGLE, Question.Type.MULTIPLE, Question.Type.TRUE_FALSE}

TYPE_LABELS = {
    Question.Type.SINGLE: _("단일 선택"),
    Question.Type.MULTIPLE: _("복수 선택"),
    Question.Type.TRUE_FALSE: _("참/거짓"),
    Question.Type.SHORT: _("짧은 답"),
    Question.Type.NUMERICAL: _("수치"),
    Question.Type.MODEL_ANSWER: _("단답형 (모범 답안과 비교)"),
    Question.Type.ESSAY: _("논술형"),
}


class Answer(RenderedMarkdownModel):
    """One entry of a question's answer key: a choice, an accepted text or a number."""

    MARKDOWN_FIELDS = {"text": "text_html", "feedback": "feedback_html"}

    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers")
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Display order of choices."))
    text = models.TextField(
        _("text"), blank=True, help_text=_("Choice text, or accepted short answer (`*` is a wildcard).")
    )
    text_html = models.TextField(editable=False, blank=True)
    fraction = models.DecimalField(
        _("fraction"),
        max_digits=7,
        decimal_places=5,
        default=Decimal("0"),
        validators=[MinValueValidator(-1), MaxValueValidator(1)],
        help_text=_("Share of the points this answer earns: 1 = 100%, 0.5 = 50%, negative for penalties."),
    )
    feedback = models.TextField(
        _("feedback"), blank=True, help_text=_("Shown after submitting when this answer is given.")
    )
    feedback_html = models.TextField(editable=False, blank=True)
    value = models.DecimalField(
        _("numeric value"), max_digits=20, decimal_places=8, null=True, blank=True, help_text=_("Numerical questions.")
    )
    tolerance = models.DecimalField(
        _("tolerance"),
        max_digits=20,
        decimal_places=8,
        default=Decimal("0"),
        help_text=_("Numerical: accepted ± error."),
    )

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(fraction__gte=-1, fraction__lte=1), name="answer_fraction_between_minus_one_and_one"
            )
        ]

    def __str__(self):
        return self.text[:60] or (str(self.value) if self.value is not None else "—")


class AttemptQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def finished(self):
        return self.filter(state=Attempt.State.FINISHED)

    def overdue(self, *, now=None):
        now = now or timezone.now()
        return self.filter(state=Attempt.State.IN_PROGRESS, deadline__lt=now - GRACE_PERIOD)

    def close_overdue(self, *, now=None) -> int:
        """Auto-submit every attempt here that is past its deadline (and grace)."""
        closed = 0
        for attempt in self.overdue(now=now).select_related("quiz", "user"):
            closed += attempt.close_if_overdue(now=now)
        return closed

    def with_responses(self):
        """Responses with their question and answer key, for taking, grading and reviewing."""
        return self.prefetch_related(Prefetch("responses", queryset=Response.objects.with_keys()))


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        FINISHED = "finished", _("Submitted")
        ABANDONED = "abandoned", _("Abandoned")

    quiz = models.ForeignKey(Quiz, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveIntegerField(verbose_name=_("attempt number"), default=1)
    state = models.CharField(
        verbose_name=_("state"), max_length=12, choices=State.choices, default=State.IN_PROGRESS, db_index=True
    )
    started_at = models.DateTimeField(verbose_name=_("started at"), auto_now_add=True)
    deadline = models.DateTimeField(verbose_name=_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    auto_submitted = models.BooleanField(
        verbose_name=_("auto-submitted"), default=False, help_text=_("Submitted by the server at the deadline.")
    )
    question_order = models.JSONField(verbose_name=_("question order"), default=list, blank=True)
    score = models.DecimalField(verbose_name=_("score"), max_digits=8, decimal_places=3, null=True, blank=True)
    max_score = models.DecimalField(
        verbose_name=_("maximum score"), max_digits=8, decimal_places=3, default=Decimal("0")
    )
    grade = models.DecimalField(
        verbose_name=_("grade (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Percent, once fully graded."),
    )
    needs_grading = models.BooleanField(
        verbose_name=_("needs grading"),
        default=False,
        help_text=_("Has responses waiting for a grader or a self-rating."),
    )

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user"], condition=Q(state="in_progress"), name="one_open_attempt_per_quiz"
            ),
            models.UniqueConstraint(fields=["quiz", "user", "number"], name="unique_attempt_number"),
        ]
        indexes = [models.Index(fields=["user", "quiz", "state"])]

    def __str__(self):
        return f"{self.user} · {self.quiz} #{self.number}"

    def get_absolute_url(self):
        return reverse("quizzes:attempt_detail", args=[self.pk])

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def start(cls, *, quiz: Quiz, user, now=None, attempts: list[Attempt] | None = None) -> tuple[Attempt, bool]:
        """The learner's open attempt, or a new one: `(attempt, created)`.

        `attempts` are the learner's attempts at the quiz by number, if the
        caller has just read them (the view does, with the quiz).
        Races are settled by the database: the partial unique constraint
        allows one open attempt per learner and quiz, and `(quiz, user,
        number)` is unique, so two concurrent starts cannot both create the
        same next attempt and the allowance is never exceeded.
        Raises NoQuestions, NoAttemptsLeft.
        """
        now = now or timezone.now()
        questions = sql.question_points(quiz_id=quiz.pk)
        if not questions:
            raise NoQuestions
        for _try in range(5):
            # One read of the learner's attempts answers everything: overdue
            # ones to close, the open one, how many were used, the next number.
            if attempts is None:
                attempts = list(cls.objects.filter(quiz=quiz, user=user).order_by("number"))
            mine, attempts = attempts, None  # after a lost race, read them again
            current = None
            for attempt in mine:
                attempt.quiz, attempt.user = quiz, user  # the same rows; saves the signal receivers queries
                if attempt.is_in_progress and not attempt.close_if_overdue(now=now):
                    current = attempt
            if current is not None:
                return current, False
            if quiz.attempts_allowed and len(mine) >= quiz.attempts_allowed:
                raise NoAttemptsLeft
            order = [pk for pk, _points in questions]
            if quiz.shuffle_questions:
                random.shuffle(order)
            attempt = cls(
                quiz=quiz,
                user=user,
                number=max((a.number for a in mine), default=0) + 1,
                deadline=now + quiz.time_limit if quiz.time_limit else None,
                question_order=order,
                max_score=sum((points for _pk, points in questions), Decimal(0)),
            )
            try:
                with transaction.atomic():
                    sql.insert_attempt(attempt)  # what save() writes, without building the INSERT each time
                    sql.insert_responses(attempt_id=attempt.pk, quiz_id=quiz.pk)
                    # Inside the transaction: the receivers' writes share its one commit.
                    attempt_changed.send(sender=cls, attempt=attempt)
            except IntegrityError:
                continue  # a concurrent request started one first: take theirs
            return attempt, True
        raise AttemptError(_("시도를 시작하지 못했습니다. 잠시 후 다시 시도하세요."))

    @property
    def is_in_progress(self) -> bool:
        return self.state == self.State.IN_PROGRESS

    @property
    def is_finished(self) -> bool:
        return self.state == self.State.FINISHED

    def seconds_left(self, *, now=None) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - (now or timezone.now())).total_seconds()))

    def is_overdue(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.is_in_progress and self.deadline is not None and now > self.deadline + GRACE_PERIOD

    def close_if_overdue(self, *, now=None) -> bool:
        """Auto-submit with the answers saved so far if the deadline (and grace) passed."""
        if not self.is_overdue(now=now):
            return False
        return self.submit(now=self.deadline, auto=True)

    def ensure_open(self, *, now=None) -> None:
        """Raise unless answers may still be saved (auto-submitting an overdue attempt)."""
        if self.close_if_overdue(now=now):
            raise DeadlinePassed
        if not self.is_in_progress:
            raise DeadlinePassed if self.auto_submitted else AttemptClosed

    def save_answers(self, answers: dict[int, tuple[list[str], int | None]], *, now=None) -> SaveReport:
        """Store answers while the attempt is open: `{question_id: (posted values, sequence)}`.

        `sequence` is the number the page was rendered with; an older one
        means another tab saved since, and that answer is refused
        (StaleAnswer). Unchanged answers are accepted without a write. All
        changes go in one conditional UPDATE, whatever the number of
        questions. Raises AttemptClosed / DeadlinePassed for the whole call.
        """
        now = now or timezone.now()
        self.ensure_open(now=now)
        responses = {r.question_id: r for r in self.responses.filter(question_id__in=list(answers)).with_keys()}
        return self._store(responses, answers, lambda response, values: response.question.clean_answer(values), now)

    def save_response(
        self,
        response: Response,
        *,
        values: list[str],
        sequence: int | None = None,
        qtype: str,
        choice_ids: set[int],
        now=None,
    ) -> Response:
        """One answer (the autosave), to a response of this attempt loaded without its question.

        The caller knows the question's type and choice ids (the take page's
        cache has them), so no answer key is read: one conditional UPDATE is
        the only query. Returns the response as stored now; raises the refusal.
        """
        now = now or timezone.now()
        self.ensure_open(now=now)
        answers = {response.question_id: (values, sequence)}
        report = self._store(
            {response.question_id: response},
            answers,
            lambda _response, posted: clean_answer(qtype, posted, choice_ids=choice_ids),
            now,
        )
        if response.question_id in report.errors:
            raise report.errors[response.question_id]
        return response

    @staticmethod
    def save_answer_at_once(
        *, attempt_id: int, user, question_id: int, values: list[str], sequence: int | None, qtype: str, choice_ids
    ) -> Response | None:
        """The autosave's usual case, one statement in all: the stored response, or None.

        Usual: the answer is valid for the question (`qtype`, `choice_ids`,
        from the take page's cache) and differs from the stored one, the
        page's `sequence` is current, and the attempt is the user's and open.
        None means nothing was written and the answer should go the long way
        (`save_response`), which finds out why: another learner's attempt, an
        unchanged or stale answer, a closed or overdue attempt, an invalid value.
        """
        if sequence is None or not all(fits_bigint(n) for n in (attempt_id, question_id, sequence)):
            return None  # no page's number, or an id no row has: the long way answers
        try:
            text, selected = clean_answer(qtype, values, choice_ids=choice_ids)
        except InvalidAnswer:
            return None
        now = timezone.now()
        stored = sql.save_answer_if_current(
            attempt_id=attempt_id,
            user_id=user.pk,
            question_id=question_id,
            text=text,
            selected=selected,
            sequence=sequence,
            now=now,
            grace=GRACE_PERIOD,
        )
        if stored is None:
            return None
        return Response(
            attempt_id=attempt_id, question_id=question_id, text=text, selected=selected, saved_at=now, sequence=stored
        )

    def save_answer(self, *, question_id: int, values: list[str], sequence: int | None = None, now=None) -> Response:
        """One question's answer. Raises the refusal; Response.DoesNotExist for a foreign question."""
        report = self.save_answers({question_id: (values, sequence)}, now=now)
        if question_id not in report.responses:
            raise Response.DoesNotExist
        if question_id in report.errors:
            raise report.errors[question_id]
        return report.responses[question_id]

    def _store(self, responses: dict, answers: dict, clean, now) -> SaveReport:
        """Check the posted answers (`clean(response, values)`) against the loaded responses; write the changes."""
        report = SaveReport(responses=responses)
        changes = []
        for question_id, (values, sequence) in answers.items():
            response = responses.get(question_id)
            if response is None:
                report.errors[question_id] = InvalidAnswer(_("이 시도에 없는 문항입니다."))
                continue
            try:
                text, selected = clean(response, values)
            except InvalidAnswer as exc:
                report.errors[question_id] = exc
                continue
            if text == response.text and selected == response.selected:
                continue
            if sequence is not None and sequence != response.sequence:
                report.errors[question_id] = StaleAnswer()
                continue
            changes.append((response, text, selected))
        if not changes:
            return report
        written = self._write(changes, now=now)
        refused = False
        for response, text, selected in changes:
            if response.pk in written:
                response.text, response.selected, response.saved_at = text, selected, now
                response.sequence += 1
            else:
                refused = True
                report.errors[response.question_id] = StaleAnswer()
        if refused:
            # Refused because the attempt closed meanwhile, not because another tab saved?
            self.refresh_from_db(fields=["state", "auto_submitted", "deadline"])
            self.ensure_open(now=now)
        return report

    def _write(self, changes: list, *, now) -> set[int]:
        """One conditional UPDATE for all changes; returns the pks of the rows written.

        A row is written only if its sequence is still the one read (no other
        tab saved since) and the attempt is still open: not submitted, and
        its deadline (plus grace) not passed.
        """
        still_open = sql.attempt_open(now=now, grace=GRACE_PERIOD)
        if len(changes) == 1:
            ((response, text, selected),) = changes
            written = Response.objects.filter(still_open, pk=response.pk, sequence=response.sequence).update(
                text=text, selected=selected, saved_at=now, sequence=F("sequence") + 1
            )
            return {response.pk} if written else set()
        unchanged_since_read = Q()
        for response, _text, _selected in changes:
            unchanged_since_read |= Q(pk=response.pk, sequence=response.sequence)
        written = Response.objects.filter(still_open, unchanged_since_read).update(
            text=Case(
                *[When(pk=r.pk, then=Value(text)) for r, text, _s in changes],
                default=F("text"),
                output_field=models.TextField(),
            ),
            selected=Case(
                *[When(pk=r.pk, then=Value(selected, output_field=models.JSONField())) for r, _t, selected in changes],
                default=F("selected"),
                output_field=models.JSONField(),
            ),
            saved_at=Value(now),
            sequence=F("sequence") + 1,
        )
        if written == len(changes):
            return {r.pk for r, _t, _s in changes}
        # Some were refused: which ones? Ours carry this call's time as well as the next number.
        stored = {
            pk: (sequence, saved_at)
            for pk, sequence, saved_at in Response.objects.filter(pk__in=[r.pk for r, _t, _s in changes]).values_list(
                "pk", "sequence", "saved_at"
            )
        }
        return {r.pk for r, _t, _s in changes if stored.get(r.pk) == (r.sequence + 1, now)}

    def submit(self, *, now=None, auto: bool = False) -> bool:
        """Finish and grade. Returns False if it was already submitted.

        The answers are graded first; then one conditional UPDATE finishes
        the attempt with its score and decides who stores the grades: of ten
        simultaneous submits, one changes the row and writes the response
        scores; the others see 0 rows and write nothing.
        """
        if not self.is_in_progress:
            return False  # a replay: states never go back to in progress
        now = now or timezone.now()
        responses = sql.responses_for_grading(attempt_id=self.pk)
        keys = sql.grading_keys(attempt_id=self.pk)
        for response in responses:
            response.apply_grade(keys=keys.get(response.question_id, []))
        result = grading.score_attempt(items=[(r.score, r.question.points) for r in responses])
        finished = {
            "state": self.State.FINISHED,
            "submitted_at": now,
            "auto_submitted": auto,
            "score": result.score,
            "max_score": result.max_score,
            "grade": result.grade,
            "needs_grading": result.needs_grading,
        }
        with transaction.atomic():
            won = sql.finish_attempt(attempt_id=self.pk, values=finished)
            if won:
                _store_grades(responses)
                for name, value in finished.items():
                    setattr(self, name, value)
                # Inside the transaction: the receivers' writes share its one commit.
                attempt_changed.send(sender=Attempt, attempt=self)
        if not won:
            self.refresh_from_db()
            return False
        return True

    def apply_score(self, responses) -> None:
        result = grading.score_attempt(items=[(r.score, r.question.points) for r in responses])
        self.score, self.max_score = result.score, result.max_score
        self.grade, self.needs_grading = result.grade, result.needs_grading

    def recompute(self) -> None:
        """Score and grade again from the stored response scores (after a rating or a grader)."""
        responses = list(self.responses.select_related("question"))
        self.apply_score(responses)
        self.save(update_fields=["score", "max_score", "grade", "needs_grading"])

    def ordered_responses(self) -> list[Response]:
        """Responses in this attempt's question order (uses prefetched responses)."""
        position = {pk: i for i, pk in enumerate(self.question_order or [])}
        return sorted(
            self.responses.all(), key=lambda r: (position.get(r.question_id, len(position)), r.question.order)
        )

    def in_question_order(self, responses) -> list[Response]:
        """`responses` of this attempt in its question order (those of questions added since, last)."""
        position = {pk: i for i, pk in enumerate(self.question_order or [])}
        return sorted(responses, key=lambda r: (position.get(r.question_id, len(position)), r.question_id))

    @property
    def passed(self) -> bool:
        return self.grade is not None and not self.needs_grading and self.grade >= self.quiz.pass_mark

    @property
    def status(self) -> tuple[str, str]:
        """(label, badge class) for lists: awaiting grading is its own state, never "failed"."""
        if self.is_in_progress:
            return _("진행 중"), "badge badge-warn"
        if self.state == self.State.ABANDONED:
            return _("중단됨"), "badge"
        if self.needs_grading:
            return _("채점 대기 중"), "badge badge-info"
        if self.passed:
            return _("통과"), "badge badge-ok"
        return _("통과 못 함"), "badge badge-bad"


def _store_grades(responses: list[Response]) -> None:
    """Write the graded responses' fraction, score and matched answer: one UPDATE for all."""
    if not responses:
        return
    # What `bulk_update()` writes, for a fraction of its cost (see quizzes.sql).
    Response.objects.filter(pk__in=[r.pk for r in responses]).update(
        fraction=sql.case_by_pk(Response, "fraction", {r.pk: r.fraction for r in responses}),
        score=sql.case_by_pk(Response, "score", {r.pk: r.score for r in responses}),
        matched_answer=sql.case_by_pk(Response, "matched_answer", {r.pk: r.matched_answer_id for r in responses}),
    )


class ResponseQuerySet(models.QuerySet):
    def with_keys(self):
        """With each question and its answer key (in order), as grading needs them."""
        return self.select_related("question").prefetch_related(
            Prefetch("question__answers", queryset=Answer.objects.order_by("order", "pk"))
        )


class Response(models.Model):
    class SelfRating(models.TextChoices):
        CORRECT = "correct", _("Correct")
        PARTIAL = "partial", _("Partly correct")
        MISSED = "missed", _("Missed")

    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="responses"
    )
    text = models.TextField(verbose_name=_("answer text"), blank=True)
    selected = models.JSONField(
        verbose_name=_("selected answers"), default=list, blank=True, help_text=_("Ids of chosen answers.")
    )
    saved_at = models.DateTimeField(verbose_name=_("saved at"), null=True, blank=True)
    sequence = models.PositiveIntegerField(
        verbose_name=_("sequence"), default=0, help_text=_("Bumped on each save; stale posts are refused.")
    )
    score = models.DecimalField(verbose_name=_("score"), max_digits=8, decimal_places=3, null=True, blank=True)
    fraction = models.DecimalField(verbose_name=_("fraction"), max_digits=7, decimal_places=5, null=True, blank=True)
    matched_answer = models.ForeignKey(
        Answer, verbose_name=_("matched answer"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    self_rating = models.CharField(verbose_name=_("self-rating"), max_length=10, choices=SelfRating.choices, blank=True)
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="graded_responses",
        verbose_name=_("grader"),
    )
    grader_comment = models.TextField(verbose_name=_("grader comment"), blank=True)
    graded_at = models.DateTimeField(verbose_name=_("graded at"), null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["attempt", "question__order"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="unique_response")]

    def __str__(self):
        return f"{self.attempt} · {self.question}"

    @property
    def is_answered(self) -> bool:
        return bool(self.selected) or bool(self.text.strip())

    @property
    def self_rating_label(self) -> str:
        return RATING_LABELS.get(self.self_rating, "")

    @property
    def saved_time(self) -> str:
        """When it was last saved, as HH:MM:SS local time ("" if never): the save status shows it.

        The same as `saved_at|time:"H:i:s"`, for a fraction of the cost on a page with many questions.
        """
        return timezone.localtime(self.saved_at).strftime("%H:%M:%S") if self.saved_at else ""

    @property
    def text_is_number(self) -> bool:
        return grading.parse_number(self.text) is not None

    def chosen_answers(self) -> list[Answer]:
        """The choices the learner ticked (uses prefetched answers)."""
        chosen = set(self.selected or [])
        return [a for a in self.question.answers.all() if a.pk in chosen]

    def feedback_answers(self) -> list[Answer]:
        """Answer entries whose feedback applies: the ticked choices, or the matched key entry."""
        if self.question.is_choice:
            return [a for a in self.chosen_answers() if a.feedback_html]
        return [a for a in self.question.answers.all() if a.pk == self.matched_answer_id and a.feedback_html]

    @property
    def awaits_grading(self) -> bool:
        return self.score is None

    @property
    def awaits_self_rating(self) -> bool:
        return self.score is None and self.question.qtype == Question.Type.MODEL_ANSWER and not self.grader_id

    @property
    def is_correct(self) -> bool:
        return self.fraction is not None and self.fraction >= 1

    @property
    def is_partly_correct(self) -> bool:
        return self.fraction is not None and 0 < self.fraction < 1

    def apply_grade(self, *, keys: list[grading.Key] | None = None) -> None:
        """Grade against the current key; a grader's mark stands (rescaled to the points).

        `keys`: the question's answer key, if loaded apart (by default its prefetched answers).
        """
        question = self.question
        if self.grader_id is not None and self.fraction is not None:
            self.score = grading.score_for(fraction=self.fraction, points=question.points)
            return
        outcome = grading.grade_response(
            qtype=question.qtype,
            keys=question.keys() if keys is None else keys,
            selected=self.selected or [],
            text=self.text,
            case_sensitive=question.case_sensitive,
            self_rating=self.self_rating,
        )
        self.fraction = outcome.fraction
        self.matched_answer_id = outcome.key_id
        self.score = grading.score_for(fraction=outcome.fraction, points=question.points)

    def can_self_rate(self) -> bool:
        attempt = self.attempt
        return (
            attempt.is_finished
            and self.question.qtype == Question.Type.MODEL_ANSWER
            and attempt.quiz.review_model_answers
            and self.grader_id is None
            and bool(self.text.strip())
        )

    def rate(self, rating: str) -> None:
        """The learner's self-rating of a model-answer question (changeable until a grader marks it)."""
        if rating not in grading.SELF_RATING_FRACTIONS:
            raise InvalidAnswer(_("평가를 골라 주세요: 맞음, 부분적으로 맞음, 틀림."))
        if not self.can_self_rate():
            raise AttemptError(_("이 답은 스스로 평가할 수 없습니다."))
        self.self_rating = rating
        self.apply_grade()
        self.save(update_fields=["self_rating", "fraction", "score", "matched_answer"])
        self.attempt.recompute()
        attempt_changed.send(sender=Attempt, attempt=self.attempt)

    def grade_manually(self, *, score: Decimal, comment: str, grader) -> None:
        """An instructor's mark: sets the score directly (overrides a self-rating)."""
        points = self.question.points
        if score < 0 or score > points:
            raise InvalidAnswer(_("점수는 0점에서 %(points)s점 사이여야 합니다.") % {"points": points.normalize()})
        if not self.attempt.is_finished:
            raise AttemptError(_("제출된 시도만 채점할 수 있습니다."))
        self.fraction = (score / points).quantize(Decimal("0.00001")) if points else Decimal(0)
        self.score = score.quantize(Decimal("0.001"))
        self.grader, self.grader_comment, self.graded_at = grader, comment, timezone.now()
        self.save(update_fields=["fraction", "score", "grader", "grader_comment", "graded_at"])
        self.attempt.recompute()
        attempt_changed.send(sender=Attempt, attempt=self.attempt)


RATING_LABELS = {
    Response.SelfRating.CORRECT: _("맞음"),
    Response.SelfRating.PARTIAL: _("부분적으로 맞음"),
    Response.SelfRating.MISSED: _("틀림"),
}
