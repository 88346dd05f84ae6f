"""The glossary in a real browser: hover/focus previews, htmx search, keyboard review."""

import pytest
from playwright.sync_api import expect

# The browser fixtures live in tests/browser/conftest.py; importing them makes them available here.
from tests.browser.conftest import (
    HAVE_CHROMIUM,
    axe,  # noqa: F401
    browser_context_args,  # noqa: F401
    browser_type_launch_args,  # noqa: F401
    login,  # noqa: F401
    screenshot,  # noqa: F401
)
from tests.factories import make_paper, make_term, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium: apt-get install chromium"),
]


@pytest.fixture
def glossary(db, settings):
    settings.GLOSSARY_FSRS_FUZZING = False
    paper = make_paper(title="Attention Is All You Need", slug="transformer")
    make_term(name_en="Dropout", slug="dropout", definition="뉴런 일부를 무작위로 끈다.", papers=[paper])
    make_term(
        name_ko="정규화",
        name_en="Regularization",
        slug="regularization",
        definition="과적합을 막는 기법. 예: Dropout.",
        papers=[paper],
    )
    make_user(username="learner")
    return paper


def collect_errors(page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_term_link_preview_on_hover_and_focus(page, live_server, glossary, axe, screenshot):
    errors = collect_errors(page)
    page.goto(live_server.url + "/glossary/regularization/")
    link = page.locator(".prose a.term-link[data-term='dropout']")
    assert link.get_attribute("href") == "/glossary/dropout/"
    link.hover()
    tooltip = page.locator("#term-tooltip[role='tooltip']")
    tooltip.wait_for(state="visible")
    assert "뉴런 일부를" in tooltip.inner_text()
    assert link.get_attribute("aria-describedby") == "term-tooltip"
    screenshot("glossary-preview")
    page.keyboard.press("Escape")
    tooltip.wait_for(state="hidden")
    link.focus()
    tooltip.wait_for(state="visible")
    assert axe() == []
    link.click()
    page.wait_for_url("**/glossary/dropout/")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_live_search_and_jump_bar(page, live_server, glossary, axe, screenshot):
    errors = collect_errors(page)
    page.goto(live_server.url + "/glossary/")
    assert page.locator(".jump-bar a[href='#initial-ㅈ']").is_visible()
    screenshot("glossary-index")
    assert axe() == []
    page.fill("#term-q", "drop out")
    expect(page.locator("#term-results dt")).to_have_count(1)
    assert "q=drop+out" in page.url or "q=drop%20out" in page.url
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_review_with_the_keyboard(page, live_server, glossary, login, axe, screenshot):
    errors = collect_errors(page)
    login("learner")
    page.goto(live_server.url + "/glossary/dropout/")
    page.click("#deck-button button[type=submit]")
    page.locator("#deck-button .badge-ok").wait_for()
    page.goto(live_server.url + "/glossary/review/")
    assert page.locator("#review-card h2").inner_text() == "Dropout"
    assert axe() == []
    page.keyboard.press(" ")
    page.locator("button[data-rating='3']").wait_for()
    assert "뉴런 일부를" in page.locator(".flashcard-answer").inner_text()
    screenshot("glossary-review")
    assert axe() == []
    page.keyboard.press("3")
    page.locator(".flashcard-done").wait_for()
    assert page.evaluate("document.activeElement.id") == "review-card-title"
    assert not [e for e in errors if "Content Security Policy" in e], errors
