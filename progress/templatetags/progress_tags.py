from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext

from core.cache import format_escaped, rendered_once
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
    # One rendering per process for each status and language: a table shows one per row.
    return rendered_once(
        ("status-badge", get_language(), status),
        lambda: format_html(
            '<span class="{}" data-status="{}">{}</span>', STATUS_CLASSES[status], status, Status(status).label
        ),
    )


@register.simple_tag
def quiz_badge(progress: PaperProgress | None, has_quiz: bool = True):
    if not has_quiz:
        return rendered_once(
            ("no-quiz-badge", get_language()),
            lambda: format_html('<span class="muted">{}</span>', gettext("퀴즈 없음")),
        )
    state = progress.quiz_state if progress is not None else QuizState.NONE
    return rendered_once(
        ("quiz-badge", get_language(), state),
        lambda: format_html(
            '<span class="{}" data-quiz-state="{}">{}</span>', QUIZ_CLASSES[state], state, QuizState(state).label
        ),
    )


@register.filter
def percent(value) -> str:
    """A grade as '85%' ('—' when there is none)."""
    if value is None or value == "":
        return "—"
    number = Decimal(value)
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


@register.simple_tag
def paper_row(row, review_url: str = ""):
    """One row of the per-paper progress tables (a `progress.reports.PaperRow`).

    Built here rather than in the template: the tables list up to fifty
    papers, and the template engine spends about ten times longer on the same
    markup. `review_url` links the due cards to the learner's review (empty on
    the instructor's pages). Every value is escaped by `format_escaped`, as `format_html` would.
    """
    progress, paper, quiz = row.progress, row.paper, row.quiz
    title = format_escaped(_LINK, url=paper.get_absolute_url(), text=paper.title)
    if row.missing_prerequisites:
        links = format_html_join(
            ", ", '<a href="{}">{}</a>', ((p.get_absolute_url(), p.title) for p in row.missing_prerequisites)
        )
        title = format_escaped(_PREREQUISITES, title=title, label=gettext("먼저 읽기:"), links=links)
    if quiz is not None:
        quiz_cell = format_escaped(_LINK, url=quiz.get_absolute_url(), text=quiz_badge(progress))
    else:
        quiz_cell = quiz_badge(progress, False)
    if progress.quiz_state == QuizState.AWAITING_GRADING and progress.quiz_grade is None:
        grade = gettext("채점 대기")
    else:
        grade = percent(progress.quiz_grade)
    attempts = str(progress.attempts_used)
    if quiz is not None and quiz.attempts_allowed:
        attempts += f"/{quiz.attempts_allowed}"
    due = row.deck.due
    if due and review_url:
        due = format_escaped(_LINK, url=review_url, text=due)
    return format_escaped(
        _ROW,
        slug=paper.slug,
        title=title,
        status=status_badge(progress),
        done=progress.steps_done,
        total=progress.steps_total,
        quiz=quiz_cell,
        grade=grade,
        best=percent(progress.best_grade),
        attempts=attempts,
        in_deck=row.deck.in_deck,
        terms=row.deck.terms,
        due=due,
    )


# paper_row's markup: format strings whose every value `format_escaped` escapes (as `format_html` would).
_LINK = '<a href="{url}">{text}</a>'
_PREREQUISITES = '{title}<br><small class="muted">{label} {links}</small>'
_ROW = (
    '<tr data-paper="{slug}"><th scope="row">{title}</th><td>{status}</td><td class="steps">{done}/{total}</td>'
    '<td>{quiz}</td><td class="grade">{grade}</td><td class="best">{best}</td><td class="attempts">{attempts}</td>'
    '<td class="deck">{in_deck}/{terms}</td><td class="due">{due}</td></tr>'
)
