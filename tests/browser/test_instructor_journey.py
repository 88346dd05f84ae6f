"""An instructor authors a paper and its quiz in the admin, a learner takes it, the instructor grades it.

sign in → admin: a paper with a Markdown guide (live preview, sanitized) → a quiz with several question
types → a GIFT file imported → the learner answers → the essay graded in the grading queue → the learner
sees the grade and the comment. Once with JavaScript (select2, markdownx preview, htmx), once without.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import Watch, follow, sign_in
from tests.factories import make_category, make_instructor, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Sequence to Sequence Learning with Neural Networks"
SLUG = "sequence-to-sequence-learning-with-neural-networks"
QUIZ = "Seq2Seq 확인 퀴즈"
GUIDE = """## 한눈에 보기

LSTM 두 개로 **인코더-디코더**를 만든 논문입니다.

- 입력 문장을 *거꾸로* 넣습니다.
- 빔 서치로 번역합니다.

<script>alert("guide")</script><img src="x" onerror="alert('img')">
[위험한 링크](javascript:alert('link'))
"""
GIFT = r"""// 가져오기로 더하는 문항
::참거짓::Seq2Seq 논문은 입력 문장을 거꾸로 넣었다.{T}

::복수 선택::이 논문의 구성 요소를 모두 고르세요. {
  ~%50%LSTM 인코더
  ~%50%LSTM 디코더
  ~%-100%Self-attention
}

