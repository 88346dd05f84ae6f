import pytest

from tests.browser.support import Watch, dangling_aria_references

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_and_sign_in_pages_render_accessibly(page, live_server, axe, screenshot):
    watch = Watch(page)
    page.goto(live_server.url + "/")
    assert page.locator("h1").first.is_visible()
    screenshot("home-empty")
    assert axe() == []
    page.goto(live_server.url + "/accounts/login/")
    screenshot("sign-in")
    assert axe() == []
    watch.assert_clean()


def test_sign_in_and_sign_up_errors_are_announced_accessibly(page, live_server, axe, screenshot):
    watch = Watch(page)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("아이디", exact=True).fill("nobody")
    page.get_by_label("비밀번호", exact=True).fill("wrong-password")
    page.locator("main form").get_by_role("button", name="로그인").click()
    assert "올바르지 않습니다" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("아이디", exact=True).input_value() == "nobody"  # nothing lost
    assert axe() == [], "sign in with an error"

    page.goto(live_server.url + "/accounts/signup/")
    assert axe() == [], "sign up"
    page.locator("#id_username").fill("newcomer")
    page.locator("#id_password1").fill("short")
    page.locator("#id_password2").fill("different")
    page.get_by_role("button", name="계정 만들기").click()
    assert page.get_by_role("alert").count() >= 1
    assert page.locator("#id_username").input_value() == "newcomer"
    # The error and the help text are tied to their field (Django's aria-describedby ids exist).
    assert page.locator("#id_password2").get_attribute("aria-invalid") == "true"
    assert "id_password2_error" in page.locator("#id_password2").get_attribute("aria-describedby")
    assert dangling_aria_references(page) == []
    screenshot("sign-up-errors")
    assert axe() == [], "sign up with errors"
    watch.assert_clean()
