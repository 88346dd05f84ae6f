from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from quizzes import grading
from quizzes.models import (
    GRACE_PERIOD,
    Attempt,
    AttemptClosed,
    DeadlinePassed,
    InvalidAnswer,
    NoAttemptsLeft,
    NoQuestions,
    Question,
    Response,
    StaleAnswer,
)
from quizzes.signals import attempt_changed
from tests.factories import make_question, make_quiz, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals():
    sent = []

    def receiver(sender, attempt, **kwargs):
        sent.append((attempt.pk, attempt.state))

    attempt_changed.connect(receiver)
    yield sent
    attempt_changed.disconnect(receiver)


def answer_ids(question):
    return {a.text: a.pk for a in question.answers.all()}


def test_start_creates_one_response_per_question_and_resumes(learner, signals):
    quiz = make_quiz(questions=3)
    attempt, created = Attempt.start(quiz=quiz, user=learner)
    assert created and attempt.number == 1 and attempt.is_in_progress
    assert attempt.responses.count() == 3
    assert attempt.question_order == list(quiz.questions.order_by("order").values_list("pk", flat=True))
    assert attempt.max_score == 3
    assert signals == [(attempt.pk, "in_progress")]
    again, created = Attempt.start(quiz=quiz, user=learner)
    assert again.pk == attempt.pk and not created
    assert len(signals) == 1


