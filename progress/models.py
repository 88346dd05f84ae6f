"""Stored learner progress: one row per learner and paper, and an activity log.

Rows are recomputed from the source tables (ticked steps, quiz attempts) by
`progress.tracking`, so that pages read progress without per-paper queries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.permissions import INSTRUCTORS_GROUP


class PaperProgressQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def for_published_papers(self):
        return self.filter(paper__status="published")

    def active_between(self, since=None, until=None):
        qs = self
        if since is not None:
            qs = qs.filter(last_activity_at__gte=since)
        if until is not None:
            qs = qs.filter(last_activity_at__lt=until)
        return qs


class PaperProgress(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("시작 전")
        READING = "reading", _("읽는 중")
        READ = "read", _("읽음")
        COMPLETED = "completed", _("완료")

    class QuizState(models.TextChoices):
        NONE = "none", _("미응시")
        IN_PROGRESS = "in_progress", _("응시 중")
        AWAITING_GRADING = "awaiting_grading", _("채점 대기")
        FAILED = "failed", _("미통과")
        PASSED = "passed", _("통과")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="paper_progress",
        verbose_name=_("학습자"),
        help_text=_("이 진도의 학습자."),
    )
    paper = models.ForeignKey(
        "papers.Paper",
        on_delete=models.CASCADE,
        related_name="progress",
        verbose_name=_("논문"),
        help_text=_("진도가 기록된 논문."),
    )
    steps_done = models.PositiveIntegerField(_("완료한 단계"), default=0, help_text=_("체크한 체크리스트 단계 수."))
    steps_total = models.PositiveIntegerField(_("전체 단계"), default=0, help_text=_("논문 체크리스트의 단계 수."))
    status = models.CharField(
        _("상태"),
        max_length=12,
        choices=Status.choices,
        default=Status.NOT_STARTED,
        help_text=_("읽기(모든 단계 체크)와 퀴즈 통과를 모두 마치면 완료입니다."),
    )
    quiz_state = models.CharField(
        _("퀴즈 상태"),
        max_length=17,
        choices=QuizState.choices,
        default=QuizState.NONE,
        help_text=_("채점을 기다리는 서술형은 미통과가 아니라 채점 대기로 표시됩니다."),
    )
    quiz_grade = models.DecimalField(
        _("퀴즈 성적(%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("퀴즈의 채점 방식(최고·평균·첫 응시·마지막 응시)에 따른 성적."),
    )
    best_grade = models.DecimalField(
        _("최고 성적(%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("채점이 끝난 응시 중 최고 성적."),
    )
    attempts_used = models.PositiveIntegerField(_("응시 횟수"), default=0, help_text=_("시작한 응시의 수."))
    last_activity_at = models.DateTimeField(
        _("마지막 활동"), null=True, blank=True, help_text=_("이 논문에서 마지막으로 학습한 시각.")
    )
    completed_at = models.DateTimeField(_("완료 시각"), null=True, blank=True, help_text=_("완료 상태가 된 시각."))
    updated_at = models.DateTimeField(
        _("갱신 시각"), auto_now=True, help_text=_("이 행을 마지막으로 다시 계산한 시각.")
    )

    objects = PaperProgressQuerySet.as_manager()

    class Meta:
        verbose_name = _("논문 진도")
        verbose_name_plural = _("논문 진도")
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="unique_paper_progress")]
        indexes = [
            # The instructor matrix and exports read rows per page of learners
            # (user, paper) and filter by paper/status or by activity date.
            models.Index(fields=["paper", "status"], name="progress_paper_status"),
            models.Index(fields=["last_activity_at"], name="progress_last_activity"),
        ]

    def __str__(self):
        return f"{self.user} · {self.paper} · {self.get_status_display()}"

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def percent_steps(self) -> int:
        if not self.steps_total:
            return 0
        return round(100 * min(self.steps_done, self.steps_total) / self.steps_total)


class ActivityQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class Activity(models.Model):
    class Kind(models.TextChoices):
        READING = "reading", _("체크리스트")
        QUIZ_STARTED = "quiz_started", _("퀴즈 시작")
        QUIZ_SUBMITTED = "quiz_submitted", _("퀴즈 제출")
        QUIZ_GRADED = "quiz_graded", _("퀴즈 채점")
        FLASHCARDS = "flashcards", _("플래시카드")
        COMPLETED = "completed", _("논문 완료")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("학습자"),
        help_text=_("활동한 학습자."),
    )
    kind = models.CharField(_("종류"), max_length=20, choices=Kind.choices, help_text=_("어떤 학습 활동인지."))
    paper = models.ForeignKey(
        "papers.Paper",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("논문"),
        help_text=_("관련 논문(플래시카드 복습은 없음)."),
    )
    detail = models.CharField(_("내용"), max_length=300, blank=True, help_text=_("짧은 설명, 예: ‘3/7 단계’."))
    created_at = models.DateTimeField(_("시각"), default=timezone.now, help_text=_("활동한 시각."))

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("학습 활동")
        verbose_name_plural = _("학습 활동")
        indexes = [models.Index(fields=["user", "created_at"], name="activity_user_created")]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"


def learners_queryset():
    """Active accounts that are neither staff nor instructors."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return User.objects.filter(is_active=True, is_staff=False, is_superuser=False).exclude(
        Q(groups__name=INSTRUCTORS_GROUP)
    )
