from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from glossary.signals import deck_changed
from papers.models import ChecklistStep, Paper, StepProgress
from papers.signals import reading_progress_changed
from progress.models import Activity, PaperProgress
from quizzes.models import Attempt
from quizzes.signals import attempt_changed
from tests.factories import make_paper, make_progress_attempt, make_quiz, tick_steps

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState


@pytest.mark.django_db
def test_reading_signal_updates_row_and_logs_activity(learner):
    paper = make_paper(steps=3)
    tick_steps(user=learner, paper=paper, count=2)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    row = PaperProgress.objects.get(user=learner, paper=paper)
    assert (row.steps_done, row.steps_total, row.status) == (2, 3, Status.READING)
    activity = Activity.objects.get(user=learner)
    assert (activity.kind, activity.paper_id, activity.detail) == (Activity.Kind.READING, paper.pk, "2/3")


@pytest.mark.django_db
def test_attempt_signal_updates_row_and_completion_is_logged(learner):
    paper = make_paper(steps=1)
    quiz = make_quiz(paper=paper)
    tick_steps(user=learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    assert PaperProgress.objects.get(user=learner, paper=paper).status == Status.READ

    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=90)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    row = PaperProgress.objects.get(user=learner, paper=paper)
    assert row.status == Status.COMPLETED
    assert row.quiz_grade == Decimal("90")
    kinds = list(Activity.objects.filter(user=learner).order_by("created_at", "pk").values_list("kind", flat=True))
    assert kinds == [Activity.Kind.READING, Activity.Kind.QUIZ_SUBMITTED, Activity.Kind.COMPLETED]
    assert "90%" in Activity.objects.get(kind=Activity.Kind.QUIZ_SUBMITTED).detail


@pytest.mark.django_db
def test_started_attempt_and_awaiting_grading(learner):
    quiz = make_quiz(qtype="essay", questions=1)
    attempt = make_progress_attempt(quiz=quiz, user=learner, state="in_progress")
    attempt_changed.send(sender=Attempt, attempt=attempt)
    assert PaperProgress.objects.get(user=learner).quiz_state == QuizState.IN_PROGRESS
    assert Activity.objects.filter(kind=Activity.Kind.QUIZ_STARTED).exists()

    Attempt.objects.filter(pk=attempt.pk).update(state="finished", submitted_at=timezone.now(), needs_grading=True)
    attempt.refresh_from_db()
    attempt_changed.send(sender=Attempt, attempt=attempt)
    row = PaperProgress.objects.get(user=learner)
    assert row.quiz_state == QuizState.AWAITING_GRADING
    assert row.status != Status.COMPLETED


@pytest.mark.django_db
def test_late_grading_is_not_logged_as_the_learners_study(learner):
    quiz = make_quiz(qtype="essay", questions=1)
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=80, submitted_at=timezone.now() - timedelta(days=2))
    attempt_changed.send(sender=Attempt, attempt=attempt)
    assert Activity.objects.get(user=learner).kind == Activity.Kind.QUIZ_GRADED
    assert PaperProgress.objects.get(user=learner).quiz_state == QuizState.PASSED


@pytest.mark.django_db
def test_deck_signal_logs_flashcard_activity(learner):
    deck_changed.send(sender=None, user=learner)
    activity = Activity.objects.get(user=learner)
    assert activity.kind == Activity.Kind.FLASHCARDS
    assert activity.paper is None
    assert activity.detail == "0"


@pytest.mark.django_db
def test_a_failing_receiver_never_breaks_the_learners_request(learner):
    paper = make_paper()
    with mock.patch("progress.receivers.refresh_paper_progress", side_effect=RuntimeError("boom")):
        reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    assert not PaperProgress.objects.exists()


@pytest.mark.django_db
def test_quiz_settings_change_rebuilds_rows_after_commit(learner, django_capture_on_commit_callbacks):
    paper = make_paper(steps=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        quiz = make_quiz(paper=paper, pass_mark=Decimal("90"))
        tick_steps(user=learner, paper=paper)
        make_progress_attempt(quiz=quiz, user=learner, grade=80)
        reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    assert PaperProgress.objects.get(user=learner).quiz_state == QuizState.FAILED
    transaction.get_connection().run_on_commit.clear()  # what a real commit does after running them

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        quiz.pass_mark = Decimal("75")
        quiz.save()
        quiz.save()
    rebuilds = [c for c in callbacks if getattr(c, "progress_paper_id", None) == paper.pk]
    assert len(rebuilds) == 1  # saved twice, rebuilt once
    row = PaperProgress.objects.get(user=learner)
    assert (row.quiz_state, row.status) == (QuizState.PASSED, Status.COMPLETED)


@pytest.mark.django_db
def test_new_checklist_step_rebuilds_steps_total(learner, django_capture_on_commit_callbacks):
    paper = make_paper(steps=2)
    tick_steps(user=learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    assert PaperProgress.objects.get(user=learner).status == Status.COMPLETED
    with django_capture_on_commit_callbacks(execute=True):
        ChecklistStep.objects.create(paper=paper, order=3, title="Step 3")
    row = PaperProgress.objects.get(user=learner)
    assert (row.steps_done, row.steps_total, row.status) == (2, 3, Status.READING)


def _statements(queries) -> list[str]:
    """The SQL a receiver ran, without the savepoint it takes inside the test's transaction."""
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


@pytest.mark.django_db
def test_a_tick_costs_three_statements(learner):
    """Read everything, write the row, merge the activity; no transaction of its own in autocommit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    paper = make_paper(steps=3)
    make_quiz(paper=paper)
    first, second, _third = paper.checklist_steps.all()
    StepProgress.objects.create(user=learner, step=first)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    StepProgress.objects.create(user=learner, step=second)
    with CaptureQueriesContext(connection) as queries:
        reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    statements = _statements(queries)
    assert len(statements) == 3, statements
    assert statements[1].lstrip().startswith("UPDATE progress_paperprogress")
    assert statements[2].lstrip().startswith("UPDATE progress_activity")
    assert Activity.objects.get(user=learner).detail == "2/3"


@pytest.mark.django_db
def test_a_quiz_start_costs_three_statements_and_does_not_load_the_paper(learner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    quiz = make_quiz()
    attempt = make_progress_attempt(quiz=quiz, user=learner, state="in_progress")
    attempt = Attempt.objects.select_related("quiz", "user").get(pk=attempt.pk)
    with CaptureQueriesContext(connection) as queries:
        attempt_changed.send(sender=Attempt, attempt=attempt)
    statements = _statements(queries)
    assert len(statements) == 3, statements  # read, INSERT the row, INSERT the activity
    assert not any('"papers_paper"' in sql or " papers_paper " in sql for sql in statements)
    assert Activity.objects.get(user=learner).kind == Activity.Kind.QUIZ_STARTED


@pytest.mark.django_db
def test_receivers_in_a_transaction_use_a_savepoint_so_a_failure_cannot_break_it(learner):
    """Sent inside the sender's transaction, a failing refresh rolls back its savepoint only."""
    paper = make_paper()
    with transaction.atomic():
        with mock.patch("progress.tracking._write_row", side_effect=RuntimeError("boom")):
            reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
        assert PaperProgress.objects.count() == 0  # the transaction is still usable
    assert not PaperProgress.objects.exists()
