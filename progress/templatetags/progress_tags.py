from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def paper_row(row, review_url: str = ""):
    """One row of the per-paper progress tables (a `progress.reports.PaperRow`).

    Built here rather than in the template: the tables list up to fifty
    papers, and the template engine spends about ten times longer on the same
    markup. `review_url` links the due cards to the learner's review (empty on
    the instructor's pages). Every value is escaped by `format_html`.
    """
    progress, paper, quiz = row.progress, row.paper, row.quiz
    title = format_html('<a href="{}">{}</a>', paper.get_absolute_url(), paper.title)
    if row.missing_prerequisites:
        links = format_html_join(
            ", ", '<a href="{}">{}</a>', ((p.get_absolute_url(), p.title) for p in row.missing_prerequisites)
        )
        title = format_html('{}<br><small class="muted">{} {}</small>', title, gettext("먼저 읽기:"), links)
    if quiz is not None:
        quiz_cell = format_html('<a href="{}">{}</a>', quiz.get_absolute_url(), quiz_badge(progress))
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
        due = format_html('<a href="{}">{}</a>', review_url, due)
    return format_html(
        '<tr data-paper="{}"><th scope="row">{}</th><td>{}</td><td class="steps">{}/{}</td><td>{}</td>'
        '<td class="grade">{}</td><td class="best">{}</td><td class="attempts">{}</td>'
        '<td class="deck">{}/{}</td><td class="due">{}</td></tr>',
        paper.slug,
        title,
        status_badge(progress),
        progress.steps_done,
        progress.steps_total,
        quiz_cell,
        grade,
        percent(progress.best_grade),
        attempts,
        row.deck.in_deck,
        row.deck.terms,
        due,
    )
