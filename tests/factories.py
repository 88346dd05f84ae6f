"""Plain keyword-only factory functions for test data.

Each app's helpers live here so that tests of one app can build data of
another (a quiz needs a paper). Keep them small and explicit.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User

from core.permissions import INSTRUCTORS_GROUP
from papers.models import Category, ChecklistStep, Paper

_seq = itertools.count(1)


def make_user(*, username: str | None = None, password: str = "pw-for-tests-123", **fields) -> User:
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(username=username, password=password, **fields)


def make_instructor(*, username: str | None = None, **fields) -> User:
    user = make_user(username=username or f"teacher{next(_seq)}", **fields)
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    user.groups.add(group)
    user.refresh_from_db()
    return user


def make_category(*, name_ko: str | None = None, name_en: str = "", slug: str | None = None, order: int = 0) -> Category:
    n = next(_seq)
    return Category.objects.create(
        name_ko=name_ko or f"분야 {n}", name_en=name_en, slug=slug or f"category-{n}", order=order
    )


def make_paper(
    *,
    title: str | None = None,
    category: Category | None = None,
    steps: int = 3,
    status: str = Paper.Status.PUBLISHED,
    **fields,
) -> Paper:
    n = next(_seq)
    paper = Paper.objects.create(
        title=title or f"Paper number {n}",
        slug=fields.pop("slug", f"paper-{n}"),
        category=category or make_category(),
        status=status,
        **fields,
    )
    ChecklistStep.objects.bulk_create(
        [ChecklistStep(paper=paper, order=i, title=f"Step {i}") for i in range(1, steps + 1)]
    )
    return paper


def make_quiz(*, paper: Paper | None = None, questions: int = 3, qtype: str = "single", **fields):
    from quizzes.models import Answer, Question, Quiz

    paper = paper or make_paper()
    n = next(_seq)
    quiz = Quiz.objects.create(paper=paper, title=fields.pop("title", f"Quiz {n}"), slug=fields.pop("slug", f"quiz-{n}"), **fields)
    for i in range(1, questions + 1):
        question = Question.objects.create(quiz=quiz, order=i, qtype=qtype, text=f"Question {i}?", points=Decimal("1"))
        if qtype in ("single", "multiple"):
            Answer.objects.create(question=question, order=1, text=f"Right {i}", fraction=Decimal("1"))
            Answer.objects.create(question=question, order=2, text=f"Wrong {i}", fraction=Decimal("0"))
        elif qtype == "model":
            question.model_answer = f"Model answer {i}"
            question.save()
    return quiz


def make_term(*, name_ko: str = "", name_en: str = "", definition: str = "정의.", papers=(), **fields):
    from glossary.models import Term

    n = next(_seq)
    term = Term.objects.create(
        name_ko=name_ko, name_en=name_en or (f"Term {n}" if not name_ko else ""), slug=fields.pop("slug", f"term-{n}"),
        definition=definition, **fields,
    )
    if papers:
        term.papers.set(papers)
    return term
