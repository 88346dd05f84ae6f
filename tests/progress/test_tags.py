"""The progress tables' row and badges, built without the template engine (progress_tags)."""

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.html import format_html

from progress.models import PaperProgress
from progress.reports import DeckStats, PaperRow
from progress.templatetags.progress_tags import paper_row, percent, quiz_badge, status_badge
from tests.factories import make_paper, make_quiz

pytestmark = pytest.mark.django_db

HOSTILE = "<b>\"Attention\" & 'all'</b>"


def reference_row(row, review_url=""):
    """The row as `format_html` builds it, value by value (what paper_row did before it used format strings)."""
    progress, paper, quiz = row.progress, row.paper, row.quiz
    title = format_html('<a href="{}">{}</a>', paper.get_absolute_url(), paper.title)
    quiz_cell = (
        format_html('<a href="{}">{}</a>', quiz.get_absolute_url(), quiz_badge(progress))
        if quiz
        else quiz_badge(progress, False)
    )
    due = row.deck.due
    if due and review_url:
        due = format_html('<a href="{}">{}</a>', review_url, due)
    attempts = (
        f"{progress.attempts_used}/{quiz.attempts_allowed}"
        if quiz and quiz.attempts_allowed
        else str(progress.attempts_used)
    )
    return format_html(
        '<tr data-paper="{}"><th scope="row">{}</th><td>{}</td><td class="steps">{}/{}</td><td>{}</td>'
        '<td class="grade">{}</td><td class="best">{}</td><td class="attempts">{}</td>'
        '<td class="deck">{}/{}</td><td class="due">{}</td></tr>',
        paper.slug, title, status_badge(progress), progress.steps_done, progress.steps_total, quiz_cell,
        percent(progress.quiz_grade), percent(progress.best_grade), attempts, row.deck.in_deck, row.deck.terms, due,
    )  # fmt: skip


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("with_quiz", [True, False])
def test_a_row_is_what_format_html_would_build(language, with_quiz):
    paper = make_paper(title=HOSTILE)
    quizzes = [make_quiz(paper=paper, title=HOSTILE, attempts_allowed=3)] if with_quiz else []
    progress = PaperProgress(
        paper=paper, status="reading", steps_done=2, steps_total=5, quiz_state="passed",
        quiz_grade=Decimal("87.50"), best_grade=Decimal("90"), attempts_used=1,
    )  # fmt: skip
    row = PaperRow(paper=paper, progress=progress, quizzes=quizzes, deck=DeckStats(terms=4, in_deck=2, due=1))
    with translation.override(language):
        for review_url in ("", "/glossary/review/?a=1&b=<2>"):
            built = paper_row(row, review_url)
            assert built == reference_row(row, review_url)
            assert HOSTILE not in built and "&lt;b&gt;&quot;Attention&quot; &amp; &#x27;all&#x27;&lt;/b&gt;" in built
        assert ("Reading" if language == "en" else "읽는 중") in built


@pytest.mark.parametrize("language", ["ko", "en"])
def test_badges_follow_the_language_of_each_request(language):
    progress = PaperProgress(status="completed", quiz_state="failed")
    with translation.override(language):
        expected = PaperProgress.Status.COMPLETED.label, PaperProgress.QuizState.FAILED.label
        assert str(expected[0]) in status_badge(progress) and str(expected[1]) in quiz_badge(progress)
        assert 'data-status="completed"' in status_badge(progress) and "badge-bad" in quiz_badge(progress)


# The dashboard's category rows and recent activity as its template wrote them before they became format strings.
REFERENCE_CATEGORIES = """{% load i18n %}{% for summary in categories %}
      <tr>
        <th scope="row">{{ summary.category.display_name }}</th>
        <td>{{ summary.completed }}/{{ summary.total }} ({{ summary.percent }}%)</td>
        <td><progress value="{{ summary.completed }}" max="{{ summary.total|default:1 }}" aria-label="{% blocktranslate with name=summary.category.display_name %}{{ name }} 완료율{% endblocktranslate %}"></progress></td>
      </tr>
      {% endfor %}"""  # noqa: E501
REFERENCE_ACTIVITIES = """{% load i18n %}{% for activity in activities %}
    <li>
      <time datetime="{{ activity.created_at|date:'c' }}">{{ activity.created_at|date:"Y-m-d H:i" }}</time>
      <span class="badge">{{ activity.get_kind_display }}</span>
      {% if activity.paper %}<a href="{{ activity.paper.get_absolute_url }}">{{ activity.paper.title }}</a>{% endif %}
      {% if activity.kind == "flashcards" %}
        {% if activity.detail and activity.detail != "0" %}<span class="muted">{% blocktranslate with n=activity.detail %}오늘 {{ n }}장 복습{% endblocktranslate %}</span>{% endif %}
      {% elif activity.kind == "reading" %}
        <span class="muted">{% blocktranslate with steps=activity.detail %}{{ steps }} 단계{% endblocktranslate %}</span>
      {% elif activity.detail %}
        <span class="muted">{{ activity.detail }}</span>
      {% endif %}
    </li>
    {% endfor %}"""  # noqa: E501


def _squeezed(html: str) -> str:
    """Markup without the whitespace around tags (the template's line breaks and indentation)."""
    import re

    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", str(html)).strip()


@pytest.mark.parametrize("language", ["ko", "en"])
def test_category_rows_are_what_the_template_wrote(language):
    from django.template import Context, Template

    from progress.reports import CategorySummary
    from progress.templatetags.progress_tags import category_rows
    from tests.factories import make_category

    categories = [
        CategorySummary(category=make_category(name_ko=HOSTILE, name_en="Vision"), total=4, completed=1),
        CategorySummary(category=make_category(name_ko="강화학습"), total=0, completed=0),
    ]
    with translation.override(language):
        built = category_rows(categories)
        expected = Template(REFERENCE_CATEGORIES).render(Context({"categories": categories}))
    assert _squeezed(built) == _squeezed(expected)
    assert HOSTILE not in built and 'max="1"' in built and "(25%)" in built


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("zone", ["Asia/Seoul", "UTC"])
def test_activity_items_are_what_the_template_wrote(language, zone):
    from datetime import UTC, datetime

    from django.template import Context, Template
    from django.utils import timezone

    from progress.models import Activity
    from progress.templatetags.progress_tags import activity_items

    paper = make_paper(title=HOSTILE)
    at = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    kinds = [
        ("reading", paper, "2/5"),
        ("flashcards", None, "3"),
        ("flashcards", None, "0"),
        ("flashcards", None, ""),
        ("quiz_submitted", paper, HOSTILE),
        ("quiz_started", paper, ""),
        ("completed", None, ""),
    ]
    activities = []
    for kind, on, detail in kinds:
        activity = Activity(kind=kind, detail=detail, created_at=at, paper_id=on.pk if on else None)
        activity.paper = on
        activities.append(activity)
    with translation.override(language), timezone.override(zone):
        built = activity_items(activities)
        expected = Template(REFERENCE_ACTIVITIES).render(Context({"activities": activities}))
    assert _squeezed(built) == _squeezed(expected)
    assert HOSTILE not in built and built.count("<li>") == len(kinds)
    assert ("2026-11-24 08:30" if zone == "Asia/Seoul" else "2026-11-23 23:30") in built