def test_one_open_attempt_per_learner_is_a_database_constraint(learner):
    quiz = make_quiz(questions=1)
    Attempt.start(quiz=quiz, user=learner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(quiz=quiz, user=learner, number=2)


def test_attempts_allowed_is_never_exceeded(learner):
    quiz = make_quiz(questions=1, attempts_allowed=2)
    for _ in range(2):
        attempt, _created = Attempt.start(quiz=quiz, user=learner)
        attempt.submit()
    with pytest.raises(NoAttemptsLeft):
        Attempt.start(quiz=quiz, user=learner)
    assert Attempt.objects.filter(quiz=quiz, user=learner).count() == 2


def test_unlimited_attempts_when_zero(learner):
    quiz = make_quiz(questions=1, attempts_allowed=0)
    for number in range(1, 5):
        attempt, _created = Attempt.start(quiz=quiz, user=learner)
        assert attempt.number == number
        attempt.submit()


def test_shuffle_stores_the_order_per_attempt(learner):
    quiz = make_quiz(questions=8, shuffle_questions=True)
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    ids = set(quiz.questions.values_list("pk", flat=True))
    assert set(attempt.question_order) == ids and len(attempt.question_order) == 8
    fetched = Attempt.objects.with_responses().get(pk=attempt.pk)
    assert [r.question_id for r in fetched.ordered_responses()] == attempt.question_order


def test_deadline_is_set_from_the_time_limit(learner):
    quiz = make_quiz(questions=1, time_limit=timedelta(minutes=10))
    now = timezone.now()
    attempt, _created = Attempt.start(quiz=quiz, user=learner, now=now)
    assert attempt.deadline == now + timedelta(minutes=10)
    assert attempt.seconds_left(now=now) == 600


def test_save_answer_validates_and_bumps_the_sequence(learner):
    quiz = make_quiz(questions=1)
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    question = quiz.questions.get()
    right = answer_ids(question)["Right 1"]
    response = attempt.save_answer(question_id=question.pk, values=[str(right)], sequence=0)
    assert response.selected == [right] and response.sequence == 1 and response.saved_at
    with pytest.raises(InvalidAnswer):
        attempt.save_answer(question_id=question.pk, values=["999999"], sequence=1)
    with pytest.raises(InvalidAnswer):
        attempt.save_answer(question_id=question.pk, values=["abc"], sequence=1)
    with pytest.raises(Response.DoesNotExist):
        attempt.save_answer(question_id=make_quiz(questions=1).questions.get().pk, values=[], sequence=0)


def test_stale_sequence_is_refused_and_unchanged_answers_are_accepted(learner):
    quiz = make_quiz(questions=1, qtype="short")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    qid = quiz.questions.get().pk
    attempt.save_answer(question_id=qid, values=["first"], sequence=0)
    with pytest.raises(StaleAnswer):
        attempt.save_answer(question_id=qid, values=["from an old tab"], sequence=0)
    assert Response.objects.get(attempt=attempt).text == "first"
    # The same value again (a double fire of change + input) is fine whatever the number.
    assert attempt.save_answer(question_id=qid, values=["first"], sequence=0).sequence == 1


def test_save_answers_batch_reports_each_refusal(learner):
    quiz = make_quiz(questions=3, qtype="short")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    q1, q2, q3 = quiz.questions.order_by("order").values_list("pk", flat=True)
    attempt.save_answer(question_id=q2, values=["x"], sequence=0)
    report = attempt.save_answers({q1: (["a"], 0), q2: (["b"], 0), q3: (["c" * 2000], 0)})
    assert set(report.errors) == {q2, q3}
    assert isinstance(report.errors[q2], StaleAnswer) and isinstance(report.errors[q3], InvalidAnswer)
    assert dict(Response.objects.filter(attempt=attempt).values_list("question_id", "text")) == {
        q1: "a",
        q2: "x",
        q3: "",
    }


def test_single_choice_keeps_one_choice(learner):
    quiz = make_quiz(questions=1)
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    question = quiz.questions.get()
    ids = answer_ids(question)
    response = attempt.save_answer(question_id=question.pk, values=[str(ids["Right 1"]), str(ids["Wrong 1"])])
    assert response.selected == [ids["Wrong 1"]]


def test_answers_after_the_deadline_are_refused_and_the_attempt_auto_submitted(learner, signals):
    quiz = make_quiz(questions=2, qtype="short", time_limit=timedelta(minutes=5))
    start = timezone.now()
    attempt, _created = Attempt.start(quiz=quiz, user=learner, now=start)
    q1, q2 = quiz.questions.order_by("order").values_list("pk", flat=True)
    attempt.save_answer(question_id=q1, values=["answer 1"], now=start + timedelta(minutes=4))
    # Within the grace period the final autosave still lands.
    attempt.save_answer(question_id=q2, values=["late but in grace"], now=start + timedelta(minutes=5, seconds=10))
    with pytest.raises(DeadlinePassed) as excinfo:
        attempt.save_answer(question_id=q2, values=["too late"], now=start + timedelta(minutes=5) + GRACE_PERIOD * 2)
    assert "제한 시간" in str(excinfo.value)
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.auto_submitted and attempt.submitted_at == attempt.deadline
    assert Response.objects.get(attempt=attempt, question_id=q2).text == "late but in grace"
    assert attempt.score == 1  # "answer 1" is right; the other is wrong
    with pytest.raises(DeadlinePassed):
        attempt.save_answer(question_id=q1, values=["again"])
    assert signals[-1] == (attempt.pk, "finished")


def test_overdue_attempts_close_when_touched(learner):
    quiz = make_quiz(questions=1, time_limit=timedelta(minutes=1))
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(hours=1))
    assert Attempt.objects.close_overdue() == 1
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.auto_submitted
    # Starting again after an overdue attempt gives a fresh one.
    Attempt.objects.filter(pk=attempt.pk).update(state=Attempt.State.IN_PROGRESS, auto_submitted=False)
    fresh, created = Attempt.start(quiz=quiz, user=learner)
    assert created and fresh.number == 2


def test_submit_is_idempotent_and_grades_once(learner, signals):
    quiz = make_quiz(questions=2)
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    for question in quiz.questions.all():
        attempt.save_answer(question_id=question.pk, values=[str(answer_ids(question)[f"Right {question.order}"])])
    assert attempt.submit() is True
    assert attempt.submit() is False
    assert Attempt.objects.get(pk=attempt.pk).submit() is False
    attempt.refresh_from_db()
    assert attempt.score == 2 and attempt.grade == 100 and not attempt.needs_grading and attempt.passed
    assert signals == [(attempt.pk, "in_progress"), (attempt.pk, "finished")]
    with pytest.raises(AttemptClosed):
        attempt.save_answer(question_id=quiz.questions.first().pk, values=[])


