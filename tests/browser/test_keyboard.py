"""A quiz from sign-in to result with the keyboard only: Tab, Shift+Tab, Space, Enter and typing, no clicks."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.support import PASSWORD, Watch, focus_is_visible, focused, tab_to
from tests.factories import make_paper, make_question, make_quiz, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quiz(db):
    make_user(username="keyboard")
    paper = make_paper(title="Long Short-Term Memory", slug="lstm")
    quiz = make_quiz(paper=paper, questions=0, title="LSTM 퀴즈", slug="lstm-quiz")
    make_question(quiz=quiz, qtype="single", text="LSTM의 핵심 구성 요소는?")
    make_question(
        quiz=quiz,
        qtype="multiple",
        text="게이트를 모두 고르세요.",
        answers=[
            {"text": "입력 게이트", "fraction": Decimal("0.5")},
            {"text": "합성곱 게이트", "fraction": Decimal("-1")},
            {"text": "망각 게이트", "fraction": Decimal("0.5")},
        ],
    )
    make_question(quiz=quiz, qtype="truefalse", text="LSTM은 1997년에 발표되었다.")
    make_question(
        quiz=quiz, qtype="short", text="저자 중 한 명의 성은?", answers=[{"text": "Hochreiter", "fraction": 1}]
    )
    make_question(quiz=quiz, qtype="essay", text="기울기 소실을 어떻게 막는지 설명하세요.")
    return quiz


def test_quiz_with_the_keyboard_only(page, live_server, quiz, axe, screenshot):
    base = live_server.url
    watch = Watch(page)
    keyboard = page.keyboard

    # Sign in: the username field has the focus; Tab to the password; Enter submits.
    page.goto(f"{base}/accounts/login/?next={quiz.get_absolute_url()}")
    assert focused(page.locator("#id_username"))
    keyboard.type("keyboard")
    keyboard.press("Tab")
    keyboard.type(PASSWORD)
    with page.expect_navigation():
        keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("LSTM 퀴즈")

    # The first Tab reaches the skip link, which shows itself and jumps to the main content.
    keyboard.press("Tab")
    skip = page.get_by_role("link", name="본문으로 건너뛰기")
    assert focused(skip) and skip.is_visible() and focus_is_visible(page)
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # on screen, not parked at -9999px
    keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, page.get_by_role("button", name="퀴즈 시작"))
    assert focus_is_visible(page)
    with page.expect_navigation():
        keyboard.press("Enter")
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(5)

    def saved(number: int):
        expect(questions.nth(number - 1).locator(".save-status")).to_contain_text("저장됨")

    # 1. single choice: Tab into the radio group, Space picks the focused choice.
    tab_to(page, page.get_by_label("Right 1"))
    assert focus_is_visible(page)
    keyboard.press("Space")
    expect(page.get_by_label("Right 1")).to_be_checked()
    saved(1)

    # 2. multiple response: every checkbox is a Tab stop; Space toggles; one wrong tick, taken back.
    for label in ("입력 게이트", "합성곱 게이트", "망각 게이트"):
        tab_to(page, page.get_by_label(label))
        keyboard.press("Space")
    tab_to(page, page.get_by_label("합성곱 게이트"), backwards=True)
    keyboard.press("Space")
    expect(page.get_by_label("합성곱 게이트")).not_to_be_checked()
    expect(page.get_by_label("입력 게이트")).to_be_checked()
    expect(page.get_by_label("망각 게이트")).to_be_checked()
    saved(2)

    # 3. true/false.
    tab_to(page, questions.nth(2).get_by_label("참", exact=True))
    keyboard.press("Space")
    saved(3)

    # 4. short answer and 5. essay: typing (Enter in a text field must not submit the whole form).
    tab_to(page, questions.nth(3).get_by_label("답", exact=True))
    keyboard.type("Hochreiter")
    saved(4)
    tab_to(page, questions.nth(4).locator("textarea"))
    keyboard.type("셀 상태를 덧셈으로 이어 가서")
    keyboard.press("Enter")
    keyboard.type("기울기가 곱셈으로 사라지지 않습니다.")
    saved(5)
    assert "/quizzes/attempts/" in page.url and "/submit/" not in page.url
    screenshot("keyboard-quiz")
    assert axe() == [], "quiz attempt after keyboard answers"

    # Submit: "제출하기…" then the confirmation page's "제출".
    tab_to(page, page.get_by_role("button", name="제출하기…"))
    keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="모든 문항에 답했습니다.")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="제출", exact=True))
    assert focus_is_visible(page)
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("결과")

    # Every auto-graded answer counted: 1 + 1 + 1 + 1, the essay waits for the instructor.
    expect(page.locator("#attempt-summary .attempt-score")).to_contain_text("4 / 5")
    expect(page.locator("section.review-question h2 .badge-ok", has_text="정답")).to_have_count(4)
    essay = page.locator("section.review-question").nth(4)
    expect(essay.locator(".learner-answer")).to_contain_text("셀 상태를 덧셈으로 이어 가서")
    expect(essay.locator(".learner-answer")).to_contain_text("사라지지 않습니다.")
    watch.assert_clean()
