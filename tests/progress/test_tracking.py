from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from progress.models import Activity, PaperProgress
from progress.tracking import (
    combine_quiz_results,
    paper_status,
    quiz_result,
    read_latest_activity,
    rebuild_paper_progress,
    record_activity,
    refresh_paper_progress,
)
from quizzes.models import Attempt, Quiz
from tests.factories import make_paper, make_progress_attempt, make_quiz, make_user, tick_steps

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState


def _attempt(number, grade=None, *, state="finished", needs_grading=False):
    return Attempt(
        number=number,
        state=state,
        grade=None if grade is None else Decimal(str(grade)),
        needs_grading=needs_grading,
    )


def _quiz(method="highest", pass_mark=60):
    return Quiz(grading_method=method, pass_mark=Decimal(pass_mark))


# ------------------------------------------------------------ grading methods (no database)


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", Decimal("90")), ("average", Decimal("63.33")), ("first", Decimal("40")), ("last", Decimal("60"))],
)
def test_grade_by_grading_method(method, expected):
    attempts = [_attempt(1, 40), _attempt(2, 90), _attempt(3, 60)]
    result = quiz_result(quiz=_quiz(method), attempts=attempts)
    assert result.grade == expected
    assert result.best_grade == Decimal("90")
    assert result.attempts_used == 3


def test_first_attempt_failing_means_failed_even_if_later_passed():
    result = quiz_result(quiz=_quiz("first"), attempts=[_attempt(1, 30), _attempt(2, 95)])
    assert result.state == QuizState.FAILED
    assert result.grade == Decimal("30")


def test_pass_mark_is_inclusive():
    assert quiz_result(quiz=_quiz(pass_mark=60), attempts=[_attempt(1, 60)]).state == QuizState.PASSED
    assert quiz_result(quiz=_quiz(pass_mark=60), attempts=[_attempt(1, "59.99")]).state == QuizState.FAILED


def test_essay_awaiting_grading_is_not_failed():
    result = quiz_result(quiz=_quiz(), attempts=[_attempt(1, None, needs_grading=True)])
    assert result.state == QuizState.AWAITING_GRADING
    assert result.grade is None


def test_awaiting_grading_wins_over_an_earlier_failed_attempt():
    attempts = [_attempt(1, 20), _attempt(2, None, needs_grading=True)]
    assert quiz_result(quiz=_quiz("highest"), attempts=attempts).state == QuizState.AWAITING_GRADING
    assert quiz_result(quiz=_quiz("last"), attempts=attempts).state == QuizState.AWAITING_GRADING
    # The first attempt decides under "first": it is graded and failed.
    assert quiz_result(quiz=_quiz("first"), attempts=attempts).state == QuizState.FAILED


def test_highest_already_passed_stays_passed_while_another_attempt_awaits_grading():
    attempts = [_attempt(1, 80), _attempt(2, None, needs_grading=True)]
    assert quiz_result(quiz=_quiz("highest"), attempts=attempts).state == QuizState.PASSED


def test_average_is_not_final_while_an_attempt_awaits_grading():
    attempts = [_attempt(1, 80), _attempt(2, None, needs_grading=True)]
    result = quiz_result(quiz=_quiz("average"), attempts=attempts)
    assert result.state == QuizState.AWAITING_GRADING
    assert result.grade == Decimal("80.00")


def test_open_and_abandoned_attempts():
    assert quiz_result(quiz=_quiz(), attempts=[]).state == QuizState.NONE
    assert quiz_result(quiz=_quiz(), attempts=[_attempt(1, state="in_progress")]).state == QuizState.IN_PROGRESS
    result = quiz_result(quiz=_quiz(), attempts=[_attempt(1, state="abandoned")])
    assert result.state == QuizState.NONE
    assert result.attempts_used == 1
    retry = quiz_result(quiz=_quiz(), attempts=[_attempt(1, 20), _attempt(2, state="in_progress")])
    assert retry.state == QuizState.IN_PROGRESS
    assert retry.grade == Decimal("20")


def test_several_quizzes_pass_only_together():
    passed = quiz_result(quiz=_quiz(), attempts=[_attempt(1, 90)])
    failed = quiz_result(quiz=_quiz(), attempts=[_attempt(1, 10)])
    untried = quiz_result(quiz=_quiz(), attempts=[])
    assert combine_quiz_results([passed, passed]).state == QuizState.PASSED
    assert combine_quiz_results([passed, failed]).state == QuizState.FAILED
    assert combine_quiz_results([passed, untried]).state == QuizState.IN_PROGRESS
    assert combine_quiz_results([passed, failed]).grade == Decimal("50.00")
    assert combine_quiz_results([]).state == QuizState.NONE


