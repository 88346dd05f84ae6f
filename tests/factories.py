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


def make_category(
    *, name_ko: str | None = None, name_en: str = "", slug: str | None = None, order: int = 0
) -> Category:
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


READING_METHOD_STEPS = [
    "구조적 접근하기",
    "시각적 자료 활용하기",
    "용어 사전 만들기",
    "논문 요약본 활용하기",
    "스터디 그룹 참여하기",
    "논문 읽기 도구 활용하기",
    "실습과 병행하기",
]


def make_reading_method(*, steps: list[str] | None = None, intro: str = "논문은 **구조부터** 읽습니다."):
    """The reading-method lesson (the /guide/ page) with its default checklist steps."""
    from papers.models import Lesson, MethodStep

    n = next(_seq)
    lesson = Lesson.objects.create(
        title=f"Reading method {n}",
        slug=f"reading-method-{n}",
        intro_heading="효과적인 논문 읽기 방법",
        intro=intro,
        is_reading_method=True,
    )
    for i, title in enumerate(steps if steps is not None else READING_METHOD_STEPS, start=1):
        MethodStep.objects.create(lesson=lesson, order=i, title=title, body=f"{title}: 자세한 설명 {i}.")
    return lesson


def tick_steps(*, user: User, paper: Paper, count: int | None = None) -> int:
    """Tick the first `count` (default: all) checklist steps of `paper` for `user`."""
    from papers.models import StepProgress

    steps = list(paper.checklist_steps.all())[: count if count is not None else None]
    StepProgress.objects.bulk_create([StepProgress(user=user, step=step) for step in steps])
    return len(steps)


def make_quiz(*, paper: Paper | None = None, questions: int = 3, qtype: str = "single", **fields):
    from quizzes.models import Quiz

    paper = paper or make_paper()
    n = next(_seq)
    title, slug = fields.pop("title", f"Quiz {n}"), fields.pop("slug", f"quiz-{n}")
    quiz = Quiz.objects.create(paper=paper, title=title, slug=slug, **fields)
    for i in range(1, questions + 1):
        make_question(quiz=quiz, qtype=qtype, order=i)
    return quiz


def make_question(
    *, quiz, qtype: str = "single", order: int | None = None, answers: list[dict] | None = None, **fields
):
    """A question with a small answer key for its type; `answers` (dicts of Answer fields) replaces it.

    Defaults: choices "Right {n}" (fraction 1) and "Wrong {n}" (0); true/false 참 (value 1, right) and
    거짓 (value 0); short answer "answer {n}"; numerical {n} exactly; model answer "Model answer {n}".
    """
    from django.db.models import Max

    from quizzes.models import Answer, Question

    if order is None:
        order = (quiz.questions.aggregate(m=Max("order"))["m"] or 0) + 1
    fields.setdefault("text", f"Question {order}?")
    fields.setdefault("points", Decimal("1"))
    if qtype == "model":
        fields.setdefault("model_answer", f"Model answer {order}")
    question = Question.objects.create(quiz=quiz, order=order, qtype=qtype, **fields)
    if answers is None:
        answers = {
            "single": [{"text": f"Right {order}", "fraction": 1}, {"text": f"Wrong {order}", "fraction": 0}],
            "multiple": [{"text": f"Right {order}", "fraction": 1}, {"text": f"Wrong {order}", "fraction": 0}],
            "truefalse": [{"text": "참", "value": 1, "fraction": 1}, {"text": "거짓", "value": 0, "fraction": 0}],
            "short": [{"text": f"answer {order}", "fraction": 1}],
            "numerical": [{"value": order, "fraction": 1}],
        }.get(qtype, [])
    for n, answer in enumerate(answers, start=1):
        values = {k: Decimal(str(v)) if k in ("fraction", "value", "tolerance") else v for k, v in answer.items()}
        Answer.objects.create(question=question, order=values.pop("order", n), **values)
    return question