def test_every_type_is_graded_on_submit(learner):
    quiz = make_quiz(questions=0)
    single = make_question(quiz=quiz, qtype="single")
    multiple = make_question(
        quiz=quiz,
        qtype="multiple",
        points=Decimal(2),
        answers=[{"text": "a", "fraction": "0.5"}, {"text": "b", "fraction": "0.5"}, {"text": "c", "fraction": -1}],
    )
    truefalse = make_question(quiz=quiz, qtype="truefalse")
    short = make_question(quiz=quiz, qtype="short", answers=[{"text": "역전파*", "fraction": 1}])
    numerical = make_question(
        quiz=quiz, qtype="numerical", answers=[{"value": "3.14", "tolerance": "0.01", "fraction": 1}]
    )
    model = make_question(quiz=quiz, qtype="model")
    essay = make_question(quiz=quiz, qtype="essay")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answers(
        {
            single.pk: ([str(answer_ids(single)["Wrong 1"])], 0),
            multiple.pk: ([str(answer_ids(multiple)["a"])], 0),
            truefalse.pk: ([str(answer_ids(truefalse)["참"])], 0),
            short.pk: (["역전파 알고리즘"], 0),
            numerical.pk: (["3,145"], 0),
            model.pk: (["내 답"], 0),
            essay.pk: (["긴 논술"], 0),
        }
    )
    attempt.submit()
    scores = {r.question_id: r.score for r in attempt.responses.all()}
    assert scores == {
        single.pk: 0, multiple.pk: 1, truefalse.pk: 1, short.pk: 1, numerical.pk: 1, model.pk: None, essay.pk: None,
    }  # fmt: skip
    attempt.refresh_from_db()
    assert attempt.needs_grading and attempt.grade is None and attempt.score == 4 and attempt.max_score == 8
    assert attempt.status[0] == "채점 대기 중"


def test_self_rating_scores_model_answers_and_can_be_changed(learner, signals):
    quiz = make_quiz(questions=2, qtype="model")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    first, second = quiz.questions.order_by("order")
    attempt.save_answer(question_id=first.pk, values=["내 생각"])
    attempt.submit()
    r1 = Response.objects.get(attempt=attempt, question=first)
    r2 = Response.objects.get(attempt=attempt, question=second)
    assert r1.awaits_self_rating and r1.can_self_rate()
    assert r2.score == 0 and not r2.can_self_rate()  # blank: missed, nothing to rate
    r1.rate("partial")
    attempt.refresh_from_db()
    assert r1.score == Decimal("0.5") and attempt.grade == 25 and not attempt.needs_grading
    r1.rate("correct")
    attempt.refresh_from_db()
    assert attempt.grade == 50
    with pytest.raises(InvalidAnswer):
        r1.rate("great")
    assert signals[-1] == (attempt.pk, "finished") and len(signals) == 4  # start, submit, two ratings


def test_model_answers_hidden_by_review_options_go_to_the_instructor(learner):
    quiz = make_quiz(questions=1, qtype="model", review_model_answers=False)
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answer(question_id=quiz.questions.get().pk, values=["답"])
    attempt.submit()
    response = attempt.responses.get()
    assert not response.can_self_rate()
    with pytest.raises(Exception, match="평가할 수 없습니다"):
        response.rate("correct")


def test_instructor_grading_overrides_and_completes_the_attempt(learner, instructor, signals):
    quiz = make_quiz(questions=0)
    essay = make_question(quiz=quiz, qtype="essay", points=Decimal(4))
    model = make_question(quiz=quiz, qtype="model")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answers({essay.pk: (["논술 답"], 0), model.pk: (["답"], 0)})
    attempt.submit()
    r_essay = attempt.responses.get(question=essay)
    r_model = attempt.responses.get(question=model)
    r_model.rate("correct")
    with pytest.raises(InvalidAnswer):
        r_essay.grade_manually(score=Decimal(5), comment="", grader=instructor)
    r_essay.grade_manually(score=Decimal(3), comment="좋아요", grader=instructor)
    attempt.refresh_from_db()
    assert attempt.score == 4 and attempt.grade == 80 and not attempt.needs_grading
    r_model.grade_manually(score=Decimal(0), comment="모범 답안과 다릅니다", grader=instructor)
    attempt.refresh_from_db()
    assert attempt.grade == 60
    r_model.refresh_from_db()
    assert not r_model.can_self_rate()  # the grader's mark stands


