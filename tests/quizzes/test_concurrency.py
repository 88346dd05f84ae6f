"""Races settled by the database. They need PostgreSQL: SQLite serializes writers anyway.

Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI does).
"""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connections

from quizzes.models import Attempt, NoAttemptsLeft, Quiz
from quizzes.signals import attempt_changed
from tests.factories import make_quiz, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(count, target):
    """Run `target` in `count` threads at once, each with its own database connection."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=10)
            value = target()
            with lock:
                results.append(value)
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == count
    return results


def test_ten_concurrent_submits_of_one_attempt_grade_once():
    user = make_user()
    quiz = make_quiz(questions=3)
    attempt, _created = Attempt.start(quiz=quiz, user=user)
    question = quiz.questions.order_by("order").first()
    attempt.save_answer(question_id=question.pk, values=[str(question.answers.get(text="Right 1").pk)])
    finished = []
    lock = threading.Lock()

    def receiver(sender, attempt, **kwargs):
        if attempt.state == Attempt.State.FINISHED:
            with lock:
                finished.append(attempt.pk)

    attempt_changed.connect(receiver)
    try:
        results = run_in_threads(10, lambda: Attempt.objects.get(pk=attempt.pk).submit())
    finally:
        attempt_changed.disconnect(receiver)
    assert results.count(True) == 1 and results.count(False) == 9
    assert finished == [attempt.pk]
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.score == 1 and attempt.grade is not None


def test_concurrent_first_starts_make_one_attempt():
    user = make_user()
    quiz = make_quiz(questions=2)
    results = run_in_threads(10, lambda: Attempt.start(quiz=Quiz.objects.get(pk=quiz.pk), user=user))
    assert len({attempt.pk for attempt, _created in results}) == 1
    assert sum(created for _attempt, created in results) == 1
    assert Attempt.objects.filter(quiz=quiz, user=user).count() == 1


def test_concurrent_starts_never_exceed_attempts_allowed():
    user = make_user()
    quiz = make_quiz(questions=2, attempts_allowed=3)

    def start_and_submit_repeatedly():
        refused = 0
        for _ in range(4):
            try:
                attempt, _created = Attempt.start(quiz=Quiz.objects.get(pk=quiz.pk), user=User.objects.get(pk=user.pk))
            except NoAttemptsLeft:
                refused += 1
                continue
            attempt.submit()
        return refused

    refusals = run_in_threads(10, start_and_submit_repeatedly)
    attempts = Attempt.objects.filter(quiz=quiz, user=user)
    assert attempts.count() == 3
    assert sorted(attempts.values_list("number", flat=True)) == [1, 2, 3]
    assert all(a.is_finished for a in attempts) and sum(refusals) > 0
