"""Stored XSS in a real browser: payloads in every author field never execute.

The payloads (tests/security/payloads.py) set `window.__xss` and open dialogs
when they run. Every page that shows them is visited by each role twice:

- with the page's Content-Security-Policy bypassed, so that only the
  server-side sanitizing stands between the payload and the browser;
- with the CSP enforced, as in real use, where the console must show no CSP
  violation at all (a violation means markup tried to run, or a template
  uses inline script).

After each page loads, htmx swaps and glossary previews are triggered, and
the live DOM (after KaTeX and every script ran) is scanned for event-handler
attributes and script URLs.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import HAVE_CHROMIUM, browser_type_launch_args  # noqa: F401
from tests.security.xss_world import store_payloads

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not HAVE_CHROMIUM, reason="no Chromium: apt-get install chromium"),
]

PASSWORD = "pw-for-tests-123"  # noqa: S105 (the factories' test password)

SCAN_DOM = """() => {
  const bad = [];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster"];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\x00-\\x1f]+/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push(`${el.tagName} ${name}`);
      if (urlAttributes.includes(name) && /^(javascript|vbscript|data):/.test(value)) {
        bad.push(`${el.tagName} ${name}=${value}`);
      }
    }
    if (["IFRAME", "FRAME", "OBJECT", "EMBED", "BASE"].includes(el.tagName)) bad.push(el.tagName);
    if (el.tagName === "SCRIPT" && !el.src) bad.push("inline script: " + el.textContent.slice(0, 60));
  }
  return {flag: window.__xss === undefined ? null : String(window.__xss), bad};
}"""


@pytest.fixture
def payloads(learner, instructor):
    return store_payloads(learner=learner, instructor=instructor)


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def _interact(page) -> None:
    """Make the page's scripts do their work on the payloads: previews, autosave, self-rating."""
    acted = False
    links = page.locator("a.term-link")
    for i in range(min(links.count(), 2)):
        if links.nth(i).is_visible():
            links.nth(i).focus()  # shows the preview, like a hover
            acted = True
    answer = page.locator(".attempt-take textarea").first
    if answer.count():
        answer.fill("<img src=x onerror=window.__xss=1> typed")
        page.wait_for_timeout(900)  # the autosave fires after 800 ms
        acted = True
    rate = page.locator(".response-rating button[name=rating]").first
    if rate.count():
        rate.click()
        acted = True
    if acted:
        page.wait_for_load_state("networkidle")
        page.keyboard.press("Escape")


ALL_ROLES = ("anon", "learner", "instructor")


def _visit_all(browser, live_server, payloads, *, bypass_csp: bool, roles=ALL_ROLES) -> list[str]:
    failures = []
    users = {"anon": None, "learner": payloads.learner.username, "instructor": payloads.instructor.username}
    for role in roles:
        username = users[role]
        context = browser.new_context(bypass_csp=bypass_csp, locale="ko-KR")
        page = context.new_page()
        dialogs, csp_errors, page_errors = [], [], []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        page.on(
            "console",
            lambda m, csp_errors=csp_errors: (
                csp_errors.append(m.text)
                if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
                else None
            ),
        )
        page.on("pageerror", lambda e, page_errors=page_errors: page_errors.append(str(e)))
        if username:
            _sign_in(page, live_server.url, username)
        for label, url, _markers in payloads.pages[role]:
            page.goto(live_server.url + url, wait_until="load")
            _interact(page)
            result = page.evaluate(SCAN_DOM)
            where = f"{role} {label} ({'CSP bypassed' if bypass_csp else 'CSP on'})"
            if result["flag"] is not None:
                failures.append(f"{where}: window.__xss was set")
            if result["bad"]:
                failures.append(f"{where}: {result['bad'][:5]}")
            if dialogs:
                failures.append(f"{where}: dialogs {dialogs}")
                dialogs.clear()
            if csp_errors and not bypass_csp:
                failures.append(f"{where}: CSP violations {csp_errors[:3]}")
            csp_errors.clear()
            if any("__xss" in e for e in page_errors):
                failures.append(f"{where}: payload ran into an error {page_errors[:3]}")
            page_errors.clear()
        context.close()
    return failures


def test_stored_payloads_never_execute_without_csp(browser, live_server, payloads):
    """Sanitizing alone must stop every payload: the CSP is bypassed here."""
    assert _visit_all(browser, live_server, payloads, bypass_csp=True) == []


def test_stored_payloads_cause_no_csp_violation(browser, live_server, payloads):
    # Anonymous visitors see a subset of the learner's pages.
    assert _visit_all(browser, live_server, payloads, bypass_csp=False, roles=("learner", "instructor")) == []


def test_the_harness_notices_a_payload_that_gets_through(browser, live_server, payloads):
    """Guard against a vacuous test: HTML written around the sanitizer is caught (dialog, flag, DOM scan)."""
    from papers.models import Paper

    Paper.objects.filter(pk=payloads.paper.pk).update(
        guide_html="<img src=x onerror=\"window.__xss=1;alert('through')\">"
    )
    payloads.pages = {"anon": [("paper detail", payloads.paper.get_absolute_url(), [])]}
    failures = _visit_all(browser, live_server, payloads, bypass_csp=True, roles=("anon",))
    assert any("window.__xss was set" in f for f in failures)
    assert any("dialogs" in f for f in failures)
    assert any("IMG onerror" in f for f in failures)
    failures = _visit_all(browser, live_server, payloads, bypass_csp=False, roles=("anon",))
    assert any("CSP violations" in f for f in failures)
    assert not any("window.__xss was set" in f for f in failures)  # the CSP alone would have stopped it
