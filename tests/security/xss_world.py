"""Payloads stored in every author-controlled (and learner-controlled) field.

Used by the server-side XSS tests and by the browser test
(tests/browser/test_xss.py). Each field gets a visible marker `XSS-<field>`
so that a test can prove the field was really rendered on the page it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.urls import reverse

from glossary.models import Term
from papers.models import Category, ChecklistStep, Lesson, MethodStep, Paper
from quizzes.gift import escape_gift
from quizzes.models import Attempt, Quiz, Response
from tests.factories import make_question, make_quiz, make_term
from tests.security.payloads import ALL_PAYLOADS, LINKABLE_NAMES, inline_blob, markdown_blob

SINGLE_LINE_PAYLOADS = [p for p in ALL_PAYLOADS if "\n" not in p and not p.startswith("#")]


def blob(name: str) -> str:
    return markdown_blob(f"XSS-{name}")


def line(name: str, limit: int | None = None) -> str:
    return inline_blob(f"XSS-{name}", limit=limit)


@dataclass
class PayloadWorld:
    learner: User
    instructor: User
    paper: Paper
    category: Category
    lesson: Lesson
    quiz: Quiz
    finished: Attempt
    open_attempt: Attempt
    essay_response: Response
    model_response: Response
    term: Term
    pages: dict[str, list[tuple[str, str, list[str]]]] = field(default_factory=dict)


def store_payloads(*, learner: User, instructor: User) -> PayloadWorld:
    from glossary import flashcards

    # Terms first: content saved afterwards is auto-linked, so the linker runs over the payloads.
    for name in LINKABLE_NAMES:
        make_term(name_en=name, definition=f"The {name} term.")
    term = make_term(
        name_ko=line("term-ko", 60),
        name_en=line("term-en", 60).replace("XSS-term-en", "XSS-term-en Xterm"),
        abbreviation="<b>AB</b>",
        aliases=line("term-alias", 200),
        definition=blob("term-definition"),
        slug="xss-term",
    )

    category = Category.objects.create(
        name_ko=line("category-ko", 120), name_en=line("category-en", 120), slug="xss-category"
    )
    lesson = Lesson.objects.create(
        title=line("lesson-title", 200),
        slug="xss-lesson",
        intro_heading=line("lesson-heading", 255),
        intro=blob("lesson-intro"),
        is_reading_method=True,
    )
    MethodStep.objects.create(lesson=lesson, order=1, title=line("method-title", 200), body=blob("method-body"))
    paper = Paper.objects.create(
        title=line("paper-title", 300),
        slug="xss-paper",
        category=category,
        lesson=lesson,
        authors=line("paper-authors", 500),
        venue=line("paper-venue", 200),
        summary=line("paper-summary", 500),
        keywords=line("paper-keywords", 300),
        doi='10.1/"><script>window.__xss=1</script>',
        arxiv_id='"><svg onload=window.__xss=1>'[:50],
        paper_url="javascript:window.__xss=1",
        code_url=" javascript:window.__xss=1",
        bibtex="@misc{x, title={</pre><script>window.__xss=1</script>}}",
        guide=blob("paper-guide"),
        year=2020,
    )
    ChecklistStep.objects.create(paper=paper, order=1, title=line("step-title", 300), body=blob("step-body"))
    term.papers.add(paper)

    quiz = make_quiz(
        paper=paper, questions=0, title=line("quiz-title", 200), slug="xss-quiz", instructions=blob("quiz-instructions")
    )
    common = {
        "general_feedback": blob("general-feedback"),
        "name": line("question-name", 200),
        "category": line("question-category", 255),
    }
    make_question(
        quiz=quiz,
        qtype="single",
        text=blob("question-text"),
        answers=[
            {"text": blob("choice-right"), "fraction": 1, "feedback": blob("choice-feedback")},
            {"text": blob("choice-wrong"), "fraction": 0, "feedback": blob("choice-wrong-feedback")},
        ],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="short",
        text=blob("short-text"),
        answers=[{"text": line("short-accepted"), "fraction": 1, "feedback": blob("short-feedback")}],
        **common,
    )
    make_question(quiz=quiz, qtype="model", text=blob("model-text"), model_answer=blob("model-answer"), **common)
    make_question(quiz=quiz, qtype="essay", text=blob("essay-text"), model_answer=blob("essay-notes"), **common)

    # A learner's own words are shown to instructors (grading) and back to the learner.
    learner.first_name, learner.last_name = line("first-name", 150), line("last-name", 150)
    learner.email = "x@example.org"
    learner.save()
    finished, _ = Attempt.start(quiz=quiz, user=learner)
    answers = {}
    for question in quiz.questions.prefetch_related("answers"):
        if question.is_choice:
            answers[question.pk] = ([str(question.answers.first().pk)], None)
        else:
            answers[question.pk] = ([blob(f"learner-{question.qtype}")], None)
    finished.save_answers(answers)
    finished.submit()
    essay = finished.responses.get(question__qtype="essay")
    essay.grade_manually(score=essay.question.points, comment=blob("grader-comment"), grader=instructor)
    model = finished.responses.get(question__qtype="model")
    open_attempt, _ = Attempt.start(quiz=quiz, user=learner)
    open_attempt.save_answers(
        {q.pk: ([blob(f"draft-{q.qtype}")], None) for q in quiz.questions.exclude(qtype__in=["single"])}
    )
    flashcards.add_terms(user=learner, terms=[term])
    world = PayloadWorld(
        learner=learner,
        instructor=instructor,
        paper=paper,
        category=category,
        lesson=lesson,
        quiz=quiz,
        finished=finished,
        open_attempt=open_attempt,
        essay_response=essay,
        model_response=model,
        term=term,
    )
    world.pages = pages_to_check(world)
    return world


def pages_to_check(w: PayloadWorld) -> dict[str, list[tuple[str, str, list[str]]]]:
    """role → [(label, url, markers that must be on the page)]."""
    from glossary.models import Card

    card = Card.objects.filter(user=w.learner, term=w.term).first()
    public = [
        ("home", reverse("home"), ["XSS-paper-title", "XSS-paper-summary"]),
        ("paper list", reverse("papers:paper_list"), ["XSS-paper-title", "XSS-paper-summary", "XSS-category-ko"]),
        ("paper detail", w.paper.get_absolute_url(), ["XSS-paper-guide", "XSS-step-body", "XSS-paper-authors"]),
        ("guide", reverse("papers:guide"), ["XSS-lesson-intro", "XSS-method-title"]),
        ("quiz detail", w.quiz.get_absolute_url(), ["XSS-quiz-instructions", "XSS-quiz-title"]),
        ("glossary", reverse("glossary:term_list"), ["XSS-term-ko"]),
        ("term", w.term.get_absolute_url(), ["XSS-term-definition", "XSS-term-alias"]),
        ("term preview", reverse("glossary:term_preview", args=[w.term.slug]), ["XSS-term-ko"]),
    ]
    learner = public + [
        ("take", w.open_attempt.get_absolute_url(), ["XSS-question-text", "XSS-choice-right", "XSS-draft-essay"]),
        ("confirm", reverse("quizzes:attempt_confirm", args=[w.open_attempt.pk]), ["XSS-quiz-title"]),
        (
            "review",
            w.finished.get_absolute_url(),
            [
                "XSS-model-answer",
                "XSS-general-feedback",
                "XSS-choice-feedback",
                "XSS-grader-comment",
                "XSS-learner-essay",
            ],
        ),
        ("dashboard", reverse("progress:dashboard"), ["XSS-paper-title"]),
        ("deck", reverse("glossary:deck"), ["XSS-term-ko"]),
        ("flashcard", reverse("glossary:review_reveal", args=[card.pk]), ["XSS-term-definition"]),
    ]
    admin_pages = [
        (f"admin {name}", reverse(f"admin:{name}_changelist"), [marker])
        for name, marker in [
            ("papers_paper", "XSS-paper-title"),
            ("papers_category", "XSS-category-ko"),
            ("papers_lesson", "XSS-lesson-title"),
            ("quizzes_quiz", "XSS-quiz-title"),
            ("quizzes_question", "XSS-question-name"),
            ("quizzes_attempt", "XSS-quiz-title"),
            ("glossary_term", "XSS-term-ko"),
            ("glossary_card", "XSS-term-ko"),
            ("progress_paperprogress", "XSS-paper-title"),
            ("auth_user", "learner"),
        ]
    ] + [
        ("admin paper form", reverse("admin:papers_paper_change", args=[w.paper.pk]), ["XSS-paper-guide"]),
        (
            "admin question form",
            reverse("admin:quizzes_question_change", args=[w.quiz.questions.get(qtype="single").pk]),
            ["XSS-question-text", "XSS-choice-feedback"],
        ),
        ("admin quiz form", reverse("admin:quizzes_quiz_change", args=[w.quiz.pk]), ["XSS-quiz-instructions"]),
        ("admin term form", reverse("admin:glossary_term_change", args=[w.term.pk]), ["XSS-term-definition"]),
        ("admin lesson form", reverse("admin:papers_lesson_change", args=[w.lesson.pk]), ["XSS-lesson-intro"]),
    ]
    instructor = (
        public
        + [
            ("grading queue", reverse("quizzes:grading_queue") + "?show=graded", ["XSS-quiz-title"]),
            (
                "grade form",
                reverse("quizzes:response_grade", args=[w.essay_response.pk]),
                ["XSS-essay-text", "XSS-learner-essay", "XSS-grader-comment"],
            ),
            ("quiz stats", reverse("quizzes:quiz_stats", args=[w.quiz.slug]), ["XSS-quiz-title"]),
            ("progress quiz stats", reverse("progress:quiz_stats", args=[w.quiz.slug]), ["XSS-quiz-title"]),
            ("matrix", reverse("progress:instructor_matrix"), ["XSS-paper-title"]),
            ("learner detail", reverse("progress:learner_detail", args=[w.learner.pk]), ["XSS-paper-title"]),
        ]
        + admin_pages
    )
    return {"anon": public, "learner": learner, "instructor": instructor}


def gift_document() -> str:
    """A GIFT file whose every text part is `[html]` with payloads."""

    def html(name: str, payload: str) -> str:
        return "[html]" + escape_gift(f"XSS-{name} {payload}")

    parts = []
    for n, payload in enumerate(SINGLE_LINE_PAYLOADS):
        parts.append(
            f"::{escape_gift('name ' + payload)}::{html(f'gift-q{n}', payload)}"
            f"{{={html(f'gift-right{n}', payload)}#{html(f'gift-fb{n}', payload)}"
            f" ~{html(f'gift-wrong{n}', payload)}####{html(f'gift-general{n}', payload)}}}"
        )
    parts.append(f"::essay::{html('gift-essay', SINGLE_LINE_PAYLOADS[0])}{{}}")
    return "\n\n".join(parts) + "\n"


def lesson_document(*, link: str = "https://example.org/xss", code: str = "https://example.org/code") -> str:
    """A lesson document (docs/lesson-format.md) with payloads in every text it carries."""
    guide = "\n\n".join(SINGLE_LINE_PAYLOADS)
    first = "<img src=x onerror=window.__xss=1><script>window.__xss=1</script>"  # no quotes: titles are quoted
    return f"""---
title: XSS-doc-title {first}
---

## 1. XSS-doc-intro 소개
XSS-doc-intro-body

{guide}

## 2. 읽을 만한 논문
### 2.1 XSS-doc-category {first}
- **"XSS Document Paper {first}" (2020, XSS-doc-author {first})**
  - XSS-doc-summary {first}

## 3. **XSS Document Paper {first} (2020, XSS-doc-author {first})**

- [XSS Document Paper]({link})
- 저자: XSS-doc-authors {first}
- 코드: {code}

### 3.1 읽기 가이드
XSS-doc-guide

{guide}

### 3.2 읽기 체크리스트
- XSS-doc-step {first}

### 3.3 퀴즈

1. XSS-doc-question {first}
   - (x) XSS-doc-right {first}
   - ( ) XSS-doc-wrong {first} // XSS-doc-feedback {first}
   - 해설: XSS-doc-general {first}

2. XSS-doc-model-question {first}
   - XSS-doc-model-answer {first}

### 3.4 용어집
1. XSS 문서 용어 (XSS Doc Term): XSS-doc-definition {first} [j](javascript:window.__xss=1)
"""
