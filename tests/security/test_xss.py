"""Stored and reflected XSS, server side.

Payloads (tests/security/payloads.py) go into every author-controlled field,
the learner's own answers and name, a GIFT `[html]` import and a lesson
document import. Then:

- every stored `*_html` holds only allow-listed tags and attributes, and
  nothing executable;
- every page and partial that shows those fields, for every role, contains
  nothing a browser would execute (escaped text is fine), and does show the
  field's marker (so the check is not vacuous).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from core.markdown import render_markdown
from core.models import rendered_markdown_models
from tests.security.payloads import ALL_PAYLOADS, HTML_PAYLOADS, dangerous_markup, outside_allow_list
from tests.security.xss_world import gift_document, lesson_document, store_payloads

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def payloads(learner, instructor):
    return store_payloads(learner=learner, instructor=instructor)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def visible_text(html: str) -> str:
    """Text with tags removed (auto-linking may split a marker into a link and the rest)."""
    return strip_tags(html)


def assert_inert(html: str, where: str) -> None:
    problems = dangerous_markup(html)
    assert not problems, f"{where}: executable markup survived: {problems[:5]}"


# ---------------------------------------------------------------- the checker itself


def test_the_checker_catches_each_html_payload_unsanitized():
    """Guard against a vacuous suite: raw payloads are flagged; the few that are inert as HTML are known."""
    inert = {
        "<input autofocus onfocus=window.__xss=1>",  # flagged below through its attribute
        "<scr<script>ipt>window.__xss=1</scr</script>ipt>",  # a tag named "scr<script"; its parts are tested
        '<img src=x alt="a" title="`onerror=window.__xss=1`">',
        "<!--<img src=x onerror=window.__xss=1>-->",
        "<![CDATA[<img src=x onerror=window.__xss=1>]]>",
    }
    missed = [p for p in HTML_PAYLOADS if p not in inert and not dangerous_markup(p, content_only=True)]
    assert not missed
    assert dangerous_markup("<input autofocus onfocus=window.__xss=1>")


def test_render_markdown_neutralizes_every_payload():
    for payload in ALL_PAYLOADS:
        rendered = render_markdown(payload)
        assert not dangerous_markup(rendered, content_only=True), (payload, rendered)
        assert not outside_allow_list(rendered), (payload, rendered)


def test_the_page_check_notices_html_written_around_the_sanitizer(payloads):
    from papers.models import Paper

    Paper.objects.filter(pk=payloads.paper.pk).update(guide_html='<p><img src=x onerror="window.__xss=1"></p>')
    html = _client().get(payloads.paper.get_absolute_url()).content.decode()
    assert dangerous_markup(html)


# ---------------------------------------------------------------- stored HTML


def _stored_html_rows():
    for model in rendered_markdown_models():
        for obj in model.objects.all():
            for source, target in model.MARKDOWN_FIELDS.items():
                yield f"{model.__name__}.{target}#{obj.pk}", getattr(obj, source), getattr(obj, target)


def assert_all_stored_html_is_clean(*, expect_markers: bool = True) -> int:
    checked = 0
    for where, source, stored in _stored_html_rows():
        assert not dangerous_markup(stored, content_only=True), (where, dangerous_markup(stored, content_only=True))
        assert not outside_allow_list(stored), (where, outside_allow_list(stored))
        if expect_markers and source and source.startswith("XSS-"):
            marker = source.split()[0]
            assert marker in visible_text(stored), f"{where}: the field was not rendered"
            checked += 1
    return checked


def test_every_stored_html_field_is_sanitized(payloads):
    checked = assert_all_stored_html_is_clean()
    # Paper.guide, ChecklistStep.body, MethodStep.body, Lesson.intro, Quiz.instructions, Question.text /
    # general_feedback / model_answer (×4 questions), Answer.text / feedback, Term.definition …
    assert checked >= 20


def test_sanitized_html_stays_clean_after_relinking(payloads):
    """Glossary auto-linking re-parses stored HTML when terms change; it must not revive anything."""
    from core.models import rerender_all_markdown
    from tests.factories import make_term

    make_term(name_en="img", definition="x")
    make_term(name_en="window", definition="x")
    make_term(name_ko="스크립트", name_en="XSS", definition="<script>window.__xss=1</script>")
    rerender_all_markdown()
    assert_all_stored_html_is_clean()


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("role", ["anon", "learner", "instructor"])
def test_pages_showing_payloads_are_inert(payloads, role):
    user = {"anon": None, "learner": payloads.learner, "instructor": payloads.instructor}[role]
    client = _client(user)
    for label, url, markers in payloads.pages[role]:
        response = client.get(url)
        assert response.status_code == 200, (label, url, response.status_code)
        html = response.content.decode()
        assert_inert(html, f"{role} {label}")
        text = visible_text(html)
        for marker in markers:
            assert marker in text, f"{role} {label}: {marker} is not on the page, so it was not checked"
        if role != "instructor" or not label.startswith("admin"):
            partial = client.get(url, headers=HTMX)
            assert_inert(partial.content.decode(), f"{role} {label} (htmx)")


def test_guide_steps_without_an_introduction_are_inert(payloads):
    payloads.lesson.intro = ""
    payloads.lesson.save()
    html = _client().get(reverse("papers:guide")).content.decode()
    assert "XSS-method-body" in visible_text(html)
    assert_inert(html, "guide steps")


def test_partials_with_payloads_are_inert(payloads):
    learner = _client(payloads.learner)
    attempt = payloads.open_attempt
    for question in payloads.quiz.questions.exclude(qtype="single"):
        url = reverse("quizzes:attempt_autosave", args=[attempt.pk, question.pk])
        response = learner.post(url, {f"q-{question.pk}": ALL_PAYLOADS[0]}, headers=HTMX)
        assert response.status_code == 200
        assert_inert(response.content.decode(), f"autosave {question.qtype}")
    rated = learner.post(
        reverse("quizzes:response_rate", args=[payloads.finished.pk, payloads.model_response.pk]),
        {"rating": "partial"},
        headers=HTMX,
    )
    assert rated.status_code == 200
    html = rated.content.decode()
    assert "XSS-model-answer" in visible_text(html) and "XSS-learner-model" in visible_text(html)
    assert_inert(html, "self-rating partial")
    summary = learner.get(payloads.finished.get_absolute_url(), headers=HTMX)
    assert_inert(summary.content.decode(), "attempt summary partial")
    card_page = learner.get(reverse("glossary:review"), headers=HTMX)
    assert_inert(card_page.content.decode(), "review card partial")
    added = learner.post(reverse("glossary:deck_add_term", args=[payloads.term.slug]), headers=HTMX)
    assert_inert(added.content.decode(), "deck button partial")


def test_admin_markdown_preview_is_sanitized(payloads):
    instructor = _client(payloads.instructor)
    for payload in ALL_PAYLOADS:
        response = instructor.post(reverse("markdownx_markdownify"), {"content": payload})
        assert response.status_code == 200
        assert not dangerous_markup(response.content.decode(), content_only=True), payload


# ---------------------------------------------------------------- reflected input

REFLECTED = "\"><script>window.__xss=1</script><img src=x onerror=window.__xss=1>'><svg onload=window.__xss=1>"


def test_query_parameters_are_never_reflected_as_markup(payloads):
    anon, learner, instructor = _client(), _client(payloads.learner), _client(payloads.instructor)
    requests = [
        (anon, reverse("papers:paper_list"), {"q": REFLECTED, "category": REFLECTED}),
        (anon, reverse("glossary:term_list"), {"q": REFLECTED, "paper": REFLECTED}),
        (anon, reverse("login"), {"next": REFLECTED}),
        (anon, reverse("home"), {"next": REFLECTED, "x": REFLECTED}),
        (learner, reverse("glossary:deck"), {"page": REFLECTED}),
        (learner, reverse("progress:dashboard"), {"x": REFLECTED}),
        (instructor, reverse("quizzes:grading_queue"), {"quiz": REFLECTED, "show": REFLECTED, "page": REFLECTED}),
        (instructor, reverse("quizzes:response_grade", args=[payloads.essay_response.pk]), {"next": REFLECTED}),
        (
            instructor,
            reverse("progress:instructor_matrix"),
            {"q": REFLECTED, "category": REFLECTED, "paper": REFLECTED, "status": REFLECTED, "page": REFLECTED},
        ),
        (instructor, "/admin/papers/paper/", {"q": REFLECTED, "category__id__exact": REFLECTED}),
    ]
    for client, url, params in requests:
        for headers in ({}, HTMX):
            response = client.get(url, params, headers=headers)
            assert response.status_code in (200, 302), (url, response.status_code)
            assert_inert(response.content.decode(), f"{url}?{params}")


def test_error_pages_do_not_reflect_the_path():
    client = Client()
    for path in ["/papers/%3Cscript%3Ewindow.__xss=1%3C/script%3E/", "/%3Cimg%20src=x%20onerror=alert(1)%3E"]:
        response = client.get(path)
        assert response.status_code == 404
        assert_inert(response.content.decode(), path)


def test_bad_form_input_is_echoed_escaped(payloads):
    client = Client()
    response = client.post(
        reverse("signup"), {"username": REFLECTED, "email": REFLECTED, "password1": "a", "password2": "b"}
    )
    assert response.status_code == 200
    assert_inert(response.content.decode(), "sign-up errors")
    response = client.post(reverse("login"), {"username": REFLECTED, "password": "x"})
    assert_inert(response.content.decode(), "sign-in errors")
    instructor = _client(payloads.instructor)
    url = reverse("quizzes:response_grade", args=[payloads.essay_response.pk])
    response = instructor.post(url, {"score": REFLECTED, "comment": REFLECTED, "next": REFLECTED})
    assert response.status_code == 200
    assert_inert(response.content.decode(), "grade form errors")


# ---------------------------------------------------------------- imports


def test_gift_html_import_is_sanitized(payloads):
    from quizzes.models import Question
    from tests.factories import make_quiz

    quiz = make_quiz(paper=payloads.paper, questions=0, slug="gift-xss")
    instructor = _client(payloads.instructor)
    upload = SimpleUploadedFile("xss.gift.txt", gift_document().encode(), content_type="text/plain")
    response = instructor.post(reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk]), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    questions = Question.objects.filter(quiz=quiz)
    assert questions.count() > 20
    assert_all_stored_html_is_clean()
    assert "XSS-gift-fb0" in visible_text(questions.first().answers.get(fraction=1).feedback_html)

    learner = _client(payloads.learner)
    started = learner.post(reverse("quizzes:attempt_start", args=[quiz.slug]))
    take = learner.get(started["Location"])
    assert take.status_code == 200 and "XSS-gift-q0" in visible_text(take.content.decode())
    assert_inert(take.content.decode(), "GIFT quiz take page")
    admin_list = instructor.get(reverse("admin:quizzes_question_changelist"), {"quiz__id__exact": quiz.pk})
    assert_inert(admin_list.content.decode(), "GIFT questions in the admin")


def test_lesson_document_import_is_sanitized(payloads):
    from papers.models import Paper

    instructor = _client(payloads.instructor)
    upload = SimpleUploadedFile("xss-lesson.md", lesson_document().encode(), content_type="text/markdown")
    response = instructor.post(reverse("admin:lessons_importlog_import"), {"document": upload})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert_all_stored_html_is_clean()
    paper = Paper.objects.get(title__startswith="XSS Document Paper")
    for client in (_client(), _client(payloads.learner), instructor):
        for url in (paper.get_absolute_url(), reverse("papers:paper_list"), reverse("glossary:term_list")):
            html = client.get(url).content.decode()
            assert_inert(html, url)
        detail = client.get(paper.get_absolute_url()).content.decode()
        assert "XSS-doc-guide" in visible_text(detail) and "XSS-doc-step" in visible_text(detail)
    learner = _client(payloads.learner)
    quiz = paper.quizzes.get()
    take = learner.get(learner.post(reverse("quizzes:attempt_start", args=[quiz.slug]))["Location"])
    assert "XSS-doc-question" in visible_text(take.content.decode())
    assert_inert(take.content.decode(), "imported quiz")
    log_list = instructor.get(reverse("admin:lessons_importlog_changelist"))
    assert_inert(log_list.content.decode(), "import log")


@pytest.mark.parametrize("field", ["link", "code"])
def test_lesson_document_with_a_script_url_is_refused(payloads, field):
    from papers.models import Paper

    instructor = _client(payloads.instructor)
    document = lesson_document(**{field: "javascript:window.__xss=1"})
    upload = SimpleUploadedFile("xss-lesson.md", document.encode(), content_type="text/markdown")
    response = instructor.post(reverse("admin:lessons_importlog_import"), {"document": upload})
    assert response.status_code == 200  # the form again, with the error
    assert "javascript:" in visible_text(response.content.decode())  # the message names the bad line
    assert_inert(response.content.decode(), "import error")
    assert not Paper.objects.filter(title__startswith="XSS Document Paper").exists()


def test_script_urls_in_paper_links_are_never_links(payloads):
    """paper_url / code_url are URLFields, but rows written by code skip validation: the page filters them."""
    links = dict(payloads.paper.source_links)
    assert all(url.startswith("https://") for url in links.values())
    assert "javascript" not in " ".join(links.values())
    assert_inert(_client().get(payloads.paper.get_absolute_url()).content.decode(), "paper links")