@pytest.mark.parametrize(
    ("done", "total", "has_quiz", "quiz_state", "expected"),
    [
        (0, 3, True, "none", Status.NOT_STARTED),
        (1, 3, True, "none", Status.READING),
        (3, 3, True, "none", Status.READ),  # read only
        (0, 3, True, "passed", Status.READING),  # passed only
        (3, 3, True, "passed", Status.COMPLETED),  # both
        (3, 3, True, "awaiting_grading", Status.READ),
        (3, 3, False, "none", Status.COMPLETED),  # no quiz: read is enough
        (0, 0, True, "passed", Status.COMPLETED),  # no checklist: the quiz is enough
        (0, 0, False, "none", Status.NOT_STARTED),
    ],
)
def test_completion_rule(done, total, has_quiz, quiz_state, expected):
    assert paper_status(steps_done=done, steps_total=total, has_quiz=has_quiz, quiz_state=quiz_state) == expected


# ------------------------------------------------------------ refresh from the source tables


@pytest.mark.django_db
def test_read_only_is_read_not_completed(learner):
    paper = make_paper(steps=3)
    make_quiz(paper=paper)
    tick_steps(user=learner, paper=paper)
    row = refresh_paper_progress(user=learner, paper=paper)
    assert (row.status, row.steps_done, row.steps_total, row.quiz_state) == (Status.READ, 3, 3, QuizState.NONE)
    assert row.completed_at is None
    assert row.last_activity_at is not None


@pytest.mark.django_db
def test_quiz_passed_only_is_reading(learner):
    paper = make_paper(steps=3)
    quiz = make_quiz(paper=paper)
    make_progress_attempt(quiz=quiz, user=learner, grade=100)
    row = refresh_paper_progress(user=learner, paper=paper)
    assert row.status == Status.READING
    assert row.quiz_state == QuizState.PASSED
    assert row.quiz_grade == Decimal("100")
    assert row.attempts_used == 1


@pytest.mark.django_db
def test_read_and_passed_is_completed(learner):
    paper = make_paper(steps=2)
    quiz = make_quiz(paper=paper, pass_mark=Decimal("70"))
    tick_steps(user=learner, paper=paper)
    make_progress_attempt(quiz=quiz, user=learner, grade=50)
    make_progress_attempt(quiz=quiz, user=learner, grade=75)
    row = refresh_paper_progress(user=learner, paper=paper)
    assert row.status == Status.COMPLETED
    assert row.became_completed is True
    assert row.completed_at is not None
    assert (row.quiz_grade, row.best_grade, row.attempts_used) == (Decimal("75"), Decimal("75"), 2)
    again = refresh_paper_progress(user=learner, paper=paper)
    assert again.became_completed is False
    assert again.completed_at == row.completed_at
    assert PaperProgress.objects.count() == 1


@pytest.mark.django_db
def test_essay_awaiting_grading_shows_awaiting_not_failed(learner):
    paper = make_paper(steps=1)
    quiz = make_quiz(paper=paper, qtype="essay", questions=1)
    tick_steps(user=learner, paper=paper)
    make_progress_attempt(quiz=quiz, user=learner, grade=None, needs_grading=True)
    row = refresh_paper_progress(user=learner, paper=paper)
    assert row.quiz_state == QuizState.AWAITING_GRADING
    assert row.status == Status.READ


@pytest.mark.django_db
def test_paper_without_quiz_is_completed_when_read_and_unpublished_quizzes_do_not_count(learner):
    paper = make_paper(steps=2)
    make_quiz(paper=paper, is_published=False)
    tick_steps(user=learner, paper=paper)
    assert refresh_paper_progress(user=learner, paper=paper).status == Status.COMPLETED


@pytest.mark.django_db
def test_unticking_a_step_undoes_completion(learner):
    paper = make_paper(steps=2)
    tick_steps(user=learner, paper=paper)
    assert refresh_paper_progress(user=learner, paper=paper).status == Status.COMPLETED
    learner.step_progress.filter(step__paper=paper).first().delete()
    row = refresh_paper_progress(user=learner, paper=paper)
    assert row.status == Status.READING
    assert row.completed_at is None


@pytest.mark.django_db
def test_other_learners_rows_do_not_leak(learner, other_learner):
    paper = make_paper(steps=2)
    tick_steps(user=other_learner, paper=paper)
    row = refresh_paper_progress(user=learner, paper=paper)
    assert row.steps_done == 0
    assert row.status == Status.NOT_STARTED


@pytest.mark.django_db
def test_refresh_is_one_read_and_one_write(learner, django_assert_num_queries):
    paper = make_paper(steps=7)
    quiz = make_quiz(paper=paper)
    make_quiz(paper=paper)  # a second quiz, not tried yet
    tick_steps(user=learner, paper=paper, count=4)
    for grade in (10, 20, 30):
        make_progress_attempt(quiz=quiz, user=learner, grade=grade)
    with django_assert_num_queries(2):  # INSERT for a new row
        first = refresh_paper_progress(user=learner, paper=paper)
    with django_assert_num_queries(2):  # UPDATE of the stored one
        again = refresh_paper_progress(user_id=learner.pk, paper_id=paper.pk)
    assert again.pk == first.pk
    assert (again.steps_done, again.steps_total, again.attempts_used) == (4, 7, 3)
    assert again.quiz_state == QuizState.FAILED  # one quiz failed (the one that needs attention), one not tried
    assert again.quiz_grade == Decimal("30.00")


