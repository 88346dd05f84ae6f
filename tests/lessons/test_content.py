"""Every shipped lesson document imports, in name order, completely and idempotently.

A document in lessons/content/ that does not parse, or that leaves its paper
less than a full lesson (guide, quiz of at least 8 questions, essays, at least
8 terms), fails here (and so in CI) with the document's name. A document that
brings its own quiz must include auto-graded questions; a guide-only document
for a paper whose quiz comes from the seed (00a-…, 04-…) keeps the seed's.
"""

import pytest

from core.text import normalize_title
from lessons.parser import LessonError, parse_bytes
from papers.models import Category, Paper
from quizzes.models import Question
from tests.lessons.helpers import CONTENT, SEED, changes, import_file, snapshot

pytestmark = pytest.mark.django_db

DOCUMENTS = sorted(CONTENT.glob("*.md"))


def test_the_seed_ships_with_the_project():
    assert SEED in DOCUMENTS
    assert len(DOCUMENTS) >= 1


def test_every_shipped_document_imports_completely_and_idempotently():
    problems: list[str] = []
    for path in DOCUMENTS:
        try:
            first = import_file(path)
            again = import_file(path)
        except LessonError as err:
            problems.append(str(err))
            continue
        if changes(again):
            problems.append(f"{path.name}: a second import changed {changes(again)}")
        if path == SEED:
            continue
        document = parse_bytes(path.read_bytes(), path=str(path))
        sections = [s for s in document.sections if s.has_content]
        if not sections:
            problems.append(f"{path.name}: no paper section with content")
        for section in sections:
            paper = Paper.objects.get(normalized_title=normalize_title(section.title))
            problems += _lesson_problems(path.name, paper, own_quiz=section.has_quiz)
        assert first.counts()["Paper"]["created"] <= 1, (
            f"{path.name} created a new paper instead of matching the seed's"
        )
    assert problems == []
    assert Paper.objects.count() == 13
    assert Category.objects.count() == 6


def test_importing_everything_twice_gives_the_same_database():
    for path in DOCUMENTS:
        import_file(path)
    first = snapshot()
    for path in DOCUMENTS:
        import_file(path)
    assert snapshot() == first


def _lesson_problems(name: str, paper: Paper, *, own_quiz: bool) -> list[str]:
    problems = []
    if not paper.guide.strip():
        problems.append(f"{name}: “{paper.title}” has no 읽기 가이드")
    quiz = paper.quizzes.filter(slug=paper.slug).first()
    questions = list(quiz.questions.all()) if quiz else []
    quiz_questions = [q for q in questions if q.qtype != Question.Type.ESSAY]
    if len(quiz_questions) < 8:
        problems.append(f"{name}: “{paper.title}” has {len(quiz_questions)} quiz questions (at least 8)")
    if own_quiz and not any(q.is_auto_graded for q in quiz_questions):
        problems.append(f"{name}: “{paper.title}” has no auto-graded question")
    if not any(q.qtype == Question.Type.ESSAY for q in questions):
        problems.append(f"{name}: “{paper.title}” has no essay question")
    if paper.terms.count() < 8:
        problems.append(f"{name}: “{paper.title}” has {paper.terms.count()} glossary terms (at least 8)")
    return problems