def test_regrade_after_the_answer_key_changes_keeps_manual_marks(learner, instructor, signals):
    quiz = make_quiz(questions=0)
    short = make_question(quiz=quiz, qtype="short", answers=[{"text": "relu", "fraction": 1}])
    essay = make_question(quiz=quiz, qtype="essay")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answers({short.pk: (["ReLU6"], 0), essay.pk: (["논술"], 0)})
    attempt.submit()
    attempt.responses.get(question=essay).grade_manually(score=Decimal(1), comment="", grader=instructor)
    attempt.refresh_from_db()
    assert attempt.grade == 50

    short.answers.update(text="relu*")
    preview = grading.regrade_quiz(quiz=quiz, dry_run=True)
    assert (preview.attempts, preview.attempts_changed, preview.responses_changed) == (1, 1, 1)
    attempt.refresh_from_db()
    assert attempt.grade == 50  # a dry run writes nothing
    signals.clear()
    result = grading.regrade_quiz(quiz=quiz)
    assert result.attempts_changed == 1
    attempt.refresh_from_db()
    assert attempt.grade == 100
    assert signals == [(attempt.pk, "finished")]
    Question.objects.filter(pk=essay.pk).update(points=2)
    grading.regrade_quiz(quiz=quiz)
    attempt.refresh_from_db()
    assert attempt.max_score == 3 and attempt.score == 3  # the grader's full marks scale with the points


def test_question_statistics(learner, other_learner):
    quiz = make_quiz(questions=2)
    q1, q2 = quiz.questions.order_by("order")
    for user, choice in ((learner, "Right 1"), (other_learner, "Wrong 1")):
        attempt, _created = Attempt.start(quiz=quiz, user=user)
        attempt.save_answer(question_id=q1.pk, values=[str(answer_ids(q1)[choice])])
        attempt.submit()
    Attempt.start(quiz=quiz, user=make_user())  # in progress: not counted
    stats = {s.question.pk: s for s in grading.question_statistics(quiz=quiz)}
    assert stats[q1.pk].responses == 2 and stats[q1.pk].answered == 2
    assert stats[q1.pk].correct_percent == Decimal("50.0") and stats[q1.pk].average_percent == Decimal("50.0")
    assert stats[q2.pk].answered == 0 and stats[q2.pk].correct_percent == Decimal("0.0")


def test_answer_fraction_is_checked_by_the_database():
    question = make_question(quiz=make_quiz(questions=0), qtype="single")
    with pytest.raises(IntegrityError), transaction.atomic():
        question.answers.update(fraction=Decimal("1.5"))


def test_choice_answers_ignore_blanks_and_reject_garbage(learner):
    quiz = make_quiz(questions=0)
    single = make_question(quiz=quiz, qtype="single")
    multiple = make_question(quiz=quiz, qtype="multiple")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    s_ids, m_ids = answer_ids(single), answer_ids(multiple)
    right, wrong = s_ids["Right 1"], s_ids["Wrong 1"]
    assert attempt.save_answer(question_id=single.pk, values=[str(right), str(wrong), ""]).selected == [wrong]
    assert attempt.save_answer(question_id=single.pk, values=[""]).selected == []
    both = sorted(m_ids.values())
    assert attempt.save_answer(question_id=multiple.pk, values=[str(i) for i in both * 2]).selected == both
    with pytest.raises(InvalidAnswer):
        attempt.save_answer(question_id=multiple.pk, values=[str(both[0]), "1.5"])


