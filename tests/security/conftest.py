"""One small world for the security suite: a learner who owns things, another
learner who must not reach them, and an instructor.

`world` is built per test (function scope), so tests that submit, rate or
delete do not disturb each other, and the suite runs under `-n 2`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client

from glossary import flashcards
from glossary.models import Card, Term
from papers.models import ChecklistStep, Paper
from quizzes.models import Attempt, Question, Quiz, Response
from tests.factories import make_paper, make_question, make_quiz, make_term

KEY = "KEYMARK"  # in every answer-key field of `world.keyed_quiz`; must never reach an open attempt's pages


@dataclass
class World:
    learner: User
    other: User
    instructor: User
    paper: Paper
    draft_paper: Paper
    step: ChecklistStep
    draft_step: ChecklistStep
    keyed_quiz: Quiz  # one question of every type, KEY in every key field; the learner's attempt is open
    open_attempt: Attempt
    done_quiz: Quiz  # a model-answer and an essay question; the learner's attempt is submitted
    done_attempt: Attempt
    model_response: Response
    essay_response: Response
    other_attempt: Attempt  # the other learner's open attempt on keyed_quiz
    term: Term
    card: Card
    other_card: Card

    def question(self, qtype: str) -> Question:
        return self.keyed_quiz.questions.get(qtype=qtype)


def build_keyed_quiz(*, paper: Paper, key: str = KEY, **fields) -> Quiz:
    """One question of every type with `key` in the general feedback, every answer's feedback,
    accepted short answers, numeric values and model answers."""
    quiz = make_quiz(paper=paper, questions=0, **fields)
    common = {"general_feedback": f"general-{key}"}
    make_question(
        quiz=quiz,
        qtype="single",
        answers=[
            {"text": "choice alpha", "fraction": 1, "feedback": f"fb-right-{key}"},
            {"text": "choice beta", "fraction": 0, "feedback": f"fb-wrong-{key}"},
        ],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="multiple",
        answers=[
            {"text": "choice gamma", "fraction": "0.5", "feedback": f"fb-gamma-{key}"},
            {"text": "choice delta", "fraction": "0.5", "feedback": f"fb-delta-{key}"},
            {"text": "choice eps", "fraction": -1, "feedback": f"fb-eps-{key}"},
        ],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="truefalse",
        answers=[
            {"text": "참", "value": 1, "fraction": 1, "feedback": f"fb-true-{key}"},
            {"text": "거짓", "value": 0, "fraction": 0, "feedback": f"fb-false-{key}"},
        ],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="short",
        answers=[
            {"text": f"accepted-{key}", "fraction": 1, "feedback": f"fb-short-{key}"},
            {"text": f"half-{key}*", "fraction": "0.5"},
        ],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="numerical",
        answers=[{"value": "98765.4321", "tolerance": "0.0123", "fraction": 1, "feedback": f"fb-num-{key}"}],
        **common,
    )
    make_question(quiz=quiz, qtype="model", model_answer=f"model-{key}", **common)
    make_question(quiz=quiz, qtype="essay", model_answer=f"notes-{key}", **common)
    return quiz


def make_world(learner: User, other: User, instructor: User) -> World:
    paper = make_paper(title="Security Paper", slug="security-paper")
    draft = make_paper(title="Draft Paper", slug="draft-paper", status=Paper.Status.DRAFT)
    keyed = build_keyed_quiz(paper=paper, slug="keyed-quiz")
    open_attempt, _ = Attempt.start(quiz=keyed, user=learner)
    other_attempt, _ = Attempt.start(quiz=keyed, user=other)

    done_quiz = make_quiz(paper=paper, questions=0, slug="done-quiz")
    model_q = make_question(quiz=done_quiz, qtype="model", model_answer="The model answer.")
    essay_q = make_question(quiz=done_quiz, qtype="essay")
    done_attempt, _ = Attempt.start(quiz=done_quiz, user=learner)
    done_attempt.save_answers({model_q.pk: (["my model answer"], None), essay_q.pk: (["my essay"], None)})
    done_attempt.submit()

    term = make_term(name_ko="보안 용어", name_en="Security Term", slug="security-term", papers=[paper])
    flashcards.add_terms(user=learner, terms=[term])
    flashcards.add_terms(user=other, terms=[term])
    return World(
        learner=learner,
        other=other,
        instructor=instructor,
        paper=paper,
        draft_paper=draft,
        step=paper.checklist_steps.first(),
        draft_step=draft.checklist_steps.first(),
        keyed_quiz=keyed,
        open_attempt=open_attempt,
        done_quiz=done_quiz,
        done_attempt=done_attempt,
        model_response=done_attempt.responses.get(question=model_q),
        essay_response=done_attempt.responses.get(question=essay_q),
        other_attempt=other_attempt,
        term=term,
        card=Card.objects.filter(user=learner).first(),
        other_card=Card.objects.filter(user=other).first(),
    )


@pytest.fixture
def world(learner, other_learner, instructor) -> World:
    return make_world(learner, other_learner, instructor)


@pytest.fixture
def client_for(world):
    """`client_for(role)` → a signed-in (or anonymous) test client; `csrf=True` enforces CSRF checks."""

    def make(role: str, *, csrf: bool = False) -> Client:
        client = Client(enforce_csrf_checks=csrf)
        user = {"anon": None, "learner": world.learner, "other": world.other, "instructor": world.instructor}[role]
        if user is not None:
            client.force_login(user)
        return client

    return make
