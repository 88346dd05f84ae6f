"""Every URL of the site, who may use it, and CSRF on every POST.

`ENDPOINTS` is the table of record: each named URL pattern of the project
(apps, accounts, i18n, the admin's custom views) has an entry saying how to
build its arguments and which status each role gets. The walk over
`get_resolver()` fails on any URL name missing from the table, so a new view
is not merged until someone has said who may reach it and checked that it
refuses a POST without a CSRF token.

Roles: `anon`; `learner`, who owns the objects in the URL; `other`, another
learner; `instructor`. Requests run in that order with the owner last, so a
state-changing request that succeeds does not hide a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tests.security.conftest import World

pytestmark = pytest.mark.django_db

ROLES = ("anon", "other", "instructor", "learner")
HTMX = {"HX-Request": "true"}

PUBLIC = {"anon": 200, "other": 200, "instructor": 200, "learner": 200}
SIGNED_IN = {"anon": 302, "other": 200, "instructor": 200, "learner": 200}
INSTRUCTOR = {"anon": 302, "other": 403, "instructor": 200, "learner": 403}
INSTRUCTOR_POST = {"anon": 302, "other": 403, "instructor": 302, "learner": 403}
OWNER = {"anon": 302, "other": 404, "instructor": 404, "learner": 200}
OWNER_POST = {"anon": 302, "other": 404, "instructor": 404, "learner": 302}
REDIRECT = {"anon": 302, "other": 302, "instructor": 302, "learner": 302}
STAFF = {"anon": 302, "other": 302, "instructor": 200, "learner": 302}  # admin: non-staff go to the admin sign-in
NOT_ALLOWED = {"anon": 405, "other": 405, "instructor": 405, "learner": 405}


@dataclass(frozen=True)
class Endpoint:
    get: dict[str, int] | None = None  # expected status by role; None: the view must refuse GET (405)
    post: dict[str, int] | None = None  # None: the view must refuse POST (405)
    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] = lambda w: {}
    role: str | None = None  # who uses it for real (CSRF checks); default: the first role it succeeds for
    optional: bool = False  # mounted only in some configurations (bench)
    notes: str = ""


def _attempt(w: World) -> dict:
    return {"pk": w.open_attempt.pk}


ENDPOINTS: dict[str, Endpoint] = {
    # core
    "home": Endpoint(get=PUBLIC),
    "healthz": Endpoint(get=PUBLIC),
    # papers
    "papers:paper_list": Endpoint(get=PUBLIC),
    "papers:paper_detail": Endpoint(get=PUBLIC, kwargs=lambda w: {"slug": w.paper.slug}),
    "papers:step_toggle": Endpoint(
        post=REDIRECT, kwargs=lambda w: {"slug": w.paper.slug, "step_id": w.step.pk}, data=lambda w: {"done": "1"}
    ),
    "papers:guide": Endpoint(get=PUBLIC),
    # quizzes: learners' own attempts
    "quizzes:quiz_detail": Endpoint(get=PUBLIC, kwargs=lambda w: {"slug": w.keyed_quiz.slug}),
    "quizzes:attempt_start": Endpoint(post=REDIRECT, kwargs=lambda w: {"slug": w.keyed_quiz.slug}),
    "quizzes:attempt_detail": Endpoint(get=OWNER, kwargs=_attempt),
    "quizzes:attempt_save": Endpoint(post=OWNER_POST, kwargs=_attempt, data=lambda w: {"action": "save"}),
    "quizzes:attempt_autosave": Endpoint(
        post=OWNER_POST,
        kwargs=lambda w: {"pk": w.open_attempt.pk, "question_id": w.question("short").pk},
        data=lambda w: {f"q-{w.question('short').pk}": "an answer"},
    ),
    "quizzes:attempt_confirm": Endpoint(get=OWNER, kwargs=_attempt),
    "quizzes:attempt_submit": Endpoint(post=OWNER_POST, kwargs=_attempt),
    "quizzes:response_rate": Endpoint(
        post=OWNER_POST,
        kwargs=lambda w: {"pk": w.done_attempt.pk, "response_id": w.model_response.pk},
        data=lambda w: {"rating": "correct"},
    ),
    # quizzes: instructors
    "quizzes:grading_queue": Endpoint(get=INSTRUCTOR),
    "quizzes:response_grade": Endpoint(
        get=INSTRUCTOR,
        post=INSTRUCTOR_POST,
        kwargs=lambda w: {"pk": w.essay_response.pk},
        data=lambda w: {"score": "1", "comment": "ok"},
    ),
    "quizzes:quiz_stats": Endpoint(get=INSTRUCTOR, kwargs=lambda w: {"slug": w.keyed_quiz.slug}),
    "quizzes:quiz_regrade": Endpoint(
        post=INSTRUCTOR_POST, kwargs=lambda w: {"slug": w.done_quiz.slug}, data=lambda w: {"dry_run": "1"}
    ),
    "quizzes:quiz_export_gift": Endpoint(get=INSTRUCTOR, kwargs=lambda w: {"slug": w.keyed_quiz.slug}),
    # glossary
    "glossary:term_list": Endpoint(get=PUBLIC),
    "glossary:paper_options": Endpoint(get=PUBLIC),
    "glossary:term_detail": Endpoint(get=PUBLIC, kwargs=lambda w: {"slug": w.term.slug}),
    "glossary:term_preview": Endpoint(get=PUBLIC, kwargs=lambda w: {"slug": w.term.slug}),
    "glossary:review": Endpoint(get=SIGNED_IN),
    "glossary:review_reveal": Endpoint(get=OWNER, kwargs=lambda w: {"card_id": w.card.pk}),
    "glossary:review_rate": Endpoint(
        post=OWNER_POST, kwargs=lambda w: {"card_id": w.card.pk}, data=lambda w: {"rating": "3"}
    ),
    "glossary:deck": Endpoint(get=SIGNED_IN),
    "glossary:deck_add_term": Endpoint(post=REDIRECT, kwargs=lambda w: {"slug": w.term.slug}),
    "glossary:deck_remove_term": Endpoint(post=REDIRECT, kwargs=lambda w: {"slug": w.term.slug}),
    "glossary:deck_add_paper": Endpoint(post=REDIRECT, kwargs=lambda w: {"slug": w.paper.slug}),
    # progress
    "progress:dashboard": Endpoint(get=SIGNED_IN),
    "progress:papers": Endpoint(get=SIGNED_IN),
    "progress:instructor_matrix": Endpoint(get=INSTRUCTOR),
    "progress:learner_detail": Endpoint(get=INSTRUCTOR, kwargs=lambda w: {"user_id": w.learner.pk}),
    "progress:quiz_stats": Endpoint(get=INSTRUCTOR, kwargs=lambda w: {"slug": w.keyed_quiz.slug}),
    "progress:export_progress": Endpoint(get=INSTRUCTOR),
    "progress:export_grades": Endpoint(get=INSTRUCTOR),
    # accounts (django.contrib.auth views and our sign-up)
    "signup": Endpoint(
        get={"anon": 200, "other": 302, "instructor": 302, "learner": 302},
        post={"anon": 302, "other": 302, "instructor": 302, "learner": 302},
        data=lambda w: {"username": "newcomer", "password1": "a-Strong-pass-9931", "password2": "a-Strong-pass-9931"},
        role="anon",
    ),
    "login": Endpoint(get=PUBLIC, post=PUBLIC, data=lambda w: {"username": "nobody", "password": "wrong"}, role="anon"),
    "logout": Endpoint(post=REDIRECT),
    "password_change": Endpoint(get=SIGNED_IN, post=SIGNED_IN),
    "password_change_done": Endpoint(get=SIGNED_IN),
    "password_reset": Endpoint(get=PUBLIC, post=REDIRECT, data=lambda w: {"email": "nobody@example.org"}, role="anon"),
    "password_reset_done": Endpoint(get=PUBLIC),
    "password_reset_confirm": Endpoint(
        get=PUBLIC, post=PUBLIC, kwargs=lambda w: {"uidb64": "MQ", "token": "bad-token"}
    ),
    "password_reset_complete": Endpoint(get=PUBLIC),
    "set_language": Endpoint(get=REDIRECT, post=REDIRECT, data=lambda w: {"language": "en", "next": "/"}),
    # the admin's Markdown preview and the admin's own views
    "markdownx_markdownify": Endpoint(
        get={"anon": 302, "other": 302, "instructor": 405, "learner": 302},
        post=STAFF,
        data=lambda w: {"content": "**x**"},
    ),
    "admin:quizzes_quiz_import_gift": Endpoint(get=STAFF, post=STAFF, kwargs=lambda w: {"object_id": w.keyed_quiz.pk}),
    "admin:lessons_importlog_import": Endpoint(get=STAFF, post=STAFF),
    "bench_bare": Endpoint(get=PUBLIC, optional=True, notes="only with BENCH_MODE=1"),
}

# The admin's generated URLs (ModelAdmin views, index, login…) are covered by
# the admin tests below; custom admin views must be in ENDPOINTS.
_STANDARD_ADMIN = re.compile(
    r"^admin:(index|login|logout|password_change|password_change_done|autocomplete|jsi18n|view_on_site|app_list"
    r"|\w+_\w+_(changelist|add|history|delete|change))$"
)


def _walk(patterns, namespace: str = "", prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, ns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = None
            if pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern)


def all_url_patterns() -> list[tuple[str | None, str]]:
    return list(_walk(get_resolver().url_patterns))


def test_every_url_pattern_is_in_the_table():
    unknown, unnamed = [], []
    for name, route in all_url_patterns():
        if route.startswith("admin/"):
            if name and not _STANDARD_ADMIN.match(name) and name not in ENDPOINTS:
                unknown.append(f"{name} ({route})")
            continue
        if name is None:
            unnamed.append(route)
        elif name not in ENDPOINTS:
            unknown.append(f"{name} ({route})")
    assert not unnamed, f"URL patterns without a name cannot be checked: {unnamed}"
    assert not unknown, (
        "New URLs: add them to tests/security/test_endpoints.py ENDPOINTS with who may use them: " + ", ".join(unknown)
    )


def test_table_has_no_stale_entries():
    names = {name for name, _route in all_url_patterns() if name}
    stale = [name for name, spec in ENDPOINTS.items() if name not in names and not spec.optional]
    assert not stale


def _cases():
    for name in ENDPOINTS:
        yield pytest.param(name, id=name)


def _url(name: str, world: World) -> str:
    return reverse(name, kwargs=ENDPOINTS[name].kwargs(world))


def _resolvable(name: str) -> bool:
    return any(n == name for n, _route in all_url_patterns())


def _request(client: Client, method: str, url: str, data: dict, **extra):
    if method == "GET":
        return client.get(url, **extra)
    return client.post(url, data, **extra)


def _check_login_redirect(response, role: str, url: str) -> None:
    if role == "anon" and response.status_code == 302 and not url.startswith(("/accounts/", "/i18n/")):
        location = response["Location"]
        assert "/accounts/login/" in location or "/admin/login/" in location, (url, location)


@pytest.mark.parametrize("name", list(_cases()))
def test_access_by_role(name, world, client_for):
    spec = ENDPOINTS[name]
    if spec.optional and not _resolvable(name):
        pytest.skip(spec.notes)
    url = _url(name, world)
    allowed = spec.get or spec.post
    for method, expected in (("GET", spec.get), ("POST", spec.post)):
        for role in ROLES:
            client = client_for(role)
            response = _request(client, method, url, spec.data(world))
            if expected is not None:
                wanted = {expected[role]}
            else:
                # The wrong method is refused: 405, or the refusal the role gets anyway (sign-in, 403, 404).
                wanted = {405} | ({allowed[role]} if allowed[role] in (302, 403, 404) else set())
            assert response.status_code in wanted, f"{method} {url} as {role}: {response.status_code}, want {wanted}"
            _check_login_redirect(response, role, url)
            if expected is not None and expected[role] in (403, 404):
                # A partial is refused like its page: authorization never hides in a template.
                partial = _request(client, method, url, spec.data(world), headers=HTMX)
                assert partial.status_code == expected[role], f"htmx {method} {url} as {role}: {partial.status_code}"


def _succeeding_role(spec: Endpoint, expected: dict[str, int]) -> str:
    """A role for which the request is allowed, so that a 403 can only come from CSRF."""
    if spec.role:
        return spec.role
    for role in ("learner", "instructor", "anon"):
        if expected[role] == 200:
            return role
    for role in ("learner", "instructor", "anon"):
        if expected[role] == 302:
            return role
    raise AssertionError(expected)


def _csrf_token(client: Client) -> str:
    client.get(reverse("login"))
    return client.cookies["csrftoken"].value


POST_ENDPOINTS = [pytest.param(name, id=name) for name, spec in ENDPOINTS.items() if spec.post]


@pytest.mark.parametrize("name", POST_ENDPOINTS)
def test_post_without_csrf_token_is_refused(name, world, client_for):
    spec = ENDPOINTS[name]
    if spec.optional and not _resolvable(name):
        pytest.skip(spec.notes)
    url = _url(name, world)
    role = _succeeding_role(spec, spec.post)
    client = client_for(role, csrf=True)

    refused = client.post(url, spec.data(world))
    assert refused.status_code == 403, f"POST {url} without a token as {role}: {refused.status_code}"
    refused = client.post(url, spec.data(world), headers=HTMX)
    assert refused.status_code == 403, f"htmx POST {url} without a token as {role}: {refused.status_code}"
    refused = client.post(url, spec.data(world), headers={**HTMX, "X-CSRFToken": "x" * 32})
    assert refused.status_code == 403, f"htmx POST {url} with a forged token as {role}: {refused.status_code}"

    # The same request with the token (as htmx sends it from hx-headers) goes through.
    token = _csrf_token(client)
    allowed = client.post(url, spec.data(world), headers={"X-CSRFToken": token})
    assert allowed.status_code == spec.post[role], f"POST {url} with a token as {role}: {allowed.status_code}"


def test_cross_site_post_is_refused_even_with_a_token(world, client_for):
    """A token stolen into another origin is useless: the Origin header must match (HTTPS Referer too)."""
    client = client_for("learner", csrf=True)
    token = _csrf_token(client)
    url = reverse("quizzes:attempt_submit", args=[world.open_attempt.pk])
    response = client.post(url, headers={"X-CSRFToken": token, "Origin": "https://evil.example"})
    assert response.status_code == 403
    world.open_attempt.refresh_from_db()
    assert world.open_attempt.is_in_progress


# ---------------------------------------------------------------- objects reached through mixed ids


def test_rating_another_learners_response_through_ones_own_attempt_is_404(world, client_for):
    from quizzes.models import Attempt

    mine, _ = Attempt.start(quiz=world.done_quiz, user=world.other)
    mine.submit()
    client = client_for("other")
    url = reverse("quizzes:response_rate", args=[mine.pk, world.model_response.pk])
    assert client.post(url, {"rating": "correct"}).status_code == 404
    world.model_response.refresh_from_db()
    assert world.model_response.self_rating == ""


def test_autosave_of_a_question_from_another_quiz_is_404(world, client_for):
    from quizzes.models import Question

    foreign = Question.objects.filter(quiz=world.done_quiz).first()
    url = reverse("quizzes:attempt_autosave", args=[world.open_attempt.pk, foreign.pk])
    response = client_for("learner").post(url, {f"q-{foreign.pk}": "x"}, headers=HTMX)
    assert response.status_code == 404


def test_other_learners_attempt_is_404_for_htmx_and_partials_too(world, client_for):
    client = client_for("other")
    attempt = world.open_attempt
    question = world.question("short")
    requests = [
        ("GET", reverse("quizzes:attempt_detail", args=[attempt.pk]), {}),
        ("POST", reverse("quizzes:attempt_autosave", args=[attempt.pk, question.pk]), {f"q-{question.pk}": "x"}),
        (
            "POST",
            reverse("quizzes:attempt_save", args=[attempt.pk]),
            {f"q-{question.pk}": "x", f"seq-{question.pk}": 0},
        ),
        ("POST", reverse("quizzes:attempt_submit", args=[attempt.pk]), {}),
        ("GET", reverse("quizzes:attempt_detail", args=[world.done_attempt.pk]), {}),
        ("GET", reverse("glossary:review_reveal", args=[world.card.pk]), {}),
        ("POST", reverse("glossary:review_rate", args=[world.card.pk]), {"rating": "3"}),
    ]
    for method, url, data in requests:
        response = _request(client, method, url, data, headers=HTMX)
        assert response.status_code == 404, (method, url, response.status_code)
    attempt.refresh_from_db()
    assert attempt.is_in_progress
    assert attempt.responses.get(question=question).text == ""
    world.card.refresh_from_db()
    assert world.card.reps == 0


def test_drafts_are_404_for_learners(world, client_for):
    learner = client_for("learner")
    assert learner.get(world.draft_paper.get_absolute_url()).status_code == 404
    toggle = reverse("papers:step_toggle", args=[world.draft_paper.slug, world.draft_step.pk])
    assert learner.post(toggle, {"done": "1"}).status_code == 404
    # A step of a published paper cannot be ticked through a draft paper's URL.
    mixed = reverse("papers:step_toggle", args=[world.draft_paper.slug, world.step.pk])
    assert learner.post(mixed, {"done": "1"}).status_code == 404
    add_paper = reverse("glossary:deck_add_paper", args=[world.draft_paper.slug])
    assert learner.post(add_paper).status_code == 404
    assert client_for("instructor").get(world.draft_paper.get_absolute_url()).status_code == 200


def test_unpublished_quiz_cannot_be_started_by_learners(world, client_for):
    world.keyed_quiz.is_published = False
    world.keyed_quiz.save()
    client = client_for("other")
    assert client.get(world.keyed_quiz.get_absolute_url()).status_code == 404
    assert client.post(reverse("quizzes:attempt_start", args=[world.keyed_quiz.slug])).status_code == 404


def test_grading_an_in_progress_response_is_404(world, client_for):
    """The grading form only exists for submitted attempts (an open one could leak into the queue)."""
    item = world.open_attempt.responses.first()
    assert client_for("instructor").get(reverse("quizzes:response_grade", args=[item.pk])).status_code == 404


def _stays_on_site(location: str) -> bool:
    """What a browser would do with the Location: backslashes count as slashes, a scheme or host leaves."""
    return location.startswith("/") and url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "javascript:x"]
)
def test_grading_never_redirects_off_site(world, client_for, next_url):
    url = reverse("quizzes:response_grade", args=[world.essay_response.pk])
    response = client_for("instructor").post(url, {"score": "1", "comment": "", "next": next_url})
    assert response.status_code == 302
    assert _stays_on_site(response["Location"]), response["Location"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_deck_buttons_never_redirect_off_site(world, client_for, next_url):
    client = client_for("learner")
    response = client.post(reverse("glossary:deck_add_paper", args=[world.paper.slug]), {"next": next_url})
    assert _stays_on_site(response["Location"]), response["Location"]
    response = client.post(reverse("glossary:deck_remove_term", args=[world.term.slug]), {"next": next_url})
    assert _stays_on_site(response["Location"]), response["Location"]


def test_login_never_redirects_off_site(world):
    client = Client()
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": world.learner.username, "password": "pw-for-tests-123"},
    )
    assert response.status_code == 302
    assert _stays_on_site(response["Location"]), response["Location"]


# ---------------------------------------------------------------- the admin


def _changelists() -> list[tuple[str, type]]:
    return [
        (reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), model)
        for model in admin.site._registry
    ]


def test_learners_never_reach_the_admin(world, client_for):
    for role in ("anon", "learner", "other"):
        client = client_for(role)
        urls = ["/admin/", "/admin/auth/user/", reverse("admin:lessons_importlog_import")]
        urls += [url for url, _model in _changelists()]
        urls += [reverse("admin:quizzes_question_change", args=[world.question("single").pk])]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, (role, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (role, url)


def test_instructors_see_only_what_their_permissions_allow(world, client_for):
    client = client_for("instructor")
    for url, model in _changelists():
        opts = model._meta
        allowed = world.instructor.has_perm(f"{opts.app_label}.view_{opts.model_name}") or world.instructor.has_perm(
            f"{opts.app_label}.change_{opts.model_name}"
        )
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), (url, response.status_code)
    # Sign-in lockouts are for administrators only.
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_instructors_cannot_give_themselves_more_rights(world, client_for):
    from django.contrib.auth.models import Group

    client = client_for("instructor")
    me = world.instructor
    change = reverse("admin:auth_user_change", args=[me.pk])
    response = client.post(change, {"username": me.username, "is_active": "on", "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 403
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    assert client.post(reverse("admin:auth_group_add"), {"name": "Root"}).status_code == 403
    group = Group.objects.get(name="Instructors")
    assert client.post(reverse("admin:auth_group_change", args=[group.pk]), {"name": "x"}).status_code == 403
    me.refresh_from_db()
    assert not me.is_superuser
    assert not Group.objects.filter(name="Root").exists()


def test_admin_posts_need_csrf(world, client_for):
    client = client_for("instructor", csrf=True)
    url = reverse("admin:papers_paper_changelist")
    response = client.post(url, {"action": "delete_selected", "_selected_action": [world.paper.pk], "post": "yes"})
    assert response.status_code == 403
    assert Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"}).status_code == 403


def test_markdownx_image_upload_is_not_routed(client_for):
    assert client_for("instructor").post("/markdownx/upload/").status_code == 404


ID_ENDPOINTS = sorted({name for name, route in all_url_patterns() if name in ENDPOINTS and "<int:" in route})


@pytest.mark.parametrize("name", ID_ENDPOINTS)
def test_out_of_range_and_missing_ids_are_404_never_500(name, world, client_for):
    """Ids past the database's integer range, or of rows that do not exist, are a plain 404."""
    spec = ENDPOINTS[name]
    kwargs = spec.kwargs(world)
    numeric = [key for key, value in kwargs.items() if isinstance(value, int)]
    role = _succeeding_role(spec, spec.get or spec.post)
    client = client_for(role)
    method = "GET" if spec.get else "POST"
    for bad in (2**63, 2**70, 999_999_999):
        url = reverse(name, kwargs={**kwargs, **dict.fromkeys(numeric, bad)})
        response = _request(client, method, url, spec.data(world))
        assert response.status_code == 404, f"{method} {url} as {role}: {response.status_code}"


def test_markdown_preview_without_content_is_empty_not_an_error(client_for):
    response = client_for("instructor").post(reverse("markdownx_markdownify"))
    assert response.status_code == 200
    assert response.content == b""