@pytest.mark.django_db
def test_refresh_reads_again_when_the_row_changed_since_its_read(learner, monkeypatch):
    """The compare-and-set: a write based on a stale read is refused, and the refresh starts over."""
    from progress import tracking

    paper = make_paper(steps=2)
    refresh_paper_progress(user=learner, paper=paper)
    tick_steps(user=learner, paper=paper, count=1)
    original, reads = tracking._read_sources, []

    def read_then_someone_else_writes(**kwargs):
        sources = original(**kwargs)
        reads.append(sources)
        if len(reads) == 1:  # another request writes the row between our read and our write
            PaperProgress.objects.filter(user=learner, paper=paper).update(updated_at=timezone.now())
        return sources

    monkeypatch.setattr(tracking, "_read_sources", read_then_someone_else_writes)
    row = refresh_paper_progress(user=learner, paper=paper)
    assert len(reads) == 2
    assert row.steps_done == PaperProgress.objects.get(user=learner, paper=paper).steps_done == 1


@pytest.mark.django_db
def test_refresh_of_a_paper_without_quiz_or_steps(learner):
    paper = make_paper(steps=0)
    row = refresh_paper_progress(user=learner, paper=paper, activity_at=timezone.now())
    assert (row.status, row.quiz_state, row.steps_total) == (Status.NOT_STARTED, QuizState.NONE, 0)
    stored = PaperProgress.objects.get(user=learner, paper=paper)
    assert stored.last_activity_at == row.last_activity_at


@pytest.mark.django_db
def test_bulk_rebuild_matches_refresh(learner, other_learner):
    paper = make_paper(steps=3)
    quiz = make_quiz(paper=paper, grading_method=Quiz.GradingMethod.AVERAGE)
    tick_steps(user=learner, paper=paper)
    make_progress_attempt(quiz=quiz, user=learner, grade=50)
    make_progress_attempt(quiz=quiz, user=learner, grade=90)
    tick_steps(user=other_learner, paper=paper, count=1)
    make_progress_attempt(quiz=quiz, user=other_learner, grade=None, needs_grading=True)

    assert rebuild_paper_progress(paper=paper) == 2
    rebuilt = {row.user_id: row for row in PaperProgress.objects.all()}
    PaperProgress.objects.all().delete()
    for user in (learner, other_learner):
        fresh = refresh_paper_progress(user=user, paper=paper)
        stored = rebuilt[user.pk]
        fields = ("status", "steps_done", "steps_total", "quiz_state", "quiz_grade", "best_grade", "attempts_used")
        assert [getattr(stored, f) for f in fields] == [getattr(fresh, f) for f in fields]
    assert rebuilt[learner.pk].status == Status.COMPLETED
    assert rebuilt[learner.pk].quiz_grade == Decimal("70.00")
    assert rebuilt[other_learner.pk].quiz_state == QuizState.AWAITING_GRADING


@pytest.mark.django_db
def test_rebuild_progress_command(learner):
    paper = make_paper(steps=1)
    tick_steps(user=learner, paper=paper)
    PaperProgress.objects.create(user=learner, paper=paper, status=Status.NOT_STARTED)
    call_command("rebuild_progress", verbosity=0)
    assert PaperProgress.objects.get(user=learner, paper=paper).status == Status.COMPLETED


@pytest.mark.django_db
def test_rebuild_progress_command_reports_unknown_slugs(learner, capsys):
    make_paper()
    call_command("rebuild_progress", paper=["no-such-paper"])
    captured = capsys.readouterr()
    assert "no-such-paper" in captured.err


@pytest.mark.django_db
def test_record_activity_merges_a_quick_repeat():
    user = make_user()
    paper = make_paper()
    first = record_activity(user=user, kind=Activity.Kind.READING, paper=paper, detail="1/3")
    second = record_activity(user=user, kind=Activity.Kind.READING, paper=paper, detail="2/3")
    assert first.pk == second.pk
    assert Activity.objects.get().detail == "2/3"
    Activity.objects.update(created_at=timezone.now() - timedelta(hours=2))
    record_activity(user=user, kind=Activity.Kind.READING, paper=paper, detail="3/3")
    assert Activity.objects.count() == 2
    record_activity(user=user, kind=Activity.Kind.FLASHCARDS, detail="4")
    assert Activity.objects.count() == 3


@pytest.mark.django_db
def test_record_activity_merges_only_into_the_activity_it_read():
    """A merge is a conditional UPDATE: if the latest activity changed since it was read, log a new one."""
    user = make_user()
    paper = make_paper()
    first = record_activity(user=user, kind=Activity.Kind.READING, paper=paper, detail="1/3")
    latest = read_latest_activity(user_id=user.pk)
    assert (latest.pk, latest.kind, latest.paper_id) == (first.pk, Activity.Kind.READING, paper.pk)
    record_activity(user=user, kind=Activity.Kind.READING, paper=paper, detail="2/3")  # moves created_at
    stale = record_activity(user=user, kind=Activity.Kind.READING, paper=paper, detail="3/3", latest=latest)
    assert stale.pk != first.pk
    assert list(Activity.objects.order_by("pk").values_list("detail", flat=True)) == ["2/3", "3/3"]
