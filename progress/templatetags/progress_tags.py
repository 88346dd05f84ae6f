from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from progress.models import PaperProgress

register = template.Library()

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState

STATUS_CLASSES = {
    Status.NOT_STARTED: "badge",
    Status.READING: "badge badge-warn",
    Status.READ: "badge badge-info",
    Status.COMPLETED: "badge badge-ok",
}
QUIZ_CLASSES = {
    QuizState.NONE: "badge",
    QuizState.IN_PROGRESS: "badge badge-warn",
    QuizState.AWAITING_GRADING: "badge badge-info",
    QuizState.FAILED: "badge badge-bad",
    QuizState.PASSED: "badge badge-ok",
}


@register.simple_tag
def status_badge(progress: PaperProgress | None):
    status = progress.status if progress is not None else Status.NOT_STARTED
    return format_html(
        '<span class="{}" data-status="{}">{}</span>', STATUS_CLASSES[status], status, Status(status).label
    )


@register.simple_tag
def quiz_badge(progress: PaperProgress | None, has_quiz: bool = True):
    if not has_quiz:
        return format_html('<span class="muted">{}</span>', gettext("퀴즈 없음"))
    state = progress.quiz_state if progress is not None else QuizState.NONE
    return format_html(
        '<span class="{}" data-quiz-state="{}">{}</span>', QUIZ_CLASSES[state], state, QuizState(state).label
    )


@register.filter
def percent(value) -> str:
    """A grade as '85%' ('—' when there is none)."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"