::수치::깊은 LSTM의 층 수는? {#4}

::주입 시도::[html]<img src=x onerror=alert('gift')>문장을 <b>거꾸로</b> 넣으면?{=좋아진다}

// qtype: model
// model_answer: 가까운 단어 사이의 의존성이 짧아져 최적화가 쉬워집니다.
::모범 답안::입력을 뒤집으면 왜 도움이 되나요?{}
"""
ESSAY = "인코더가 문장 전체를 고정 길이 벡터 하나로 요약합니다.\n그래서 긴 문장에서 정보가 줄어듭니다."
COMMENT = "고정 길이 벡터의 한계를 잘 짚었습니다."


@pytest.fixture
def people(db):
    make_category(name_ko="자연어 처리", name_en="NLP", slug="nlp")
    return make_instructor(username="teacher"), make_user(username="haneul")


@pytest.fixture
def gift_file(tmp_path):
    path = tmp_path / "seq2seq.gift.txt"
    path.write_text(GIFT, encoding="utf-8")
    return path


def pick_autocomplete(page, field: str, search: str, option: str) -> None:
    """Choose in one of the admin's select2 autocomplete fields, as a person does."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option).click()
    expect(page.locator(f"#id_{field} option:checked")).to_have_text(option)


def admin_save(page, name: str = "_save") -> None:
    page.locator(f"input[name={name}]").first.click()
    expect(page.locator(".messagelist .success, .messagelist .info").first).to_be_visible()


def add_question(page, quiz_change_url: str, *, order: int, qtype: str, text: str, points: str = "1", answers=()):
    page.goto(quiz_change_url)
    page.locator(".field-tools").get_by_role("link", name="문항 추가").click()
    page.locator("#id_order").fill(str(order))
    page.locator("#id_qtype").select_option(qtype)
    page.locator("#id_text").fill(text)
    page.locator("#id_points").fill(points)
    for index, (answer, fraction) in enumerate(answers):
        page.locator("#answers-group .add-row a").click()  # "Answer 더 추가": a new inline row (JavaScript)
        page.locator(f"#id_answers-{index}-order").fill(str(index))
        page.locator(f"#id_answers-{index}-text").fill(answer)
        page.locator(f"#id_answers-{index}-fraction").fill(fraction)
    admin_save(page)


def import_gift(page, quiz_change_url: str, gift_file) -> None:
    page.goto(quiz_change_url)
    page.locator(".field-tools").get_by_role("link", name="GIFT 가져오기").click()
    page.get_by_label("GIFT 파일").set_input_files(str(gift_file))
    page.get_by_role("button", name="가져오기").click()
    expect(page.locator(".messagelist")).to_contain_text("문항 5개를 가져왔습니다.")
    page.wait_for_url(re.compile(re.escape(quiz_change_url)))


def learner_takes_the_quiz(page, base: str, *, js: bool) -> str:
    """The learner finds the new paper, answers most questions, submits; returns the review URL."""
    page.goto(base + "/papers/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator(".prose h2")).to_have_text("한눈에 보기")
    page.get_by_role("link", name=QUIZ).click()
    follow(page, page.get_by_role("button", name="퀴즈 시작"))
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(8)

    def question(text: str):
        return questions.filter(has_text=text)

    question("인코더 층 수").get_by_label("4", exact=True).check()
    question("한계를 설명").locator("textarea").fill(ESSAY)
    question("모델 이름").get_by_label("답", exact=True).fill("seq2seq")
    question("거꾸로 넣었다").get_by_label("참", exact=True).check()
    question("모두 고르세요").get_by_label("LSTM 인코더").check()
    question("모두 고르세요").get_by_label("LSTM 디코더").check()
    question("깊은 LSTM의 층 수는").get_by_label("답", exact=True).fill("4")
    question("왜 도움이").locator("textarea").fill("단어 사이 거리가 짧아집니다.")
    if js:
        for index in range(8):
            if index != 6:  # the injection question is left unanswered
                expect(questions.nth(index).locator(".save-status")).to_contain_text("저장됨")
    page.get_by_role("button", name="제출하기…").click()
    expect(page.get_by_role("status")).to_contain_text("답하지 않은 문항이 1개 있습니다.")
    follow(page, page.get_by_role("button", name="제출", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("결과")
    review_url = page.url
    # The model answer is there now; rate the model-answer question.
    model = page.locator("section.review-question", has_text="왜 도움이")
    expect(model.locator(".model-answer")).to_contain_text("최적화가 쉬워집니다")
    model.get_by_role("button", name="맞음", exact=True).click()
    expect(model.get_by_role("button", name="맞음", exact=True)).to_have_attribute("aria-pressed", "true")
    essay = page.locator("section.review-question", has_text="한계를 설명")
    expect(essay.locator(".badge")).to_have_text("채점 대기 중")
    return review_url


def grade_the_essay(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="채점").click()
    expect(page.get_by_role("heading", level=1, name="채점 대기열")).to_be_visible()
    row = page.locator("tbody tr", has_text="haneul").filter(has_text="한계를 설명")
    expect(row).to_have_count(1)
    row.get_by_role("link", name="채점하기").click()
    expect(page.locator(".learner-answer")).to_contain_text("고정 길이 벡터 하나로")
    page.get_by_label("점수", exact=True).fill("1.5")
    page.get_by_label("코멘트", exact=True).fill(COMMENT)
    page.get_by_role("button", name="채점 저장").click()
    expect(page.locator(".messages")).to_contain_text("haneul 님의")
    expect(page.get_by_role("heading", level=1, name="채점 대기열")).to_be_visible()
    expect(page.locator("tbody tr", has_text="haneul").filter(has_text="한계를 설명")).to_have_count(0)


def learner_sees_the_grade(page, review_url: str) -> None:
    page.goto(review_url)
    essay = page.locator("section.review-question", has_text="한계를 설명")
    expect(essay.get_by_role("heading", level=2)).to_contain_text("1.5 / 2점")
    expect(essay.locator(".grader-comment")).to_contain_text(COMMENT)
    expect(page.locator("#attempt-summary")).not_to_contain_text("채점 대기 중")
    # single 1 + essay 1.5 + short 1 ("seq2seq": not case sensitive) + T/F 1 + multiple 1 + numerical 1
    # + unanswered 0 + model 1 (rated "맞음"), of 9 points
    expect(page.locator("#attempt-summary .attempt-score")).to_contain_text("7.5 / 9")


def test_instructor_journey_with_javascript(page, new_context, live_server, people, gift_file, axe, screenshot):
    base = live_server.url
    watch = Watch(page)
    sign_in(page, base, "teacher")

    # A paper, with the Markdown editor's live preview: rendered, and sanitized.
    page.goto(base + "/admin/")
    page.locator("tr.model-paper a.addlink").click()
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_slug").click()
    expect(page.locator("#id_slug")).to_have_value(SLUG)  # prepopulated from the title
    pick_autocomplete(page, "category", "자연어", "자연어 처리")
    page.locator("#id_year").fill("2014")
    page.locator("#id_authors").fill("Ilya Sutskever, Oriol Vinyals, Quoc V. Le")
    page.locator("#id_guide").fill(GUIDE)
    preview = page.locator(".field-guide .markdownx-preview")
    expect(preview.locator("h2")).to_have_text("한눈에 보기")
    expect(preview.locator("strong")).to_have_text("인코더-디코더")
    expect(preview.locator("li")).to_have_count(2)
    assert preview.locator("script, img[onerror], a[href^='javascript']").count() == 0
    assert "onerror" not in preview.inner_html()
    preview.scroll_into_view_if_needed()
    screenshot("admin-markdown-preview", full_page=False)
    admin_save(page)

    # A quiz for it, then questions of several types in the admin, then a GIFT file.
    page.goto(base + "/admin/")
    page.locator("tr.model-quiz a.addlink").click()
    pick_autocomplete(page, "paper", "Sequence", TITLE)
    page.locator("#id_title").fill(QUIZ)
    page.locator("#id_slug").click()
    expect(page.locator("#id_slug")).not_to_have_value("")
    page.locator("#id_instructions").fill("논문 **Section 3**을 읽고 푸세요.")
    expect(page.locator(".field-instructions .markdownx-preview strong")).to_have_text("Section 3")
    admin_save(page, "_continue")
    quiz_change_url = page.url.split("?")[0]  # the add page's ?paper= is carried over
    assert re.search(r"/admin/quizzes/quiz/\d+/change/$", quiz_change_url)

    add_question(
        page,
        quiz_change_url,
        order=1,
        qtype="single",
        text="깊은 LSTM의 인코더 층 수는?",
        answers=[("4", "1"), ("1", "0")],
    )
    add_question(
        page,
        quiz_change_url,
        order=2,
        qtype="essay",
        points="2",
        text="고정 길이 벡터 하나로 문장을 요약할 때의 한계를 설명하세요.",
    )
    add_question(
        page,
        quiz_change_url,
        order=3,
        qtype="short",
        text="이 구조의 흔한 모델 이름은? (영어 한 단어)",
        answers=[("Seq2Seq", "1")],
    )
    import_gift(page, quiz_change_url, gift_file)
    expect(page.locator("#questions-group tbody tr.has_original")).to_have_count(8)
    screenshot("admin-quiz-questions")

    # The learner, in a browser of their own.
    learner_context = new_context()
    learner = learner_context.new_page()
    watch.add(learner)
    sign_in(learner, base, "haneul")
    review_url = learner_takes_the_quiz(learner, base, js=True)

    grade_the_essay(page, base)
    screenshot("grading-queue-after")
    assert axe() == [], "grading queue"
    learner_sees_the_grade(learner, review_url)
    screenshot("learner-sees-grade", target=learner)
    assert axe(target=learner) == [], "review with the instructor's grade"
    watch.assert_clean()


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_instructor_journey_without_javascript(page, new_context, live_server, people, gift_file):
    """No select2, no preview, no inline "add another": links pre-select the paper and the quiz."""
    base = live_server.url
    watch = Watch(page)
    sign_in(page, base, "teacher")

    # From the paper list: pick the category, open the admin's add page (its own picker needs JavaScript).
    page.goto(base + "/papers/")
    page.get_by_label("새 논문의 분야").select_option(label="자연어 처리 (NLP)")
    page.get_by_role("button", name="관리 화면에서 논문 추가").click()
    expect(page.locator("#id_category option:checked")).to_have_text("자연어 처리")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_slug").fill(SLUG)  # no prepopulation without JavaScript
    page.locator("#id_guide").fill(GUIDE)
    admin_save(page)

    # The guide as learners will see it: rendered on save, sanitized.
    page.goto(f"{base}/papers/{SLUG}/")
    guide = page.locator(".paper-main .prose")
    expect(guide.locator("h2")).to_have_text("한눈에 보기")
    expect(guide.locator("strong")).to_have_text("인코더-디코더")
    assert guide.locator("script, img[onerror], a[href^='javascript']").count() == 0

    page.get_by_role("link", name="이 논문에 퀴즈 추가").click()
    expect(page.locator("#id_paper option:checked")).to_have_text(TITLE)
    page.locator("#id_title").fill(QUIZ)
    page.locator("#id_slug").fill("seq2seq-quiz")
    admin_save(page, "_continue")
    quiz_change_url = page.url.split("?")[0]  # the add page's ?paper= is carried over

    # Questions without answer rows in the admin form (those rows need JavaScript); the rest by GIFT.
    add_question(
        page,
        quiz_change_url,
        order=1,
        qtype="essay",
        points="2",
        text="고정 길이 벡터 하나로 문장을 요약할 때의 한계를 설명하세요.",
    )
    import_gift(page, quiz_change_url, gift_file)
    expect(page.locator("#questions-group tbody tr.has_original")).to_have_count(6)

    learner_context = new_context()
    learner = learner_context.new_page()
    watch.add(learner)
    sign_in(learner, base, "haneul")
    learner.goto(base + "/papers/")
    learner.get_by_role("link", name=TITLE).click()
    learner.get_by_role("link", name=QUIZ).click()
    learner.get_by_role("button", name="퀴즈 시작").click()
    questions = learner.locator("fieldset.question")
    expect(questions).to_have_count(6)
    questions.filter(has_text="한계를 설명").locator("textarea").fill(ESSAY)
    questions.filter(has_text="거꾸로 넣었다").get_by_label("참", exact=True).check()
    questions.filter(has_text="깊은 LSTM의 층 수는").get_by_label("답", exact=True).fill("4")
    learner.get_by_role("button", name="제출하기…").click()
    expect(learner.get_by_role("status")).to_contain_text("답하지 않은 문항이 3개 있습니다.")
    learner.get_by_role("button", name="제출", exact=True).click()
    expect(learner.get_by_role("heading", level=1)).to_contain_text("결과")
    review_url = learner.url

    grade_the_essay(page, base)

    learner.goto(review_url)
    essay = learner.locator("section.review-question", has_text="한계를 설명")
    expect(essay.get_by_role("heading", level=2)).to_contain_text("1.5 / 2점")
    expect(essay.locator(".grader-comment")).to_contain_text(COMMENT)
    # Left unanswered, the model-answer question scores 0 with nothing to rate; its model answer is shown.
    model = learner.locator("section.review-question", has_text="왜 도움이")
    expect(model.locator(".model-answer")).to_contain_text("최적화가 쉬워집니다")
    expect(model).to_contain_text("답하지 않아 0점입니다.")
    expect(learner.locator("#attempt-summary")).not_to_contain_text("채점 대기 중")
    expect(learner.locator("#attempt-summary .attempt-score")).to_contain_text("3.5 / 7")
    watch.assert_clean()
