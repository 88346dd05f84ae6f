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
