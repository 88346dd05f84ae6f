"""Helpers shared by the end-to-end journeys (not fixtures: plain functions and one small class)."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Locator, Page, expect

PASSWORD = "pw-for-tests-123"  # noqa: S105 (the factories' test password)
TIMEOUT = 10_000  # ms; every wait in the journeys stays under ten seconds
expect.set_options(timeout=TIMEOUT)  # assertions too (the default is 5 s; CI machines are busy)


def load_bundled_content() -> None:
    """The real course: 13 papers, their quizzes and the glossary (a few seconds)."""
    call_command("load_bundled_content", verbosity=0)


class Watch:
    """What must never happen on the watched pages: a dialog (an XSS `alert`), a CSP refusal, an uncaught error."""

    CSP = re.compile(r"Content Security Policy|Refused to (execute|load|apply|connect|frame)", re.IGNORECASE)

    def __init__(self, *pages: Page):
        self.dialogs: list[str] = []
        self.csp: list[str] = []
        self.errors: list[str] = []
        for page in pages:
            self.add(page)

    def add(self, page: Page) -> None:
        page.set_default_timeout(TIMEOUT)  # fail fast: nothing in a journey should take longer
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if message.type == "error" and self.CSP.search(message.text):
            self.csp.append(message.text)

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"unexpected dialogs: {self.dialogs}"
        assert self.csp == [], f"CSP violations: {self.csp}"
        assert self.errors == [], f"uncaught page errors: {self.errors}"


def sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Through the real sign-in form, the way a person does it (works with JavaScript off too)."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("아이디", exact=True).fill(username)
    page.get_by_label("비밀번호", exact=True).fill(password)
    page.locator("main form").get_by_role("button", name="로그인").click()
    expect(page.get_by_role("button", name=re.compile(r"로그아웃"))).to_be_visible(timeout=TIMEOUT)


def sign_up(page: Page, base_url: str, username: str, password: str) -> None:
    """From the home page's "가입하기" link to the paper list, signed in."""
    page.goto(f"{base_url}/")
    page.get_by_role("button", name="가입하기").click()  # a link styled (and announced) as a button
    expect(page.get_by_role("heading", level=1, name="가입하기")).to_be_visible(timeout=TIMEOUT)
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(password)
    page.locator("#id_password2").fill(password)
    page.get_by_role("button", name="계정 만들기").click()
    page.wait_for_url(f"{base_url}/papers/", timeout=TIMEOUT)
    expect(page.get_by_role("button", name=re.compile(rf"로그아웃.*{re.escape(username)}"))).to_be_visible()


def follow(page: Page, locator: Locator) -> None:
    """Click a link or a submit button and wait until the next page has loaded (its deferred scripts,
    htmx among them, have run): a person does not use a page before it is there."""
    with page.expect_navigation(timeout=TIMEOUT):
        locator.click()


def focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page: Page, locator: Locator, *, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `locator` has the focus: keyboard-only navigation."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if locator.count() == 1 and focused(locator):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{locator} never got the focus after {limit} × {key}")


def focus_is_visible(page: Page) -> bool:
    """The focused element shows a focus ring (outline or box-shadow)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return false;
            const s = getComputedStyle(el);
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
        }"""
    )


def dangling_aria_references(page: Page) -> list[str]:
    """aria-describedby / aria-labelledby / aria-controls that name an id the page does not have."""
    return page.evaluate(
        """() => {
            const missing = [];
            for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
                for (const el of document.querySelectorAll(`[${attr}]`)) {
                    for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                        if (document.getElementById(id)) continue;
                        missing.push(`${el.tagName.toLowerCase()}#${el.id} ${attr}=${id}`);
                    }
                }
            }
            return missing;
        }"""
    )
