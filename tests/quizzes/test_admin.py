from decimal import Decimal

import pytest
from django.urls import reverse

from quizzes.models import Attempt, Question
from tests.factories import make_question, make_quiz

pytestmark = pytest.mark.django_db


def inline_management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_admin_pages_open(instructor_client, learner):
    quiz = make_quiz(questions=2)
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    attempt.submit()
    question = quiz.questions.first()
    for url in (
        reverse("admin:quizzes_quiz_changelist"),
        reverse("admin:quizzes_quiz_changelist") + "?q=Quiz&is_published__exact=1",
        reverse("admin:quizzes_quiz_add"),
        reverse("admin:quizzes_question_changelist") + f"?quiz__id__exact={quiz.pk}",
        reverse("admin:quizzes_question_add") + f"?quiz={quiz.pk}",
        reverse("admin:quizzes_question_change", args=[question.pk]),
        reverse("admin:quizzes_attempt_changelist") + "?state__exact=finished",
        reverse("admin:quizzes_attempt_change", args=[attempt.pk]),
    ):
        assert instructor_client.get(url).status_code == 200, url
    html = instructor_client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).content.decode()
    assert reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk]) in html
    assert reverse("quizzes:quiz_stats", args=[quiz.slug]) in html
    assert "markdownx" in html  # the instructions use the Markdown editor
    assert "Question 1?" in html  # the questions inline


def test_attempts_are_read_only_in_the_admin(instructor_client, learner):
    quiz = make_quiz(questions=1)
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    response = instructor_client.post(reverse("admin:quizzes_attempt_change", args=[attempt.pk]), {"number": 5})
    assert response.status_code == 403
    assert instructor_client.get(reverse("admin:quizzes_attempt_add")).status_code == 403


def test_learners_get_no_admin(learner_client):
    response = learner_client.get(reverse("admin:quizzes_quiz_changelist"))
    assert response.status_code == 302


def test_changing_an_answer_key_in_the_admin_regrades(instructor_client, learner):
    quiz = make_quiz(questions=0)
    question = make_question(quiz=quiz, qtype="short", answers=[{"text": "relu", "fraction": 1}])
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answer(question_id=question.pk, values=["ReLU6"])
    attempt.submit()
    attempt.refresh_from_db()
    assert attempt.grade == 0
    answer = question.answers.get()
    data = {
        "quiz": quiz.pk, "order": question.order, "qtype": "short", "name": "", "text": question.text,
        "points": "1", "case_sensitive": "", "model_answer": "", "general_feedback": "", "category": "",
        **inline_management("answers", 1, 1),
        "answers-0-id": answer.pk, "answers-0-question": question.pk, "answers-0-order": "1",
        "answers-0-text": "relu*", "answers-0-fraction": "1", "answers-0-feedback": "", "answers-0-value": "",
        "answers-0-tolerance": "0",
    }  # fmt: skip
    response = instructor_client.post(reverse("admin:quizzes_question_change", args=[question.pk]), data, follow=True)
    assert response.status_code == 200
    assert "재채점했습니다" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.grade == 100


def test_answer_key_is_validated_for_the_question_type(instructor_client):
    quiz = make_quiz(questions=0)
    data = {
        "quiz": quiz.pk, "order": "1", "qtype": "single", "name": "", "text": "질문?", "points": "1",
        "case_sensitive": "", "model_answer": "", "general_feedback": "", "category": "",
        **inline_management("answers", 1, 0),
        "answers-0-order": "1", "answers-0-text": "a", "answers-0-fraction": "0", "answers-0-feedback": "",
        "answers-0-value": "", "answers-0-tolerance": "0",
    }  # fmt: skip
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 200 and "점수를 받는 답" in response.content.decode()
    assert not Question.objects.exists()
    data["answers-0-fraction"] = "1"
    response = instructor_client.post(reverse("admin:quizzes_question_add"), data)
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.answers.get().fraction == Decimal(1) and question.text_html == "<p>질문?</p>"


def test_regrade_admin_action(instructor_client, learner):
    quiz = make_quiz(questions=1, qtype="short")
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answer(question_id=quiz.questions.get().pk, values=["answer 1x"])
    attempt.submit()
    quiz.questions.get().answers.update(text="answer 1*")
    response = instructor_client.post(
        reverse("admin:quizzes_quiz_changelist"),
        {"action": "regrade_action", "_selected_action": [quiz.pk]},
        follow=True,
    )
    assert "재채점했습니다" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.grade == 100
