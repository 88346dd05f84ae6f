# The browser fixtures (system Chromium, axe, screenshots, sign-in) for test_browser.py.
from tests.browser.conftest import (  # noqa: F401
    axe,
    browser_context_args,
    browser_type_launch_args,
    login,
    screenshot,
)
