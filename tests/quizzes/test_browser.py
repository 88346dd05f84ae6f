"""Taking a quiz in a real browser: autosave, resume, the timer, self-rating (what only a browser shows)."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from quizzes.models import Attempt, Response
from tests.browser.conftest import HAVE_CHROMIUM
from tests.factories import make_question, make_quiz, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium: apt-get install chromium chromium-driver"),
]


def watch_console(page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def start_quiz(page, live_server, quiz):
    page.goto(f"{live_server.url}{quiz.get_absolute_url()}")
    page.get_by_role("button", name="퀴즈 시작").click()
    page.wait_for_load_state("networkidle")
    return Attempt.objects.get(quiz=quiz)


def test_answers_autosave_and_survive_a_reload(page, live_server, login, axe, screenshot):
    make_user(username="reader")
    quiz = make_quiz(questions=0, title="역전파 퀴즈")
    single = make_question(quiz=quiz, qtype="single", text="맞는 것은?")
    short = make_question(quiz=quiz, qtype="short", text="이름은?")
    essay = make_question(quiz=quiz, qtype="essay", text="설명하시오.")
    errors = watch_console(page)
    login("reader")
    attempt = start_quiz(page, live_server, quiz)

    page.get_by_label("Right 1").check()
    page.locator(f"#save-status-{single.pk}").get_by_text("저장됨").wait_for()
    page.locator(f"#q-{short.pk}-input").fill("역전파")
    page.locator(f"#save-status-{short.pk}").get_by_text("저장됨").wait_for()
    page.locator(f"#q-{essay.pk}-input").fill("오차를 뒤로 보냅니다.")
    page.locator(f"#save-status-{essay.pk}").get_by_text("저장됨").wait_for()
    page.locator(f"#q-{short.pk}-input").fill("역전파 알고리즘")  # a second save carries the new sequence
    expect(page.locator(f"[name=seq-{short.pk}]")).to_have_value("2")
    assert page.locator(f"#save-status-{short.pk} .save-error").count() == 0
    screenshot("quiz-take")
    assert axe() == []

    page.reload()
    assert page.get_by_label("Right 1").is_checked()
    assert page.locator(f"#q-{short.pk}-input").input_value() == "역전파 알고리즘"
    assert page.locator(f"#q-{essay.pk}-input").input_value() == "오차를 뒤로 보냅니다."
    assert Response.objects.get(attempt=attempt, question=short).text == "역전파 알고리즘"

    # Another tab saved this question since: the refusal is shown, the typed text stays.
    Response.objects.filter(attempt=attempt, question=short).update(sequence=F("sequence") + 5, text="다른 탭")
    page.locator(f"#q-{short.pk}-input").fill("이 탭의 답")
    page.locator(f"#save-status-{short.pk} .save-error").get_by_text("다른 창이나 탭에서").wait_for()
    assert page.locator(f"#q-{short.pk}-input").input_value() == "이 탭의 답"

    page.get_by_role("button", name="제출하기…").click()
    page.get_by_role("button", name="제출", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "결과" in page.locator("h1").inner_text()
    screenshot("quiz-review")
    assert axe() == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_timer_submits_when_time_is_up(page, live_server, login):
    make_user(username="timed")
    quiz = make_quiz(questions=1, qtype="short", time_limit=timedelta(minutes=30))
    login("timed")
    attempt = start_quiz(page, live_server, quiz)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    page.reload()
    assert page.locator(".timer-countdown").is_visible()
    page.locator("input[type=text]").fill("answer 1")
    page.wait_for_url(f"**/quizzes/attempts/{attempt.pk}/", timeout=15000)
    page.get_by_text("결과").first.wait_for(timeout=15000)
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.score == 1


def test_self_rating_updates_the_summary(page, live_server, login, screenshot):
    make_user(username="rater")
    quiz = make_quiz(questions=1, qtype="model")
    login("rater")
    attempt = start_quiz(page, live_server, quiz)
    page.locator("textarea").fill("내 답")
    page.locator(".save-status .saved").wait_for()
    page.get_by_role("button", name="제출하기…").click()
    page.get_by_role("button", name="제출", exact=True).click()
    page.get_by_text("Model answer 1").wait_for()
    page.get_by_role("button", name="맞음", exact=True).click()
    page.locator("#attempt-summary").get_by_text("100%").wait_for()
    assert page.get_by_role("button", name="맞음", exact=True).get_attribute("aria-pressed") == "true"
    screenshot("quiz-self-rating")
    attempt.refresh_from_db()
    assert attempt.grade == 100


def test_quiz_history_and_instructor_pages_are_accessible(page, live_server, login, axe, screenshot):
    from decimal import Decimal

    from tests.factories import make_instructor

    learner = make_user(username="history")
    make_instructor(username="grader")
    quiz = make_quiz(questions=0, title="Transformer 퀴즈", instructions="논문 **3장**을 읽고 푸세요.")
    make_question(quiz=quiz, qtype="model", text="Self-attention이란?")
    essay = make_question(quiz=quiz, qtype="essay", text="RNN과 비교하시오.", points=Decimal(2))
    attempt, _ = Attempt.start(quiz=quiz, user=learner)
    attempt.save_answers({q.pk: (["답입니다"], 0) for q in quiz.questions.all()})
    attempt.submit()

    login("history")
    page.goto(f"{live_server.url}{quiz.get_absolute_url()}")
    page.get_by_text("채점 대기 중").first.wait_for()
    screenshot("quiz-detail-history")
    assert axe() == []

    page.context.clear_cookies()
    login("grader")
    for name, path in (
        ("quiz-grading-queue", "/quizzes/grading/"),
        ("quiz-grade-form", f"/quizzes/grading/responses/{attempt.responses.get(question=essay).pk}/"),
        ("quiz-stats", f"/quizzes/{quiz.slug}/stats/"),
    ):
        page.goto(live_server.url + path)
        screenshot(name)
        assert axe() == [], name
    page.goto(f"{live_server.url}/quizzes/grading/responses/{attempt.responses.get(question=essay).pk}/")
    page.get_by_label("점수", exact=True).fill("1.5")
    page.get_by_label("코멘트", exact=True).fill("비교가 좋습니다.")
    page.get_by_role("button", name="채점 저장").click()
    page.get_by_text("채점했습니다").wait_for()
    attempt.refresh_from_db()
    assert attempt.responses.get(question=essay).score == Decimal("1.5")
