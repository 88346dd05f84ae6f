"""The site's chrome (core/chrome.py): rendered once per process and kind of page, filled per request."""

import re

from django.test import Client
from django.urls import reverse

from tests.factories import make_user


def _header(response) -> str:
    html = response.content.decode()
    return html[html.index("<body") : html.index('<main id="main"')]


def test_a_visitor_gets_a_sign_in_link_back_to_the_page_with_the_path_escaped(client, db):
    response = client.get(reverse("papers:paper_list"), {"q": '"><script>x</script>'})
    header = _header(response)
    assert "<script>" not in header
    # As Django's `urlencode` filter and autoescaping would write them.
    assert 'href="/accounts/login/?next=/papers/%3Fq%3D%2522%253E%253Cscript%253Ex%253C%252Fscript%253E"' in header
    assert 'value="/papers/?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E"' in header
    assert "로그아웃" not in header


def test_each_learner_sees_their_own_name_escaped(db):
    for name in ("first<b>", "second"):
        client = Client()
        client.force_login(make_user(username=name))
        header = _header(client.get(reverse("papers:paper_list")))
        assert "<b>" not in header
        expected = "first&lt;b&gt;" if name == "first<b>" else "second"
        assert f'<span class="muted">({expected})</span>' in header
        assert "chrome7slot7" not in header


def test_instructor_links_only_for_instructors(client, learner, instructor):
    grading = reverse("quizzes:grading_queue")
    client.force_login(learner)
    assert grading not in _header(client.get(reverse("glossary:term_list")))
    client.force_login(instructor)
    assert grading in _header(client.get(reverse("glossary:term_list")))
    client.force_login(learner)
    assert grading not in _header(client.get(reverse("glossary:term_list")))


def test_the_current_section_is_marked(learner_client):
    header = _header(learner_client.get(reverse("glossary:term_list")))
    assert re.search(r'href="/glossary/"\s+aria-current="page"', header)
    assert not re.search(r'href="/papers/"\s+aria-current="page"', header)
    header = _header(learner_client.get(reverse("papers:guide")))
    assert re.search(r'href="/guide/"\s+aria-current="page"', header)
    assert not re.search(r'href="/papers/"\s+aria-current="page"', header)


def test_the_chrome_follows_the_language(learner_client):
    korean = _header(learner_client.get(reverse("papers:paper_list")))
    learner_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = _header(learner_client.get(reverse("papers:paper_list")))
    assert "용어집" in korean and "Glossary" in english and "용어집" not in english


def test_the_chrome_csrf_token_signs_a_real_post(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    header = _header(client.get(reverse("papers:paper_list")))
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', header))
    assert len(tokens) == 1
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    assert client.get(reverse("progress:dashboard")).status_code == 302  # signed out


def test_the_htmx_script_carries_the_requests_csp_nonce(client, db):
    response = client.get(reverse("papers:paper_list"))
    nonce = re.search(r'htmx-2[^"]*\.js" defer nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]


def test_one_masked_csrf_token_per_request_for_chrome_and_page_forms(learner_client):
    from tests.factories import make_paper

    html = learner_client.get(make_paper(steps=2).get_absolute_url()).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) >= 4 and len(set(tokens)) == 1  # logout, language, two checklist steps


def test_a_templates_own_csrf_token_tag_uses_the_same_masked_token(learner_client):
    from django.urls import reverse

    from tests.factories import make_quiz

    quiz = make_quiz(questions=1)
    learner_client.post(reverse("quizzes:attempt_start", args=[quiz.slug]))
    attempt = quiz.attempts.get()
    html = learner_client.get(attempt.get_absolute_url()).content.decode()
    from django.conf import settings

    template = settings.BASE_DIR / "templates" / "quizzes" / "attempt_take.html"
    assert "{% csrf_token %}" in template.read_text(encoding="utf-8")
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert len(tokens) >= 3 and len(set(tokens)) == 1  # logout, language, the answer form


def test_a_new_csrf_secret_gets_a_new_masked_token(rf):
    from django.middleware.csrf import rotate_token

    from core.chrome import csrf_token

    request = rf.get("/")
    first = csrf_token(request)
    assert csrf_token(request) == first
    rotate_token(request)
    assert csrf_token(request) != first
