import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from papers.models import Paper
from quizzes.models import Attempt, Quiz, Response
from tests.factories import make_paper, make_question, make_quiz, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MARKER = "SECRETKEY"  # marker put into every part of the answer key


def detail_url(attempt):
    return reverse("quizzes:attempt_detail", args=[attempt.pk])


def autosave_url(attempt, question):
    return reverse("quizzes:attempt_autosave", args=[attempt.pk, question.pk])


def answer_ids(question):
    return {a.text: a.pk for a in question.answers.all()}


def keyed_quiz(**fields):
    """One question of every type, with the marker in every answer-key field."""
    quiz = make_quiz(questions=0, **fields)
    common = {"general_feedback": f"general {MARKER}"}
    make_question(
        quiz=quiz,
        qtype="single",
        answers=[
            {"text": "alpha", "fraction": 1, "feedback": f"fb-right {MARKER}"},
            {"text": "beta", "fraction": 0, "feedback": f"fb-wrong {MARKER}"},
        ],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="multiple",
        answers=[
            {"text": "gamma", "fraction": "0.5", "feedback": f"fb {MARKER}"},
            {"text": "delta", "fraction": "0.5"},
            {"text": "eps", "fraction": -1},
        ],
        **common,
    )
    make_question(quiz=quiz, qtype="truefalse", **common)
    make_question(
        quiz=quiz,
        qtype="short",
        answers=[{"text": f"{MARKER}ANSWER", "fraction": 1, "feedback": f"fb {MARKER}"}],
        **common,
    )
    make_question(
        quiz=quiz,
        qtype="numerical",
        answers=[{"value": "31415.9", "tolerance": "0.1", "fraction": 1, "feedback": f"fb {MARKER}"}],
        **common,
    )
    make_question(quiz=quiz, qtype="model", model_answer=f"model {MARKER}", **common)
    make_question(quiz=quiz, qtype="essay", model_answer=f"essay model {MARKER}", **common)
    return quiz


def start(client, quiz):
    response = client.post(reverse("quizzes:attempt_start", args=[quiz.slug]))
    assert response.status_code == 302
    return Attempt.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


# ---------------------------------------------------------------- quiz page


