from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from core.cache import format_escaped, join_escaped, rendered_once
from progress.models import Activity, PaperProgress

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


@register.simple_tag
def category_rows(categories):
    """The dashboard's rows of completion by category (`progress.reports.CategorySummary` list).

    Format strings, as `paper_row`: a first visit to the dashboard after a
    change renders them, and the template engine took several times longer.
    """
    rows = []
    for summary in categories:
        name = summary.category.display_name
        rows.append(
            format_escaped(
                _CATEGORY_ROW,
                name=name,
                completed=summary.completed,
                total=summary.total,
                percent=summary.percent,
                max=summary.total or 1,
                label=gettext("%(name)s 완료율") % {"name": name},
            )
        )
    return join_escaped(rows)


@register.simple_tag
def activity_items(activities):
    """The dashboard's recent activity, one `<li>` per `progress.models.Activity` (with `paper` set or None)."""
    items = []
    for activity in activities:
        parts = [local_time(activity.created_at), format_escaped(_BADGE, text=activity.get_kind_display())]
        if activity.paper is not None:
            parts.append(format_escaped(_LINK, url=activity.paper.get_absolute_url(), text=activity.paper.title))
        detail = activity.detail
        if activity.kind == Activity.Kind.FLASHCARDS:
            if detail and detail != "0":
                parts.append(format_escaped(_MUTED, text=gettext("오늘 %(n)s장 복습") % {"n": detail}))
        elif activity.kind == Activity.Kind.READING:
            parts.append(format_escaped(_MUTED, text=gettext("%(steps)s 단계") % {"steps": detail}))
        elif detail:
            parts.append(format_escaped(_MUTED, text=detail))
        items.append(format_escaped("<li>{parts}</li>", parts=join_escaped(_spaced(parts))))
    return join_escaped(items)


def local_time(moment) -> SafeString:
    """A `<time>` of `moment` in the current time zone, as `|date:'c'` and `|date:"Y-m-d H:i"` would write it."""
    at = timezone.localtime(moment)
    return format_escaped(_TIME, iso=at.isoformat(), when=at.strftime("%Y-%m-%d %H:%M"))


def _spaced(parts: list) -> list:
    """The parts with a space between each, as the template's line breaks left them."""
    spaced = []
    for part in parts:
        spaced += [" ", part] if spaced else [part]
    return spaced


_CATEGORY_ROW = (
    '<tr><th scope="row">{name}</th><td>{completed}/{total} ({percent}%)</td>'
    '<td><progress value="{completed}" max="{max}" aria-label="{label}"></progress></td></tr>'
)
_TIME = '<time datetime="{iso}">{when}</time>'
_BADGE = '<span class="badge">{text}</span>'
_MUTED = '<span class="muted">{text}</span>'