# ---------------------------------------------------------------- a write racing the read


def _race(monkeypatch, before_write):
    """Run `before_write()` between an autosave's read and its conditional UPDATE."""
    original = Attempt._write

    def racing(self, changes, *, now):
        before_write()
        return original(self, changes, now=now)

    monkeypatch.setattr(Attempt, "_write", racing)


def _save_one(attempt, question_id, values, sequence):
    response = Response.objects.get(attempt=attempt, question_id=question_id)
    return attempt.save_response(response, values=values, sequence=sequence, qtype="short", choice_ids=set())


def test_another_tab_saving_between_read_and_write_is_refused(learner, monkeypatch):
    quiz = make_quiz(questions=2, qtype="short")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    q1, q2 = quiz.questions.order_by("order").values_list("pk", flat=True)
    _race(
        monkeypatch,
        lambda: Response.objects.filter(question_id=q1).update(text="other tab", sequence=F("sequence") + 1),
    )
    with pytest.raises(StaleAnswer):
        _save_one(attempt, q1, ["this tab"], 0)
    # Several at once: only the one written meanwhile is refused.
    report = attempt.save_answers({q1: (["again"], 1), q2: (["kept"], 0)})  # the page had 1, another tab saved 2
    assert set(report.errors) == {q1} and isinstance(report.errors[q1], StaleAnswer)
    assert dict(Response.objects.filter(attempt=attempt).values_list("question_id", "text")) == {
        q1: "other tab",
        q2: "kept",
    }
    assert report.responses[q2].sequence == 1


def test_a_submit_between_read_and_write_refuses_the_answer(learner, monkeypatch):
    quiz = make_quiz(questions=1, qtype="short")
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    qid = quiz.questions.get().pk
    _race(monkeypatch, lambda: Attempt.objects.get(pk=attempt.pk).submit())
    with pytest.raises(AttemptClosed):
        _save_one(attempt, qid, ["too late"], 0)
    assert Response.objects.get(attempt=attempt).text == ""


def test_a_deadline_passing_between_read_and_write_refuses_and_auto_submits(learner, monkeypatch):
    quiz = make_quiz(questions=1, qtype="short", time_limit=timedelta(minutes=5))
    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    qid = quiz.questions.get().pk
    past = timezone.now() - GRACE_PERIOD - timedelta(minutes=1)
    _race(monkeypatch, lambda: Attempt.objects.filter(pk=attempt.pk).update(deadline=past))
    with pytest.raises(DeadlinePassed):
        _save_one(attempt, qid, ["too late"], 0)
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.auto_submitted
    assert Response.objects.get(attempt=attempt).text == ""


def test_start_refuses_a_quiz_without_questions(learner):
    with pytest.raises(NoQuestions):
        Attempt.start(quiz=make_quiz(questions=0), user=learner)
    assert not Attempt.objects.exists()


def test_start_closes_an_overdue_attempt_and_starts_the_next(learner, signals):
    quiz = make_quiz(questions=1, time_limit=timedelta(minutes=5))
    first, _created = Attempt.start(quiz=quiz, user=learner)
    Attempt.objects.filter(pk=first.pk).update(deadline=timezone.now() - timedelta(hours=1))
    second, created = Attempt.start(quiz=quiz, user=learner)
    first.refresh_from_db()
    assert created and second.number == 2 and first.is_finished and first.auto_submitted
    assert [state for _pk, state in signals] == ["in_progress", "finished", "in_progress"]


def test_a_replayed_submit_grades_nothing_and_sends_nothing(learner, signals, django_assert_num_queries):
    attempt, _created = Attempt.start(quiz=make_quiz(questions=2), user=learner)
    assert attempt.submit()
    with django_assert_num_queries(0):
        assert not attempt.submit()
    stale = Attempt.objects.get(pk=attempt.pk)
    stale.state = Attempt.State.IN_PROGRESS  # as read before the first submit committed
    assert not stale.submit() and stale.is_finished
    assert [state for _pk, state in signals] == ["in_progress", "finished"]
