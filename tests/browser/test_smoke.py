import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_and_sign_in_pages_render_accessibly(page, live_server, axe, screenshot):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.is_visible()
    screenshot("home")
    assert axe() == []
    page.goto(live_server.url + "/accounts/login/")
    screenshot("sign-in")
    assert axe() == []
    assert not dialogs
    assert not [e for e in errors if "Content Security Policy" in e], errors
