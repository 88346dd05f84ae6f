"""Sign-in brute force (django-axes) and session handling, through the real views."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore as CacheStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"  # noqa: S105 (the factories' test password)
IP_A, IP_B = "203.0.113.7", "198.51.100.9"


def sign_in(client: Client, username: str, password: str, *, ip: str, url: str | None = None, **headers):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, headers=headers
    )


def signed_in_as(client: Client):
    return client.session.get("_auth_user_id")


def fail(client: Client, username: str, *, ip: str, times: int, **headers) -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", ip=ip, **headers)
        assert response.status_code in (200, 429)


def test_lockout_after_the_failure_limit_from_one_address():
    amy = make_user(username="amy")
    client = Client()
    fail(client, "amy", ip=IP_A, times=settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "amy", PASSWORD, ip=IP_A).status_code == 302  # under the limit: the right password works
    client.post(reverse("logout"))

    fail(client, "amy", ip=IP_A, times=settings.AXES_FAILURE_LIMIT)
    locked = sign_in(client, "amy", PASSWORD, ip=IP_A)
    assert locked.status_code == 429
    assert "비밀번호 재설정" in locked.content.decode()  # the lockout page says what to do
    assert signed_in_as(client) is None
    assert amy.pk  # the account itself is untouched
    amy.refresh_from_db()
    assert amy.is_active


def test_lockout_does_not_lock_the_user_out_from_elsewhere():
    amy = make_user(username="amy")
    attacker = Client()
    fail(attacker, "amy", ip=IP_A, times=settings.AXES_FAILURE_LIMIT + 3)
    assert sign_in(attacker, "amy", PASSWORD, ip=IP_A).status_code == 429

    real_amy = Client()
    response = sign_in(real_amy, "amy", PASSWORD, ip=IP_B)
    assert response.status_code == 302
    assert int(signed_in_as(real_amy)) == amy.pk


def test_lockout_does_not_lock_other_users_at_the_same_address():
    bob = make_user(username="bob")
    make_user(username="amy")
    client = Client()
    fail(client, "amy", ip=IP_A, times=settings.AXES_FAILURE_LIMIT)
    response = sign_in(client, "bob", PASSWORD, ip=IP_A)
    assert response.status_code == 302
    assert int(signed_in_as(client)) == bob.pk


def test_forged_forwarded_for_headers_do_not_reset_the_count():
    """Without a trusted proxy the address is REMOTE_ADDR: rotating X-Forwarded-For changes nothing."""
    make_user(username="amy")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = {"X-Forwarded-For": f"10.0.0.{n}", "X-Real-IP": f"10.1.0.{n}"}
        sign_in(client, "amy", "wrong-password", ip=IP_A, **forged)
    locked = sign_in(client, "amy", PASSWORD, ip=IP_A, **{"X-Forwarded-For": "10.9.9.9"})
    assert locked.status_code == 429


def test_spelling_variants_of_a_username_share_the_lock():
    """The form strips and NFKC-normalizes the username; the count must follow the same name,
    or `amy `, ` amy`, `ａｍｙ`… would each get their own tries at the same account."""
    make_user(username="amy")
    client = Client()
    for name in ("amy", "amy ", " amy", "ａｍｙ", "amy\t", "\u00a0amy"):
        sign_in(client, name, "wrong-password", ip=IP_A)
    assert sign_in(client, "amy", PASSWORD, ip=IP_A).status_code == 429
    assert signed_in_as(client) is None


def test_admin_sign_in_is_locked_out_too():
    make_user(username="root", is_staff=True, is_superuser=True)
    client = Client()
    url = reverse("admin:login")
    fail_url = lambda: sign_in(client, "root", "wrong-password", ip=IP_A, url=url)  # noqa: E731
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail_url()
    assert sign_in(client, "root", PASSWORD, ip=IP_A, url=url).status_code == 429
    assert sign_in(Client(), "root", PASSWORD, ip=IP_B, url=url).status_code == 302


def test_successful_sign_in_resets_the_count():
    make_user(username="amy")
    client = Client()
    fail(client, "amy", ip=IP_A, times=settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "amy", PASSWORD, ip=IP_A).status_code == 302
    client.post(reverse("logout"))
    fail(client, "amy", ip=IP_A, times=settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, "amy", PASSWORD, ip=IP_A).status_code == 302


# ---------------------------------------------------------------- sessions


def _anonymous_session(client: Client) -> str:
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return session.session_key


def _session_exists(key: str) -> bool:
    return Session.objects.filter(session_key=key).exists() or CacheStore().exists(key)


def test_session_key_rotates_at_sign_in():
    make_user(username="amy")
    client = Client()
    before = _anonymous_session(client)
    assert sign_in(client, "amy", PASSWORD, ip=IP_A).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert not _session_exists(before)  # a fixated key is worth nothing after sign-in


def test_session_key_rotates_at_sign_up():
    client = Client()
    before = _anonymous_session(client)
    response = client.post(
        reverse("signup"), {"username": "newbie", "password1": "a-Strong-pass-9931", "password2": "a-Strong-pass-9931"}
    )
    assert response.status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert not _session_exists(before)


def test_sign_out_ends_the_session_on_the_server():
    make_user(username="amy")
    client = Client()
    sign_in(client, "amy", PASSWORD, ip=IP_A)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("progress:dashboard")).status_code == 200

    assert client.get(reverse("logout")).status_code == 405  # no sign-out by a GET (an <img> could do it)
    assert client.post(reverse("logout")).status_code == 302
    assert not _session_exists(key)

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key  # a stolen cookie after sign-out
    response = replay.get(reverse("progress:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_password_change_signs_out_other_sessions():
    amy = make_user(username="amy")
    laptop, phone = Client(), Client()
    sign_in(laptop, "amy", PASSWORD, ip=IP_A)
    sign_in(phone, "amy", PASSWORD, ip=IP_B)
    response = laptop.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "n3w-Strong-pass-77", "new_password2": "n3w-Strong-pass-77"},
    )
    assert response.status_code == 302
    assert laptop.get(reverse("progress:dashboard")).status_code == 200  # this session stays signed in
    assert phone.get(reverse("progress:dashboard")).status_code == 302
    amy.refresh_from_db()
    assert amy.check_password("n3w-Strong-pass-77")


def test_session_and_csrf_cookie_flags():
    make_user(username="amy")
    client = Client()
    response = sign_in(client, "amy", PASSWORD, ip=IP_A)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() in ("lax", "strict")
    page = client.get(reverse("home"))
    csrf = page.cookies.get(settings.CSRF_COOKIE_NAME) or client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["samesite"].lower() in ("lax", "strict")


def test_sign_in_page_and_errors_do_not_tell_which_usernames_exist():
    make_user(username="amy")
    client = Client()
    known = sign_in(client, "amy", "wrong-password", ip=IP_A).content.decode()
    unknown = sign_in(client, "nobody-here", "wrong-password", ip=IP_B).content.decode()
    strip = lambda html: html.replace("amy", "").replace("nobody-here", "")  # noqa: E731
    import re

    token = re.compile(r'value="[A-Za-z0-9]{64}"|"X-CSRFToken": "[A-Za-z0-9]{64}"|nonce="[^"]+"')
    assert token.sub("", strip(known)) == token.sub("", strip(unknown))


def test_behind_a_proxy_the_lockout_follows_the_forwarded_client(settings):
    """With LOCKOUT_PROXY_COUNT=1 every request comes from the proxy: the client is the last X-Forwarded-For entry."""
    settings.LOCKOUT_PROXY_COUNT = 1
    amy = make_user(username="amy")
    proxy = "10.0.0.2"
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker forges entries on the left; the proxy appends the real address on the right.
        sign_in(attacker, "amy", "wrong-password", ip=proxy, **{"X-Forwarded-For": f"10.9.9.{n}, {IP_A}"})
    assert sign_in(attacker, "amy", PASSWORD, ip=proxy, **{"X-Forwarded-For": IP_A}).status_code == 429

    real_amy = Client()
    response = sign_in(real_amy, "amy", PASSWORD, ip=proxy, **{"X-Forwarded-For": IP_B})
    assert response.status_code == 302  # the proxy's address is not locked: Amy still signs in
    assert int(signed_in_as(real_amy)) == amy.pk


def test_client_address_rules():
    from django.test import RequestFactory, override_settings

    from core.clientip import client_ip

    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
    with override_settings(LOCKOUT_PROXY_COUNT=0):
        assert client_ip(request) == "10.0.0.2"
    with override_settings(LOCKOUT_PROXY_COUNT=1):
        assert client_ip(request) == "2.2.2.2"
    with override_settings(LOCKOUT_PROXY_COUNT=2):
        assert client_ip(request) == "1.1.1.1"
    with override_settings(LOCKOUT_PROXY_COUNT=3):
        assert client_ip(request) == "10.0.0.2"  # fewer entries than proxies: not trustworthy
    garbage = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    with override_settings(LOCKOUT_PROXY_COUNT=1):
        assert client_ip(garbage) == "10.0.0.2"
