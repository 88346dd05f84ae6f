"""Quizzes, questions with their answer keys, attempts and responses."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from core.models import RenderedMarkdownModel
from papers.models import Paper


class Quiz(RenderedMarkdownModel):
    class GradingMethod(models.TextChoices):
        HIGHEST = "highest", _("Highest grade")
        AVERAGE = "average", _("Average grade")
        FIRST = "first", _("First attempt")
        LAST = "last", _("Last attempt")

    MARKDOWN_FIELDS = {"instructions": "instructions_html"}

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="quizzes", help_text=_("The paper this quiz is about."))
    title = models.CharField(_("title"), max_length=200, help_text=_("Shown to learners."))
    slug = models.SlugField(unique=True, max_length=120, help_text=_("URL part; also used by `import_gift --quiz`."))
    instructions = MarkdownxField(_("instructions"), blank=True, help_text=_("Markdown shown before the first question."))
    instructions_html = models.TextField(editable=False, blank=True)
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Grade in percent needed to pass."),
    )
    attempts_allowed = models.PositiveIntegerField(
        _("attempts allowed"), default=0, help_text=_("0 means unlimited.")
    )
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

    class Meta:
        ordering = ["paper__category__order", "paper__order", "pk"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("quizzes:quiz_detail", args=[self.slug])


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

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Position within the quiz."))
    qtype = models.CharField(_("type"), max_length=10, choices=Type.choices, help_text=_("How it is answered and graded."))
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


class Answer(RenderedMarkdownModel):
    """One entry of a question's answer key: a choice, an accepted text or a number."""

    MARKDOWN_FIELDS = {"text": "text_html", "feedback": "feedback_html"}

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
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
    feedback = models.TextField(_("feedback"), blank=True, help_text=_("Shown after submitting when this answer is given."))
    feedback_html = models.TextField(editable=False, blank=True)
    value = models.DecimalField(
        _("numeric value"), max_digits=20, decimal_places=8, null=True, blank=True, help_text=_("Numerical questions.")
    )
    tolerance = models.DecimalField(
        _("tolerance"), max_digits=20, decimal_places=8, default=Decimal("0"), help_text=_("Numerical: accepted ± error.")
    )

    class Meta:
        ordering = ["question", "order", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return self.text[:60] or (str(self.value) if self.value is not None else "—")


class AttemptQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def finished(self):
        return self.filter(state=Attempt.State.FINISHED)


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        FINISHED = "finished", _("Submitted")
        ABANDONED = "abandoned", _("Abandoned")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    number = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False, help_text=_("Submitted by the server at the deadline."))
    question_order = models.JSONField(default=list, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal("0"))
    grade = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, help_text=_("Percent, once fully graded.")
    )
    needs_grading = models.BooleanField(default=False, help_text=_("Has responses waiting for a grader or a self-rating."))

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


class Response(models.Model):
    class SelfRating(models.TextChoices):
        CORRECT = "correct", _("Correct")
        PARTIAL = "partial", _("Partly correct")
        MISSED = "missed", _("Missed")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="responses")
    text = models.TextField(blank=True)
    selected = models.JSONField(default=list, blank=True, help_text=_("Ids of chosen answers."))
    saved_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0, help_text=_("Bumped on each save; stale posts are refused."))
    score = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    fraction = models.DecimalField(max_digits=7, decimal_places=5, null=True, blank=True)
    matched_answer = models.ForeignKey(Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    self_rating = models.CharField(max_length=10, choices=SelfRating.choices, blank=True)
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="graded_responses"
    )
    grader_comment = models.TextField(blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "question__order"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="unique_response")]

    def __str__(self):
        return f"{self.attempt} · {self.question}"
