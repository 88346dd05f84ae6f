"""Which lesson documents were imported, when, by whom, with which result.

Only imports that were applied are recorded: a dry run or a failed import
writes nothing at all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportLogQuerySet(models.QuerySet):
    def last_sha256(self, source_name: str) -> str:
        """sha256 recorded by the last import of this document ('' if none)."""
        log = self.filter(source_name=source_name).order_by("-created_at", "-pk").first()
        return log.sha256 if log else ""


class ImportLog(models.Model):
    """One applied import of one document (command, admin upload or bundled content)."""

    class Origin(models.TextChoices):
        COMMAND = "command", _("명령어 (import_lesson)")
        ADMIN = "admin", _("관리자 업로드")
        BUNDLED = "bundled", _("기본 콘텐츠 (load_bundled_content)")

    source_name = models.CharField(_("문서 이름"), max_length=255, help_text=_("가져온 레슨 문서의 파일 이름."))
    sha256 = models.CharField(
        _("SHA-256"),
        max_length=64,
        blank=True,
        help_text=_("문서 내용의 해시와 가져오기 버전. 같으면 기본 콘텐츠를 다시 가져오지 않습니다."),
    )
    origin = models.CharField(
        _("경로"), max_length=10, choices=Origin.choices, default=Origin.COMMAND, help_text=_("어떻게 가져왔는지.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("관리자 화면에서 올린 사람."),
    )
    summary = models.JSONField(
        _("요약"), default=dict, blank=True, help_text=_("모델별 생성/수정/변경 없음/삭제 개수.")
    )
    created_at = models.DateTimeField(
        _("가져온 시각"), auto_now_add=True, db_index=True, help_text=_("가져오기가 끝난 시각.")
    )

    objects = ImportLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("레슨 문서 가져오기 기록")
        verbose_name_plural = _("레슨 문서 가져오기 기록")

    def __str__(self):
        return f"{self.source_name} · {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else self.source_name
