import pytest
from django.contrib.auth.models import Group, Permission, User

from tests.factories import make_instructor, make_user


@pytest.mark.django_db
def test_signup_login_logout_flow(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "email": "", "password1": "a-Strong-pass-9931", "password2": "a-Strong-pass-9931"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    assert int(client.session["_auth_user_id"]) == user.pk

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session

    response = client.post("/accounts/login/", {"username": "newbie", "password": "a-Strong-pass-9931"})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_signup_rejects_mismatched_passwords_and_keeps_username(client):
    response = client.post(
        "/accounts/signup/", {"username": "newbie", "password1": "a-Strong-pass-9931", "password2": "other-pass-9931"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="newbie").exists()
    assert 'value="newbie"' in response.content.decode()


@pytest.mark.django_db
def test_wrong_password_shows_error(client):
    make_user(username="amy", password="right-pass-123")
    response = client.post("/accounts/login/", {"username": "amy", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_production_password_hasher_is_argon2(settings):
    from django.conf import settings as real

    # The autouse fixture swaps in MD5 for speed; the configured first hasher is Argon2.
    import config.settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert real is not None


@pytest.mark.django_db
def test_instructors_group_exists_with_content_permissions():
    group = Group.objects.get(name="Instructors")
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    for app, model in [("papers", "paper"), ("quizzes", "quiz"), ("quizzes", "question"), ("glossary", "term")]:
        for action in ("add", "change", "delete", "view"):
            assert (app, f"{action}_{model}") in codenames
    assert ("auth", "add_user") not in codenames
    assert not Permission.objects.filter(group=group, content_type__app_label="axes").exists()


@pytest.mark.django_db
def test_instructor_can_open_admin_and_add_papers(client):
    teacher = make_instructor(username="t")
    assert teacher.is_staff
    assert teacher.has_perm("papers.add_paper") and teacher.has_perm("glossary.change_term")
    client.force_login(teacher)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/papers/paper/add/").status_code == 200


@pytest.mark.django_db
def test_learner_gets_no_admin(client):
    client.force_login(make_user(username="l"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.get("/admin/papers/paper/").status_code == 302


@pytest.mark.django_db
def test_markdown_preview_is_staff_only_and_sanitized(client):
    client.force_login(make_user(username="l"))
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 302
    client.force_login(make_instructor(username="t"))
    response = client.post("/markdownx/markdownify/", {"content": "**b** <script>alert(1)</script>"})
    assert response.status_code == 200
    assert b"<strong>b</strong>" in response.content and b"<script" not in response.content


@pytest.mark.django_db
def test_demo_users_command(capsys, settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("create_demo_users")
    out = capsys.readouterr().out
    assert "username=instructor" in out and "username=learner" in out
    assert User.objects.get(username="instructor").groups.filter(name="Instructors").exists()
    assert not User.objects.get(username="learner").is_staff


def _request_user(client, counter=None):
    """The user the auth middleware gives a request from this client (its queries counted by `counter`)."""
    from contextlib import nullcontext

    from django.contrib.auth import get_user

    request = client.get("/healthz").wsgi_request
    request.session = client.session
    request.session.load()
    with counter or nullcontext():
        return get_user(request)


@pytest.mark.django_db
def test_signed_in_user_and_instructor_flag_need_no_query_once_cached(client, django_assert_num_queries):
    """accounts.backends: one query (user + Instructors check) the first time, none after."""
    from core.permissions import INSTRUCTORS_GROUP, is_instructor

    learner = make_user()
    member = make_user()
    member.groups.add(Group.objects.get(name=INSTRUCTORS_GROUP))
    # The group signal makes members staff; the flag must not depend on it.
    User.objects.filter(pk=member.pk).update(is_staff=False)
    for user, expected in ((learner, False), (member, True)):
        client.force_login(user)
        loaded = _request_user(client, django_assert_num_queries(1))
        with django_assert_num_queries(0):
            assert is_instructor(loaded) is expected
        again = _request_user(client, django_assert_num_queries(0))
        with django_assert_num_queries(0):
            assert is_instructor(again) is expected
        assert loaded.pk == again.pk == user.pk


@pytest.mark.django_db
def test_cached_user_is_dropped_when_the_user_or_the_groups_change(client):
    from core.permissions import is_instructor

    user = make_user()
    client.force_login(user)
    assert not is_instructor(_request_user(client))

    user.groups.add(Group.objects.get(name="Instructors"))
    assert is_instructor(_request_user(client))

    user.groups.clear()
    User.objects.filter(pk=user.pk).update(is_staff=False)  # no signal: the clear already dropped the copy
    assert not is_instructor(_request_user(client))

    group = Group.objects.get(name="Instructors")
    group.user_set.add(user)  # from the group's side
    assert is_instructor(_request_user(client))

    user.refresh_from_db()
    user.is_active = False
    user.save()
    assert not _request_user(client).is_authenticated


@pytest.mark.django_db
def test_password_change_signs_out_other_sessions_despite_the_cache(client):
    user = make_user()
    client.force_login(user)
    assert _request_user(client).is_authenticated  # now cached
    user.set_password("a-new-password-123")
    user.save()
    assert not _request_user(client).is_authenticated


@pytest.mark.django_db
def test_a_deleted_user_is_signed_out(client):
    user = make_user()
    client.force_login(user)
    assert _request_user(client).is_authenticated
    user.delete()
    assert not _request_user(client).is_authenticated


@pytest.mark.django_db
def test_sessions_name_the_account_backend(client):
    client.force_login(make_user())
    assert client.session["_auth_user_backend"] == "accounts.backends.AccountBackend"
