"""Browser tests: Playwright driving Debian's Chromium against live_server.

`playwright install` cannot download browsers here, so the system Chromium is
used. Without /usr/bin/chromium the tests are skipped with a clear message
(`.ci/run` installs it, so CI always runs them).
"""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE_JS = Path(__file__).with_name("assets") / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ko-KR", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot to test-artifacts/<name>.png (of `target`, another page, if given)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, *, target=None, full_page: bool = True):
        (target or page).screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    return take


@pytest.fixture
def axe(page):
    """Run axe-core on the current page (or `target`); return serious/critical violations.

    Needs JavaScript on in the page's context: axe's promise never settles where it is off.
    """
    source = AXE_JS.read_text()

    def check(context: str = "", *, target=None) -> list[dict]:
        target = target or page
        # evaluate() is not subject to the page's CSP (an injected <script> would be).
        target.evaluate(source + "\n;undefined")
        result = target.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in bad
        ]

    return check


@pytest.fixture
def login(page, live_server):
    """Sign in through the real form."""

    def do(username: str, password: str = "pw-for-tests-123"):  # noqa: S107 (the factories' test password)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form[action='/accounts/login/'] button[type=submit]")
        page.wait_for_load_state("networkidle")

    return do
