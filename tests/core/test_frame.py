"""Pages served from their frame (core/frame.py): the same page as the template renders, per request's values."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from core import frame
from tests.factories import make_paper, make_quiz, make_term, make_user

TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")  # a masked CSRF token
NONCE = re.compile(r'nonce="[^"]+"')


def _normalized(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert frame.FILL not in html and "chrome7slot7" not in html
    return NONCE.sub('nonce="-"', TOKEN.sub("TOKEN", html))


def _as_rendered(client, url: str) -> str:
    """The page as its template renders it, without the frame (the path a request with messages takes)."""
    with mock.patch.object(frame, "_has_messages", return_value=True):
        return _normalized(client.get(url))


@pytest.fixture
def pages(db):
    """The framed pages, with hostile text where a title goes."""
    paper = make_paper(title="Attention <b>& you</b>", steps=2)
    make_term(name_ko="어텐션", name_en="Attention", papers=[paper])
    quiz = make_quiz(paper=paper, questions=2, title='Quiz "<i>one</i>"', time_limit=timedelta(minutes=10))
    return paper, quiz


def _urls(client, quiz, paper) -> list[str]:
    client.post(reverse("quizzes:attempt_start", args=[quiz.slug]))
    attempt = quiz.attempts.latest("pk")
    return [
        reverse("papers:paper_list"),
        paper.get_absolute_url(),
        reverse("glossary:term_list"),
        reverse("glossary:term_list") + "?paper=no-such-paper",
        attempt.get_absolute_url(),
        reverse("progress:dashboard"),
    ]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_each_framed_page_is_the_page_its_template_renders(pages, language):
    paper, quiz = pages
    client = Client()
    client.force_login(make_user(username="reader"))
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    for url in _urls(client, quiz, paper):
        framed = _normalized(client.get(url))
        assert framed == _normalized(client.get(url)), url  # the frame reused
        assert framed == _as_rendered(client, url), url


def test_an_instructor_and_a_visitor_get_their_own_frames(pages, instructor):
    paper, _quiz = pages
    visitor = Client()
    teacher = Client()
    teacher.force_login(instructor)
    for url in (reverse("papers:paper_list"), paper.get_absolute_url(), reverse("glossary:term_list")):
        for client in (visitor, teacher):
            assert _normalized(client.get(url)) == _as_rendered(client, url), url
    grading = reverse("quizzes:grading_queue")
    assert grading in teacher.get(reverse("glossary:term_list")).content.decode()
    assert grading not in visitor.get(reverse("glossary:term_list")).content.decode()


def test_the_frame_is_rendered_once_for_every_learner(pages):
    paper, _quiz = pages
    with mock.patch.object(frame, "_render_frame", wraps=frame._render_frame) as rendered:
        pages_html = {}
        for name in ("first<b>", "second"):
            client = Client()
            client.force_login(make_user(username=name))
            pages_html[name] = client.get(paper.get_absolute_url()).content.decode()
    assert rendered.call_count == 1
    assert "(first&lt;b&gt;)" in pages_html["first<b>"] and "first" not in pages_html["second"]
    assert "(second)" in pages_html["second"]
    tokens = [set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', h)) for h in pages_html.values()]
    assert all(len(t) == 1 for t in tokens) and tokens[0] != tokens[1]


def test_the_title_is_escaped_once(pages):
    paper, quiz = pages
    client = Client()
    client.force_login(make_user())
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "<title>Attention &lt;b&gt;&amp; you&lt;/b&gt; ·" in html
    client.post(reverse("quizzes:attempt_start", args=[quiz.slug]))
    html = client.get(quiz.attempts.get().get_absolute_url()).content.decode()
    assert "<title>Quiz &quot;&lt;i&gt;one&lt;/i&gt;&quot; ·" in html


def test_a_renamed_paper_gets_a_new_frame(pages):
    paper, _quiz = pages
    client = Client()
    client.force_login(make_user())
    client.get(paper.get_absolute_url())
    paper.title = "Renamed"
    paper.save()
    assert "<title>Renamed ·" in client.get(paper.get_absolute_url()).content.decode()


def test_the_csp_nonce_in_the_page_is_the_one_in_the_header(pages):
    client = Client()
    for _ in range(2):  # the frame rendered, then reused
        response = client.get(reverse("glossary:term_list"))
        nonces = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
        assert len(nonces) == 1
        assert f"'nonce-{nonces.pop()}'" in response.headers["Content-Security-Policy"]


def test_the_framed_csrf_token_signs_a_real_post(pages):
    paper, _quiz = pages
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    client.get(paper.get_absolute_url())  # renders the frame
    html = client.get(paper.get_absolute_url()).content.decode()
    (token,) = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    step = paper.checklist_steps.first()
    data = {"csrfmiddlewaretoken": token, "done": "1"}
    response = client.post(reverse("papers:step_toggle", args=[paper.slug, step.pk]), data)
    assert response.status_code == 302
    assert step.progress.exists()


def test_a_message_waiting_is_shown_once_on_a_framed_page(pages):
    client = Client()
    client.force_login(make_user())
    index = reverse("glossary:term_list")
    client.get(index)  # the frame is cached
    term = make_term(name_ko="잔차", name_en="Residual")
    client.post(reverse("glossary:deck_add_term", args=[term.slug]))
    html = client.get(index).content.decode()
    assert "카드를 복습 덱에 넣었습니다" in html and 'class="messages"' in html
    html = client.get(index).content.decode()
    assert "카드를 복습 덱에 넣었습니다" not in html and 'class="messages"' not in html


def test_the_test_client_still_sees_the_context(learner_client, pages):
    learner_client.get(reverse("progress:dashboard"))  # renders the frame
    response = learner_client.get(reverse("progress:dashboard"))
    assert response.context["overview"].total == 1
    assert "progress/dashboard.html" in [t.name for t in response.templates]
