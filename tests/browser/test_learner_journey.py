"""A learner's whole journey through the bundled course, in Chromium: with htmx, then with JavaScript off.

sign up → find the Transformer paper with the live search → tick checklist steps → take its quiz
(autosave, reload, every answer kept) → submit → review with model answers → rate own answers →
glossary preview → put the paper's terms in the deck → review cards → the dashboard shows it all.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import Watch, dangling_aria_references, follow, load_bundled_content, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRANSFORMER = "Attention Is All You Need"
PASSWORD = "a-long-pass-phrase-42"  # noqa: S105 (a new test account's)
STEPS_TICKED = 3
ANSWERED_BEFORE_RELOAD = 8


def answer_text(number: int) -> str:
    return f'{number}번 답: self-attention으로 <b>병렬</b> 계산 & "따옴표" {number * 7}'


def test_learner_journey_with_htmx(page, live_server, axe, screenshot):
    load_bundled_content()
    base = live_server.url
    watch = Watch(page)

    def accessible(name: str) -> None:
        assert axe() == [], name
        assert dangling_aria_references(page) == [], name

    # Home, anonymous.
    page.goto(base + "/")
    screenshot("home")
    accessible("home")

    # Sign up; the site lands on the paper list.
    sign_up(page, base, "minji", PASSWORD)
    accessible("paper list")
    expect(page.locator("#paper-results .paper-card")).to_have_count(13)

    # Live search: results change as the learner types, and the URL follows.
    page.get_by_label("검색", exact=True).fill("transformer")
    expect(page).to_have_url(re.compile(r"[?&]q=transformer"))
    expect(page.locator("#paper-results .result-count")).to_contain_text("조건에 맞는 논문")
    expect(page.get_by_role("link", name="Backpropagation", exact=True)).to_have_count(0)
    expect(page.locator("#paper-results .paper-card").first).to_be_visible()
    assert page.locator("#paper-results .paper-card").count() < 13
    follow(page, page.get_by_role("link", name=TRANSFORMER, exact=True))

    # Paper detail: tick the first steps of the checklist (htmx swaps the checklist in place).
    expect(page.get_by_role("heading", level=1, name=TRANSFORMER)).to_be_visible()
    paper_url = page.url
    steps = page.locator("#checklist button.step-toggle")
    expect(steps).to_have_count(10)
    for index in range(STEPS_TICKED):
        steps.nth(index).click()
        expect(steps.nth(index)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#checklist .checklist-status")).to_contain_text(f"{STEPS_TICKED} / 10 단계 완료")
    assert page.url == paper_url  # no navigation: the partial was swapped
    screenshot("paper-detail")
    accessible("paper detail")

    # The quiz: 10 model-answer and 5 essay questions.
    follow(page, page.get_by_role("link", name=f"{TRANSFORMER} 퀴즈"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{TRANSFORMER} 퀴즈")
    follow(page, page.get_by_role("button", name="퀴즈 시작"))
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(15)
    attempt_url = page.url

    def answer(numbers: range) -> None:
        # Type them all, then wait: each question autosaves on its own, in parallel.
        for number in numbers:
            questions.nth(number - 1).locator("textarea").fill(answer_text(number))
        for number in numbers:
            expect(questions.nth(number - 1).locator(".save-status")).to_contain_text("저장됨")

    answer(range(1, ANSWERED_BEFORE_RELOAD + 1))

    # Reload mid-attempt: every saved answer is back, the rest are still empty.
    page.reload()
    expect(questions).to_have_count(15)
    for number in range(1, 16):
        box = questions.nth(number - 1).locator("textarea")
        expect(box).to_have_value(answer_text(number) if number <= ANSWERED_BEFORE_RELOAD else "")
    answer(range(ANSWERED_BEFORE_RELOAD + 1, 16))
    screenshot("quiz-attempt")
    accessible("quiz attempt")

    # Submit through the confirmation step.
    follow(page, page.get_by_role("button", name="제출하기…"))
    expect(page.get_by_role("status").filter(has_text="모든 문항에 답했습니다.")).to_be_visible()
    follow(page, page.get_by_role("button", name="제출", exact=True))
    assert page.url == attempt_url
    expect(page.get_by_role("heading", level=1)).to_contain_text("결과")

    # Review: the learner's own answers (escaped, not HTML), and the model answers.
    expect(page.locator(".model-answer")).to_have_count(10)
    expect(page.locator(".learner-answer").first).to_contain_text("<b>병렬</b>")
    expect(page.locator("#attempt-summary")).to_contain_text("채점 대기 중")

    # Rate every model-answer question against the model answer (htmx, in place).
    rated = page.locator("section.review-question").filter(has=page.locator(".response-rating form"))
    expect(rated).to_have_count(10)
    for index in range(10):
        section = rated.nth(index)
        label = "부분적으로 맞음" if index % 3 == 2 else "맞음"
        section.get_by_role("button", name=label, exact=True).click()
        expect(section.get_by_role("button", name=label, exact=True)).to_have_attribute("aria-pressed", "true")
        expect(section.get_by_role("status")).to_contain_text("평가를 저장했습니다")
    expect(page.locator(".badge", has_text="평가 필요")).to_have_count(0)
    expect(page.locator("section.review-question .badge", has_text="채점 대기 중")).to_have_count(5)  # the essays
    screenshot("quiz-review")
    accessible("quiz review")

    # Glossary links in the guide preview the term on hover.
    page.goto(paper_url)
    link = page.locator(".prose a.term-link").first
    link.scroll_into_view_if_needed()
    link.hover()
    tooltip = page.locator("#term-tooltip[role=tooltip]")
    expect(tooltip).to_be_visible()
    expect(tooltip).not_to_be_empty()
    assert link.get_attribute("aria-describedby") == "term-tooltip"
    assert tooltip.locator("a, script").count() == 0
    screenshot("glossary-preview-in-guide", full_page=False)

    # Put the paper's terms in the deck from the glossary (filter by paper with htmx, then a plain form).
    follow(page, page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="용어집"))
    papers = page.get_by_label("논문", exact=True)
    papers.focus()  # the dropdown's options load when it is reached for (focus, hover, touch)
    papers.select_option(label=TRANSFORMER)
    expect(page).to_have_url(re.compile(r"[?&]paper=attention-is-all-you-need"))
    page.get_by_role("button", name=f"‘{TRANSFORMER}’의 용어를 모두 복습 덱에 넣기").click()
    expect(page.locator(".messages")).to_contain_text("복습 덱에 넣었습니다")
    term_count = page.locator("#term-results dt").count()
    assert term_count >= 10
    screenshot("glossary")
    accessible("glossary")

    # And one more term from its own page (live search → term page → htmx deck button).
    page.get_by_label("논문", exact=True).select_option(value="")
    page.get_by_label("검색", exact=True).fill("역전파")
    follow(page, page.locator("#term-results").get_by_role("link", name="역전파", exact=True))
    expect(page.get_by_role("heading", level=1, name="역전파")).to_be_visible()
    page.get_by_role("button", name="복습 덱에 넣기").click()
    expect(page.locator("#deck-button")).to_contain_text("복습 덱에 있음")

    # Review session: reveal, rate; the next card comes in place.
    follow(page, page.locator("#deck-button").get_by_role("link", name="복습하기"))
    expect(page.locator("#review-card .review-counts")).to_contain_text("지금 복습할 카드")
    for _ in range(3):
        prompt = page.locator("#review-card-title").inner_text()
        page.get_by_role("button", name="정답 보기").click()
        expect(page.locator(".flashcard-answer")).to_be_visible()
        if _ == 0:
            page.mouse.move(0, 0)  # no hover preview over the card in the picture
            screenshot("review-session")
            accessible("review session")
        page.get_by_role("button", name=re.compile("알맞음")).click()
        expect(page.locator("#review-card .review-counts .badge-info")).to_contain_text("다음 복습")
        assert page.locator("#review-card-title").inner_text() != prompt or page.locator(".flashcard-done").count()

    # The dashboard shows all of it.
    page.get_by_role("link", name="내 학습").click()
    expect(page.get_by_role("heading", level=1, name="내 학습")).to_be_visible()
    row = page.locator("tr[data-paper='attention-is-all-you-need']")
    expect(row.locator(".steps")).to_have_text(f"{STEPS_TICKED}/10")
    expect(row.locator(".grade")).to_contain_text("채점 대기")
    expect(row.locator(".deck")).to_have_text(re.compile(rf"^{term_count}/\d+$"))
    activity = page.locator("#recent-activity")
    expect(activity).to_contain_text(TRANSFORMER)
    expect(page.locator("#next-steps")).to_contain_text("복습할 카드")
    screenshot("dashboard")
    accessible("dashboard")

    # The paper list now shows the reading progress; its first screen is the README's picture (docs/screenshot.png).
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="논문", exact=True).click()
    card = page.locator(".paper-card", has=page.get_by_role("link", name=TRANSFORMER, exact=True))
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", str(STEPS_TICKED))
    expect(card.locator(".paper-progress")).to_contain_text("읽는 중")
    screenshot("paper-list-full")
    page.set_viewport_size({"width": 1280, "height": 1000})
    screenshot("paper-list", full_page=False)
    watch.assert_clean()


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_learner_journey_without_javascript(page, live_server, screenshot):
    """The same journey through plain forms and links: every htmx control has a real action."""
    load_bundled_content()
    base = live_server.url
    watch = Watch(page)

    sign_up(page, base, "jisoo", PASSWORD)
    assert page.evaluate("typeof window.htmx") == "undefined"  # really no JavaScript

    # Search with the form's own button.
    page.get_by_label("검색", exact=True).fill("transformer")
    page.get_by_role("button", name="찾기").click()
    expect(page).to_have_url(re.compile(r"[?&]q=transformer"))
    expect(page.locator("#paper-results .result-count")).to_contain_text("조건에 맞는 논문")
    expect(page.get_by_role("link", name="Backpropagation", exact=True)).to_have_count(0)
    page.get_by_role("link", name=TRANSFORMER, exact=True).click()

    # Checklist: each tick is a POST that redirects back to the checklist.
    expect(page.get_by_role("heading", level=1, name=TRANSFORMER)).to_be_visible()
    paper_url = page.url
    steps = page.locator("#checklist button.step-toggle")
    for index in range(STEPS_TICKED):
        steps.nth(index).click()
        page.wait_for_url(re.compile(r"#checklist$"))
        expect(steps.nth(index)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#checklist .checklist-status")).to_contain_text(f"{STEPS_TICKED} / 10 단계 완료")
    steps.nth(0).click()  # and unticking works the same way
    expect(steps.nth(0)).to_have_attribute("aria-pressed", "false")
    steps.nth(0).click()
    expect(steps.nth(0)).to_have_attribute("aria-pressed", "true")

    # Quiz: answers saved with "모든 답 저장", kept across a reload.
    page.get_by_role("link", name=f"{TRANSFORMER} 퀴즈").click()
    page.get_by_role("button", name="퀴즈 시작").click()
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(15)
    attempt_url = page.url
    for number in range(1, ANSWERED_BEFORE_RELOAD + 1):
        questions.nth(number - 1).locator("textarea").fill(answer_text(number))
    page.get_by_role("button", name="모든 답 저장").click()
    expect(page.locator(".messages")).to_contain_text("답을 저장했습니다.")
    page.goto(attempt_url)
    for number in range(1, 16):
        expected = answer_text(number) if number <= ANSWERED_BEFORE_RELOAD else ""
        expect(questions.nth(number - 1).locator("textarea")).to_have_value(expected)
    expect(questions.nth(0).locator(".save-status")).to_contain_text("저장됨")
    for number in range(ANSWERED_BEFORE_RELOAD + 1, 16):
        questions.nth(number - 1).locator("textarea").fill(answer_text(number))
    page.get_by_role("button", name="제출하기…").click()  # saves, then asks for confirmation
    expect(page.get_by_role("status").filter(has_text="모든 문항에 답했습니다.")).to_be_visible()
    page.get_by_role("button", name="제출", exact=True).click()
    page.wait_for_url(attempt_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("결과")
    expect(page.locator(".model-answer")).to_have_count(10)
    expect(page.locator(".learner-answer").nth(14)).to_contain_text(answer_text(15))

    # Self-rating with plain form posts.
    rated = page.locator("section.review-question").filter(has=page.locator(".response-rating form"))
    expect(rated).to_have_count(10)
    for index in range(10):
        rated.nth(index).get_by_role("button", name="맞음", exact=True).click()
        expect(rated.nth(index).get_by_role("button", name="맞음", exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
    expect(page.locator(".badge", has_text="평가 필요")).to_have_count(0)
    expect(page.locator("#attempt-summary")).to_contain_text("10 / 15")
    screenshot("nojs-quiz-review")

    # A glossary link in the guide is a plain link to the term page; add the term from there.
    page.goto(paper_url)
    link = page.locator(".prose a.term-link").first
    term_name = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name="복습 덱에 넣기").click()
    expect(page.locator(".messages")).to_contain_text("복습 덱에 넣었습니다")
    expect(page.locator("#deck-button")).to_contain_text("복습 덱에 있음")

    # The whole paper's terms, from the glossary's list of papers.
    # (The dropdown's options load with htmx: without it, the list of papers is a page of links.)
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="용어집").click()
    page.get_by_role("link", name="용어가 있는 논문 모두 보기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("논문별 용어")
    page.get_by_role("link", name=TRANSFORMER, exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]paper=attention-is-all-you-need"))
    expect(page.get_by_label("논문", exact=True)).to_have_value("attention-is-all-you-need")
    page.get_by_role("button", name=f"‘{TRANSFORMER}’의 용어를 모두 복습 덱에 넣기").click()
    expect(page.locator(".messages")).to_contain_text("복습 덱에 넣었습니다")
    expect(page.locator("#term-results")).to_contain_text(term_name)

    # Review: "정답 보기" is a link to the revealed card, each rating a form.
    page.get_by_role("link", name="플래시카드 복습하기 →").click()
    for _ in range(2):
        page.get_by_role("button", name="정답 보기").click()
        expect(page.locator(".flashcard-answer")).to_be_visible()
        page.get_by_role("button", name=re.compile("알맞음")).click()
        expect(page.locator(".messages")).to_contain_text("다음 복습")

    # Dashboard.
    page.get_by_role("link", name="내 학습").click()
    row = page.locator("tr[data-paper='attention-is-all-you-need']")
    expect(row.locator(".steps")).to_have_text(f"{STEPS_TICKED}/10")
    expect(row.locator(".grade")).to_contain_text("채점 대기")
    expect(page.locator("#recent-activity")).to_contain_text("플래시카드")
    screenshot("nojs-dashboard")
    watch.assert_clean()