def make_progress_attempt(
    *,
    quiz,
    user: User,
    grade=None,
    state: str = "finished",
    needs_grading: bool = False,
    number: int | None = None,
    submitted_at=None,
):
    """A quiz attempt with a given outcome (progress tests; no responses)."""
    from django.utils import timezone

    from quizzes.models import Attempt

    if number is None:
        number = Attempt.objects.filter(quiz=quiz, user=user).count() + 1
    finished = state == "finished"
    return Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=number,
        state=state,
        needs_grading=needs_grading,
        grade=None if grade is None else Decimal(str(grade)),
        score=None if grade is None else Decimal(str(grade)) / 100,
        max_score=Decimal("1"),
        submitted_at=(submitted_at or timezone.now()) if finished else None,
    )


def make_progress_card(*, user: User, term, due=None, direction: str = "definition"):
    """A flashcard in `user`'s deck, due at `due` (default: now)."""
    from django.utils import timezone

    from glossary.models import Card

    return Card.objects.create(user=user, term=term, direction=direction, due=due or timezone.now(), fsrs={})


def make_learners_bulk(*, count: int, prefix: str = "bulk") -> list[User]:
    """Many learner accounts at once (bulk_create, unusable passwords)."""
    from django.contrib.auth.hashers import make_password

    n, unusable = next(_seq), make_password(None)
    User.objects.bulk_create([User(username=f"{prefix}{n}-{i:05d}", password=unusable) for i in range(count)])
    return list(User.objects.filter(username__startswith=f"{prefix}{n}-").order_by("pk"))


def make_paper_progress_bulk(*, users, papers, status: str = "reading", quiz_grade=None, steps_done: int = 1):
    """One stored PaperProgress row per user and paper (bulk_create)."""
    from django.utils import timezone

    from progress.models import PaperProgress

    now = timezone.now()
    return PaperProgress.objects.bulk_create(
        [
            PaperProgress(
                user=user,
                paper=paper,
                status=status,
                steps_done=steps_done,
                steps_total=3,
                quiz_state="passed" if quiz_grade is not None else "none",
                quiz_grade=None if quiz_grade is None else Decimal(str(quiz_grade)),
                best_grade=None if quiz_grade is None else Decimal(str(quiz_grade)),
                attempts_used=1 if quiz_grade is not None else 0,
                last_activity_at=now,
            )
            for user in users
            for paper in papers
        ],
        batch_size=2000,
    )


def make_term(*, name_ko: str = "", name_en: str = "", definition: str = "정의.", papers=(), **fields):
    from glossary.models import Term

    n = next(_seq)
    term = Term.objects.create(
        name_ko=name_ko,
        name_en=name_en or (f"Term {n}" if not name_ko else ""),
        slug=fields.pop("slug", f"term-{n}"),
        definition=definition,
        **fields,
    )
    if papers:
        term.papers.set(papers)
    return term


def make_terms_bulk(*, count: int, paper: Paper | None = None, prefix: str = "Bulk term"):
    """Many terms at once (bulk_create: no per-row save, no re-linking), with their names."""
    from core.text import normalize_name
    from glossary.models import Term, TermName, initial_of

    n = next(_seq)
    terms = Term.objects.bulk_create(
        [
            Term(
                name_ko=f"대량 용어 {n}-{i}",
                name_en=f"{prefix} {n}-{i}",
                slug=f"bulk-{n}-{i}",
                definition=f"Definition {i}.",
                definition_html=f"<p>Definition {i}.</p>",
                summary=f"Definition {i}.",
                initial=initial_of(f"대량 용어 {n}-{i}"),
                sort_name=f"대량 용어 {n}-{i}",
            )
            for i in range(count)
        ]
    )
    TermName.objects.bulk_create(
        [TermName(term=t, name=name, key=normalize_name(name)) for t in terms for name in (t.name_ko, t.name_en)]
    )
    if paper is not None:
        Term.papers.through.objects.bulk_create([Term.papers.through(term=t, paper=paper) for t in terms])
    return terms