def test_anonymous_sees_the_intro_and_a_sign_in_link(client):
    quiz = make_quiz(instructions="**읽고** 답하세요.")
    response = client.get(quiz.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>읽고</strong>" in html and reverse("login") in html
    assert reverse("quizzes:attempt_start", args=[quiz.slug]) not in html
    assert client.post(reverse("quizzes:attempt_start", args=[quiz.slug])).status_code == 302  # to sign in
    assert not Attempt.objects.exists()


def test_unpublished_quizzes_are_hidden_from_learners(learner_client, instructor):
    quiz = make_quiz(is_published=False)
    assert learner_client.get(quiz.get_absolute_url()).status_code == 404
    assert learner_client.post(reverse("quizzes:attempt_start", args=[quiz.slug])).status_code == 404
    draft_paper_quiz = make_quiz(paper=make_paper(status="draft"))
    assert learner_client.get(draft_paper_quiz.get_absolute_url()).status_code == 404
    learner_client.force_login(instructor)
    assert learner_client.get(quiz.get_absolute_url()).status_code == 200


def test_history_shows_the_grade_by_the_grading_method(learner_client, learner):
    quiz = make_quiz(questions=2, grading_method="first", pass_mark=Decimal(50))
    for right in (0, 2):
        attempt, _ = Attempt.start(quiz=quiz, user=learner)
        for question in quiz.questions.order_by("order")[:right]:
            attempt.save_answer(question_id=question.pk, values=[str(answer_ids(question)[f"Right {question.order}"])])
        attempt.submit()
    html = learner_client.get(quiz.get_absolute_url()).content.decode()
    assert "0%" in html and "통과 못 함" in html  # the first attempt counts
    quiz.grading_method = "highest"
    quiz.save()
    html = learner_client.get(quiz.get_absolute_url()).content.decode()
    assert "<strong>100%</strong>" in html and "badge-ok" in html


def test_the_quiz_page_with_a_history_is_one_query(learner_client, learner, django_assert_num_queries):
    quiz = make_quiz(questions=3, attempts_allowed=5)
    for _ in range(2):
        attempt, _created = Attempt.start(quiz=quiz, user=learner)
        attempt.submit()
    Attempt.start(quiz=quiz, user=learner)
    learner_client.get("/")  # the signed-in user is cached now
    with django_assert_num_queries(1):  # the quiz, its paper, its question count and the learner's attempts
        html = learner_client.get(quiz.get_absolute_url()).content.decode()
    assert "문항 3개" in html and "진행 중인 시도 이어 하기" in html
    assert html.count("결과 보기") == 2


def test_start_and_continue(learner_client):
    quiz = make_quiz(questions=2)
    attempt = start(learner_client, quiz)
    assert attempt.is_in_progress
    response = learner_client.post(reverse("quizzes:attempt_start", args=[quiz.slug]), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(attempt)
    assert "이어서" in response.content.decode()
    assert Attempt.objects.count() == 1
    assert "진행 중인 시도 이어 하기" in learner_client.get(quiz.get_absolute_url()).content.decode()


def test_no_attempts_left_is_a_message_not_an_error(learner_client, learner):
    quiz = make_quiz(questions=1, attempts_allowed=1)
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    attempt.submit()
    response = learner_client.post(reverse("quizzes:attempt_start", args=[quiz.slug]), follow=True)
    assert "허용된 시도 횟수를 모두 사용했습니다" in response.content.decode()
    assert Attempt.objects.count() == 1


def test_quiz_without_questions_cannot_be_started(learner_client):
    quiz = make_quiz(questions=0)
    response = learner_client.post(reverse("quizzes:attempt_start", args=[quiz.slug]), follow=True)
    assert "아직 문항이 없는" in response.content.decode() and not Attempt.objects.exists()


# ---------------------------------------------------------------- taking


def test_take_page_has_a_working_form_and_no_answer_keys(learner_client):
    quiz = keyed_quiz()
    attempt = start(learner_client, quiz)
    response = learner_client.get(detail_url(attempt))
    html = response.content.decode()
    assert response.status_code == 200
    assert MARKER not in html and "31415" not in html
    assert f'action="{reverse("quizzes:attempt_save", args=[attempt.pk])}"' in html
    assert html.count('hx-post="/quizzes/attempts/') == 7
    assert 'hx-sync="this:queue last"' in html and 'aria-live="polite"' in html
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<textarea" in html
    assert 'inputmode="decimal"' in html
    for question in quiz.questions.all():
        assert f'name="seq-{question.pk}" value="0"' in html
    assert "<script>" not in html and "onclick" not in html and "hx-on" not in html
    assert "Vary" in response and "HX-Request" in response["Vary"]


def test_every_label_points_at_an_input(learner_client):
    attempt = start(learner_client, keyed_quiz())
    html = learner_client.get(detail_url(attempt)).content.decode()
    ids = set(re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', html))
    labels = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    visible_inputs = set(re.findall(r'<(?:input|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html))
    assert visible_inputs <= labels <= ids


def test_autosave_returns_the_saved_partial_and_resumes_after_reload(learner_client):
    quiz = keyed_quiz()
    attempt = start(learner_client, quiz)
    questions = {q.qtype: q for q in quiz.questions.all()}
    single, multiple, short = questions["single"], questions["multiple"], questions["short"]

    response = learner_client.post(
        autosave_url(attempt, single),
        {f"q-{single.pk}": answer_ids(single)["beta"], f"seq-{single.pk}": 0},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "저장됨" in html and f'name="seq-{single.pk}" value="1"' in html
    assert MARKER not in html
    assert "HX-Request" in response["Vary"]

    ids = answer_ids(multiple)
    learner_client.post(
        autosave_url(attempt, multiple),
        {f"q-{multiple.pk}": [ids["gamma"], ids["eps"]], f"seq-{multiple.pk}": 0},
        headers=HTMX,
    )
    learner_client.post(autosave_url(attempt, short), {f"q-{short.pk}": "역전파", f"seq-{short.pk}": 0}, headers=HTMX)
    essay = questions["essay"]
    learner_client.post(
        autosave_url(attempt, essay), {f"q-{essay.pk}": "줄 1\n<b>줄 2</b>", f"seq-{essay.pk}": 0}, headers=HTMX
    )

    html = learner_client.get(detail_url(attempt)).content.decode()  # a reload, a new tab, the next day
    assert re.search(rf'value="{answer_ids(single)["beta"]}" checked', html)
    assert re.search(rf'value="{ids["gamma"]}" checked', html) and re.search(rf'value="{ids["eps"]}" checked', html)
    assert not re.search(rf'value="{ids["delta"]}" checked', html)
    assert 'value="역전파"' in html
    assert "줄 1\n&lt;b&gt;줄 2&lt;/b&gt;</textarea>" in html
    assert f'name="seq-{short.pk}" value="1"' in html


def test_numerical_autosave_warns_about_a_non_number_but_keeps_it(learner_client):
    quiz = make_quiz(questions=1, qtype="numerical")
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    html = learner_client.post(
        autosave_url(attempt, question), {f"q-{question.pk}": "three", f"seq-{question.pk}": 0}, headers=HTMX
    ).content.decode()
    assert "숫자로 읽을 수 없습니다" in html
    assert Response.objects.get(attempt=attempt).text == "three"


def test_stale_autosave_is_refused_with_a_message(learner_client):
    quiz = make_quiz(questions=1, qtype="short")
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    url = autosave_url(attempt, question)
    learner_client.post(url, {f"q-{question.pk}": "tab one", f"seq-{question.pk}": 0}, headers=HTMX)
    response = learner_client.post(url, {f"q-{question.pk}": "tab two", f"seq-{question.pk}": 0}, headers=HTMX)
    assert response.status_code == 409
    assert "다른 창이나 탭에서" in response.content.decode()
    assert Response.objects.get(attempt=attempt).text == "tab one"


def test_autosave_in_the_usual_case_is_one_statement(learner_client):
    quiz = make_quiz(questions=1, qtype="short")
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    learner_client.get(detail_url(attempt))  # the take page puts the question in the cache
    with CaptureQueriesContext(connection) as queries:
        response = learner_client.post(
            autosave_url(attempt, question), {f"q-{question.pk}": "역전파", f"seq-{question.pk}": 0}, headers=HTMX
        )
    assert response.status_code == 200
    assert f'name="seq-{question.pk}" value="1"' in response.content.decode()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
    stored = Response.objects.get(attempt=attempt)
    assert (stored.text, stored.sequence) == ("역전파", 1) and stored.saved_at is not None


def test_autosave_with_the_right_number_still_refuses_another_learners_attempt(learner_client):
    quiz = make_quiz(questions=1, qtype="short")
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    intruder = Client()
    intruder.force_login(make_user())
    response = intruder.post(
        autosave_url(attempt, question), {f"q-{question.pk}": "mine now", f"seq-{question.pk}": 0}, headers=HTMX
    )
    assert response.status_code == 404
    assert Response.objects.get(attempt=attempt).text == "" and Response.objects.get(attempt=attempt).sequence == 0


@pytest.mark.parametrize("qtype", ["short", "multiple"])
def test_autosave_of_an_unchanged_answer_writes_nothing(learner_client, qtype):
    quiz = make_quiz(questions=1, qtype=qtype)
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    answer = "같은 답" if qtype == "short" else [a.pk for a in question.answers.all()][:2]
    url, data = autosave_url(attempt, question), {f"q-{question.pk}": answer, f"seq-{question.pk}": 0}
    learner_client.post(url, data, headers=HTMX)
    saved_at = Response.objects.get(attempt=attempt).saved_at
    assert saved_at is not None
    response = learner_client.post(url, data | {f"seq-{question.pk}": 1}, headers=HTMX)
    assert response.status_code == 200 and f'name="seq-{question.pk}" value="1"' in response.content.decode()
    stored = Response.objects.get(attempt=attempt)
    assert (stored.sequence, stored.saved_at) == (1, saved_at)


def test_autosave_after_the_deadline_is_refused_and_auto_submits(learner_client):
    quiz = make_quiz(questions=2, qtype="short", time_limit=timedelta(minutes=5))
    attempt = start(learner_client, quiz)
    q1, q2 = quiz.questions.order_by("order")
    learner_client.post(autosave_url(attempt, q1), {f"q-{q1.pk}": "answer 1", f"seq-{q1.pk}": 0}, headers=HTMX)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=2))

    response = learner_client.post(autosave_url(attempt, q2), {f"q-{q2.pk}": "late", f"seq-{q2.pk}": 0}, headers=HTMX)
    assert response.status_code == 409
    assert "제한 시간이 지나 답을 저장하지 않았습니다" in response.content.decode()
    assert "attemptClosed" in response["HX-Trigger"]
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.auto_submitted and attempt.score == 1
    assert Response.objects.get(attempt=attempt, question=q2).text == ""

    # Without JavaScript: the same refusal as a message on the review page.
    response = learner_client.post(
        reverse("quizzes:attempt_save", args=[attempt.pk]), {f"q-{q2.pk}": "late", f"seq-{q2.pk}": 0}, follow=True
    )
    assert "제한 시간이 지나" in response.content.decode()
    assert Response.objects.get(attempt=attempt, question=q2).text == ""


def test_opening_an_overdue_attempt_submits_it(learner_client):
    quiz = make_quiz(questions=1, time_limit=timedelta(minutes=1))
    attempt = start(learner_client, quiz)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(hours=1))
    html = learner_client.get(detail_url(attempt)).content.decode()
    assert "자동 제출" in html
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.auto_submitted


def test_timed_attempt_shows_the_deadline_and_loads_the_timer(learner_client):
    quiz = make_quiz(questions=1, time_limit=timedelta(minutes=30))
    attempt = start(learner_client, quiz)
    html = learner_client.get(detail_url(attempt)).content.decode()
    deadline = timezone.localtime(Attempt.objects.get(pk=attempt.pk).deadline).strftime("%H:%M:%S")
    assert f"마감 시각 {deadline}" in html
    assert 'data-seconds-left="' in html and 'role="timer"' in html
    assert 'id="timer-announcer" class="visually-hidden" aria-live="polite"' in html
    assert "quizzes/timer.js" in html


def test_no_javascript_save_review_and_submit(learner_client):
    quiz = make_quiz(questions=2)
    attempt = start(learner_client, quiz)
    q1, q2 = quiz.questions.order_by("order")
    save_url = reverse("quizzes:attempt_save", args=[attempt.pk])
    form = {f"q-{q1.pk}": answer_ids(q1)["Right 1"], f"seq-{q1.pk}": 0, f"seq-{q2.pk}": 0, "action": "save"}
    response = learner_client.post(save_url, form, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(attempt)
    assert "답을 저장했습니다" in response.content.decode()
    assert Response.objects.get(attempt=attempt, question=q1).selected == [answer_ids(q1)["Right 1"]]

    form.update({"action": "review", f"seq-{q1.pk}": 1})
    response = learner_client.post(save_url, form, follow=True)
    assert response.redirect_chain[-1][0] == reverse("quizzes:attempt_confirm", args=[attempt.pk])
    html = response.content.decode()
    assert "답하지 않은 문항이 1개" in html and f"#q-{q2.pk}" in html

    submit_url = reverse("quizzes:attempt_submit", args=[attempt.pk])
    response = learner_client.post(submit_url, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(attempt)
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.score == 1 and attempt.grade == 50
    # A double click or a replay: no error, graded once.
    submitted_at = attempt.submitted_at
    assert learner_client.post(submit_url).status_code == 302
    attempt.refresh_from_db()
    assert attempt.submitted_at == submitted_at
    assert learner_client.get(reverse("quizzes:attempt_confirm", args=[attempt.pk])).status_code == 302


def test_timer_finish_saves_and_submits_in_one_post(learner_client):
    quiz = make_quiz(questions=1)
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    learner_client.post(
        reverse("quizzes:attempt_save", args=[attempt.pk]),
        {f"q-{question.pk}": answer_ids(question)["Right 1"], f"seq-{question.pk}": 0, "action": "finish"},
    )
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.grade == 100


def test_bad_input_gets_a_message_and_loses_nothing_else(learner_client):
    quiz = make_quiz(questions=2, qtype="short")
    attempt = start(learner_client, quiz)
    q1, q2 = quiz.questions.order_by("order")
    response = learner_client.post(
        reverse("quizzes:attempt_save", args=[attempt.pk]),
        {f"q-{q1.pk}": "x" * 5000, f"seq-{q1.pk}": "zzz", f"q-{q2.pk}": "kept", f"seq-{q2.pk}": 0, "seq-abc": "1"},
        follow=True,
    )
    assert response.status_code == 200
    assert "1번 문항: 답이 너무 깁니다" in response.content.decode()
    assert Response.objects.get(attempt=attempt, question=q2).text == "kept"
    bad_choice = make_quiz(questions=1)
    attempt = start(learner_client, bad_choice)
    question = bad_choice.questions.get()
    response = learner_client.post(autosave_url(attempt, question), {f"q-{question.pk}": "not-an-id"}, headers=HTMX)
    assert response.status_code == 409 and "선택지를 알아볼 수 없습니다" in response.content.decode()


def test_csrf_is_required(learner):
    quiz = make_quiz(questions=1)
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    question = quiz.questions.get()
    assert client.post(autosave_url(attempt, question), {f"q-{question.pk}": "1"}).status_code == 403
    assert client.post(reverse("quizzes:attempt_submit", args=[attempt.pk])).status_code == 403


def test_get_is_not_allowed_on_actions(learner_client, learner):
    quiz = make_quiz(questions=1)
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    assert learner_client.get(reverse("quizzes:attempt_submit", args=[attempt.pk])).status_code == 405
    assert learner_client.get(reverse("quizzes:attempt_start", args=[quiz.slug])).status_code == 405


# ---------------------------------------------------------------- other people's attempts


def test_other_learners_attempts_are_404_everywhere(client, learner, other_learner, instructor):
    quiz = make_quiz(questions=1, qtype="model")
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    question = quiz.questions.get()
    attempt.save_answer(question_id=question.pk, values=["mine"])
    open_urls = [
        ("get", detail_url(attempt)),
        ("get", reverse("quizzes:attempt_confirm", args=[attempt.pk])),
        ("post", reverse("quizzes:attempt_save", args=[attempt.pk])),
        ("post", autosave_url(attempt, question)),
        ("post", reverse("quizzes:attempt_submit", args=[attempt.pk])),
    ]
    for user in (other_learner, instructor):
        client.force_login(user)
        for method, url in open_urls:
            assert getattr(client, method)(url).status_code == 404, (user, url)
    attempt.submit()
    response = attempt.responses.get()
    for user in (other_learner, instructor):
        client.force_login(user)
        assert client.get(detail_url(attempt)).status_code == 404
        rate = reverse("quizzes:response_rate", args=[attempt.pk, response.pk])
        assert client.post(rate, {"rating": "correct"}).status_code == 404
    response.refresh_from_db()
    assert response.self_rating == "" and Attempt.objects.get(pk=attempt.pk).is_finished


def test_attempt_pages_need_sign_in(client, learner):
    quiz = make_quiz(questions=1)
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    response = client.get(detail_url(attempt))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# ---------------------------------------------------------------- review


def test_review_shows_what_the_review_options_allow(learner_client, learner):
    quiz = keyed_quiz(pass_mark=Decimal(10))
    attempt = start(learner_client, quiz)
    questions = {q.qtype: q for q in quiz.questions.all()}
    single = questions["single"]
    attempt.save_answers({single.pk: ([str(answer_ids(single)["beta"])], 0), questions["short"].pk: (["wrong"], 0)})
    attempt.submit()
    html = learner_client.get(detail_url(attempt)).content.decode()
    assert "fb-wrong SECRETKEY" in html  # feedback of the chosen choice
    assert "fb-right SECRETKEY" not in html  # not chosen: not shown
    assert "general SECRETKEY" in html and "model SECRETKEY" in html and "SECRETKEYANSWER" in html
    assert "31415.9" in html and "점수" in html and "오답" in html
    assert "답하지 않음" in html and "채점 대기 중" not in html  # blank essays are simply 0, nothing waits

    quiz.review_feedback = quiz.review_model_answers = quiz.review_marks = quiz.review_correctness = False
    quiz.review_own_answers = False
    quiz.save()
    html = learner_client.get(detail_url(attempt)).content.decode()
    assert MARKER not in html and "31415" not in html and "오답" not in html and "attempt-score" not in html


def test_self_rating_with_htmx_updates_the_question_and_the_summary(learner_client):
    quiz = make_quiz(questions=1, qtype="model")
    attempt = start(learner_client, quiz)
    question = quiz.questions.get()
    learner_client.post(
        autosave_url(attempt, question), {f"q-{question.pk}": "내 답", f"seq-{question.pk}": 0}, headers=HTMX
    )
    learner_client.post(reverse("quizzes:attempt_submit", args=[attempt.pk]))
    html = learner_client.get(detail_url(attempt)).content.decode()
    assert "Model answer 1" in html and "평가 필요" in html and "채점 대기 중" in html
    response_obj = Response.objects.get(attempt=attempt)
    rate = reverse("quizzes:response_rate", args=[attempt.pk, response_obj.pk])

    response = learner_client.post(rate, {"rating": "partial"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and f'id="review-question-{response_obj.pk}"' in html
    assert "0.5 / 1점" in html and "attemptScored" in response["HX-Trigger"]
    summary = learner_client.get(detail_url(attempt), headers=HTMX)
    assert 'id="attempt-summary"' in summary.content.decode() and "<html" not in summary.content.decode()
    assert "50%" in summary.content.decode() and "HX-Request" in summary["Vary"]

    response = learner_client.post(rate, {"rating": "bogus"}, headers=HTMX)
    assert response.status_code == 409 and "평가를 골라 주세요" in response.content.decode()
    response = learner_client.post(rate, {"rating": "correct"}, follow=True)  # without JS
    assert response.redirect_chain[-1][0] == f"{detail_url(attempt)}#review-question-{response_obj.pk}"
    attempt.refresh_from_db()
    assert attempt.grade == 100 and not attempt.needs_grading


# ---------------------------------------------------------------- instructors


def test_instructor_pages_are_403_for_learners(learner_client):
    quiz = make_quiz(questions=1)
    for url in (
        reverse("quizzes:grading_queue"),
        reverse("quizzes:quiz_stats", args=[quiz.slug]),
        reverse("quizzes:quiz_export_gift", args=[quiz.slug]),
    ):
        assert learner_client.get(url).status_code == 403
    assert learner_client.post(reverse("quizzes:quiz_regrade", args=[quiz.slug])).status_code == 403


def test_grading_queue_and_grade_form(client, learner, instructor):
    quiz = make_quiz(questions=0)
    essay = make_question(quiz=quiz, qtype="essay", points=Decimal(2), model_answer="모범 논술")
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answer(question_id=essay.pk, values=["학습자의 논술 <script>x</script>"])
    attempt.submit()
    item = attempt.responses.get()
    client.force_login(instructor)
    html = client.get(reverse("quizzes:grading_queue")).content.decode()
    assert "learner" in html and reverse("quizzes:response_grade", args=[item.pk]) in html

    grade_url = reverse("quizzes:response_grade", args=[item.pk])
    html = client.get(grade_url).content.decode()
    assert "모범 논술" in html and "학습자의 논술 &lt;script&gt;" in html
    response = client.post(grade_url, {"score": "5", "comment": "너무 큼"})
    assert (
        response.status_code == 200 and "2" in response.content.decode() and 'role="alert"' in response.content.decode()
    )
    response = client.post(grade_url, {"score": "abc"})
    assert response.status_code == 200
    response = client.post(grade_url, {"score": "1.5", "comment": "근거를 더 쓰세요", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("quizzes:grading_queue")
    attempt.refresh_from_db()
    assert attempt.grade == 75 and not attempt.needs_grading
    assert "채점할 답이 없습니다" in client.get(reverse("quizzes:grading_queue")).content.decode()
    assert "learner" in client.get(reverse("quizzes:grading_queue") + "?show=graded").content.decode()

    client.force_login(learner)
    html = client.get(detail_url(attempt)).content.decode()
    assert "근거를 더 쓰세요" in html and "75%" in html


def test_stats_regrade_and_export(instructor_client, learner):
    quiz = make_quiz(questions=2, qtype="short")
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    q1 = quiz.questions.order_by("order").first()
    attempt.save_answer(question_id=q1.pk, values=["answer one"])
    attempt.submit()
    html = instructor_client.get(reverse("quizzes:quiz_stats", args=[quiz.slug])).content.decode()
    assert "제출된 시도 1개" in html and "learner" in html and "0.0%" in html

    q1.answers.update(text="answer*")
    response = instructor_client.post(reverse("quizzes:quiz_regrade", args=[quiz.slug]), {"dry_run": "1"}, follow=True)
    assert "미리 보기" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.grade == 0
    instructor_client.post(reverse("quizzes:quiz_regrade", args=[quiz.slug]))
    attempt.refresh_from_db()
    assert attempt.grade == 50

    response = instructor_client.get(reverse("quizzes:quiz_export_gift", args=[quiz.slug]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "=%100%answer*" in response.content.decode()


# ---------------------------------------------------------------- query counts


def count_queries(func) -> int:
    with CaptureQueriesContext(connection) as context:
        func()
    return len(context.captured_queries)


def quiz_of(size):
    quiz = make_quiz(questions=0)
    for i in range(size):
        make_question(
            quiz=quiz, qtype=["single", "multiple", "short", "numerical", "model", "essay", "truefalse"][i % 7]
        )
    return quiz


def measure_attempt(client, quiz, limits):
    """Queries of each step of one attempt, each also held to a ceiling."""
    attempt = start(client, quiz)
    questions = list(quiz.questions.all())
    form = {"action": "save"}
    for question in questions:
        form[f"seq-{question.pk}"] = 0
        form[f"q-{question.pk}"] = question.answers.first().pk if question.is_choice else "some text"
    first = questions[0]
    steps = {
        "take": lambda: client.get(detail_url(attempt)),  # renders the questions into the cache
        "take_again": lambda: client.get(detail_url(attempt)),  # reads them from it
        "save_all": lambda: client.post(reverse("quizzes:attempt_save", args=[attempt.pk]), form),
        "autosave": lambda: client.post(
            autosave_url(attempt, first), {f"q-{first.pk}": "", f"seq-{first.pk}": 1}, headers=HTMX
        ),
        "submit": lambda: client.post(reverse("quizzes:attempt_submit", args=[attempt.pk])),
        "review": lambda: client.get(detail_url(attempt)),
    }
    counts = {}
    for name, step in steps.items():
        with limits(name):
            counts[name] = count_queries(step)
    assert Attempt.objects.get(pk=attempt.pk).is_finished
    return counts


def test_take_and_submit_run_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    client.force_login(make_user())
    # The first take page renders the whole quiz: its question ids, header, questions and their choices.
    ceilings = {"take": 5, "take_again": 1, "save_all": 4, "autosave": 1, "submit": 12, "review": 4}

    def limits(name):
        return django_assert_max_num_queries(ceilings[name])

    small = measure_attempt(client, quiz_of(5), limits)
    large = measure_attempt(client, quiz_of(50), limits)
    assert small == large


def test_start_and_submit_are_a_fixed_set_of_hand_written_statements(client):
    """Start: the quiz with the learner's attempts, the questions, two INSERTs and the progress refresh;
    submit: the attempt with its quiz, the responses, the keys, two UPDATEs and the refresh."""
    client.force_login(make_user())
    counts = {}
    for size in (3, 30):
        quiz = quiz_of(size)
        client.get(quiz.get_absolute_url())  # the session and the user are cached from here on
        with CaptureQueriesContext(connection) as started:
            client.post(reverse("quizzes:attempt_start", args=[quiz.slug]))
        attempt = Attempt.objects.get(quiz=quiz)
        with CaptureQueriesContext(connection) as submitted:
            client.post(reverse("quizzes:attempt_submit", args=[attempt.pk]))
        kinds = [[q["sql"].split()[0] for q in c.captured_queries] for c in (started, submitted)]
        counts[size] = [len(k) for k in kinds]
        # The reads before the transaction, then only writes and savepoints (the refresh reads once).
        assert kinds[0][:2] == ["SELECT", "SELECT"] and kinds[1][:3] == ["SELECT"] * 3
        assert kinds[0].count("INSERT") == 4 and kinds[1].count("UPDATE") == 3
        assert attempt.responses.count() == size and Attempt.objects.get(pk=attempt.pk).is_finished
    assert counts[3] == counts[30] == [11, 12]  # SAVEPOINTs stand for BEGIN and COMMIT in a test transaction


def test_a_started_attempt_is_stored_as_the_orm_would_store_it(client, learner):
    client.force_login(learner)
    quiz = quiz_of(4)
    before = timezone.now()
    attempt = start(client, quiz)
    assert attempt.user == learner and attempt.number == 1 and attempt.is_in_progress
    assert before <= attempt.started_at <= timezone.now() and attempt.deadline is None  # auto_now_add, no limit
    assert sorted(attempt.question_order) == sorted(quiz.questions.values_list("pk", flat=True))
    assert attempt.max_score == sum(q.points for q in quiz.questions.all())
    blank = Response()
    fields = [f.attname for f in Response._meta.concrete_fields if f.attname not in ("id", "attempt_id", "question_id")]
    for response in attempt.responses.all():
        assert [getattr(response, name) for name in fields] == [getattr(blank, name) for name in fields]


# ---------------------------------------------------------------- the seed quizzes


def take_seed_quiz(client, quiz, learner, instructor):
    """A learner answers everything, submits, rates the model answers; an instructor grades the essays."""
    client.force_login(learner)
    attempt = start(client, quiz)
    questions = list(quiz.questions.order_by("order"))
    for question in questions:
        response = client.post(
            autosave_url(attempt, question),
            {f"q-{question.pk}": f"내 답 {question.order}", f"seq-{question.pk}": 0},
            headers=HTMX,
        )
        assert response.status_code == 200
    client.post(reverse("quizzes:attempt_submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.needs_grading
    html = client.get(quiz.get_absolute_url()).content.decode()
    assert "채점 대기 중" in html and "통과 못 함" not in html
    review = client.get(detail_url(attempt)).content.decode()
    assert "평가 필요" in review

    ratings = ["correct"] * 8 + ["partial", "missed"]
    model_responses = attempt.responses.filter(question__qtype="model").order_by("question__order")
    for response_obj, rating in zip(model_responses, ratings, strict=True):
        client.post(reverse("quizzes:response_rate", args=[attempt.pk, response_obj.pk]), {"rating": rating})
    attempt.refresh_from_db()
    assert attempt.needs_grading  # the essays still wait for the instructor

    client.force_login(instructor)
    pending = list(attempt.responses.filter(score__isnull=True))
    assert len(pending) == 5 and all(r.question.qtype == "essay" for r in pending)
    queue = client.get(reverse("quizzes:grading_queue") + f"?quiz={quiz.slug}").content.decode()
    assert all(reverse("quizzes:response_grade", args=[r.pk]) in queue for r in pending)
    for response_obj in pending:
        grade_page = client.get(reverse("quizzes:response_grade", args=[response_obj.pk])).content.decode()
        assert f"내 답 {response_obj.question.order}" in grade_page
        client.post(reverse("quizzes:response_grade", args=[response_obj.pk]), {"score": "1", "comment": "좋습니다"})
    attempt.refresh_from_db()
    points = sum(q.points for q in questions)
    expected = Decimal("8.5") / 10 * sum(q.points for q in questions[:10]) + sum(q.points for q in questions[10:])
    assert not attempt.needs_grading and attempt.score == expected and attempt.max_score == points

    client.force_login(learner)
    html = client.get(quiz.get_absolute_url()).content.decode()
    assert f"{attempt.grade.normalize():f}%" in html and "badge-ok" in html
    review = client.get(detail_url(attempt)).content.decode()
    assert "좋습니다" in review and "통과" in review
    return attempt


def test_seed_shaped_quiz_end_to_end(client, learner, instructor):
    """One quiz per paper (slug = the paper's slug): 10 model-answer questions, then 5 essays."""
    paper = make_paper(title="Backpropagation", slug="backpropagation")
    quiz = make_quiz(paper=paper, slug=paper.slug, questions=0, title="Backpropagation 퀴즈")
    for i in range(1, 11):
        make_question(quiz=quiz, qtype="model", text=f"{i}.역전파 질문 $$\\epsilon$$?", model_answer=f"모범 답안 {i}")
    for i in range(11, 16):
        make_question(quiz=quiz, qtype="essay", text=f"논술 질문 {i}")
    attempt = take_seed_quiz(client, quiz, learner, instructor)
    assert attempt.grade == Decimal("90.00")
    assert "모범 답안 1" in client.get(detail_url(attempt)).content.decode()


def test_bundled_seed_quizzes_end_to_end(client, learner, instructor):
    """The lesson importer's own output for the seed: Backprop and Transformer, taken and graded."""
    if "import_lesson" not in get_commands():
        pytest.skip("the lesson importer (lessons app) is not available")
    seed = settings.BASE_DIR / "lessons" / "content" / "00-ai-research-papers.md"
    call_command("import_lesson", str(seed), stdout=io.StringIO())
    for title in ("Backpropagation", "Attention Is All You Need"):
        paper = Paper.objects.get(title__startswith=title)
        quiz = Quiz.objects.get(paper=paper)
        assert quiz.slug == paper.slug
        assert list(quiz.questions.order_by("order").values_list("qtype", flat=True)) == ["model"] * 10 + ["essay"] * 5
        assert all(q.model_answer_html for q in quiz.questions.filter(qtype="model"))
        take_seed_quiz(client, quiz, learner, instructor)


def test_list_and_detail_pages_do_not_grow_in_queries(client, instructor, django_assert_max_num_queries):
    """Quiz page (history), grading queue and statistics at two data sizes."""

    def build(learners):
        quiz = make_quiz(questions=0)
        make_question(quiz=quiz, qtype="essay")
        make_question(quiz=quiz, qtype="single")
        users = [make_user() for _ in range(learners)]
        for user in users:
            for _ in range(2):
                attempt, _ = Attempt.start(quiz=quiz, user=user)
                attempt.save_answers({q.pk: (["답"] if q.qtype == "essay" else [], 0) for q in quiz.questions.all()})
                attempt.submit()
        return quiz, users[0]

    counts = []
    for learners in (1, 6):
        quiz, learner = build(learners)
        client.force_login(learner)
        with django_assert_max_num_queries(10):
            detail = count_queries(lambda quiz=quiz: client.get(quiz.get_absolute_url()))
        client.force_login(instructor)
        with django_assert_max_num_queries(12):
            queue = count_queries(lambda: client.get(reverse("quizzes:grading_queue")))
        with django_assert_max_num_queries(12):
            stats = count_queries(lambda quiz=quiz: client.get(reverse("quizzes:quiz_stats", args=[quiz.slug])))
        counts.append((detail, queue, stats))
    assert counts[0] == counts[1]
