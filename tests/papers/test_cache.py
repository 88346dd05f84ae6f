"""The catalog pages come from the cache (papers.pages) and show every change at once."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from papers.models import ChecklistStep, Paper
from tests.factories import make_category, make_paper, make_quiz, make_reading_method, make_term
from tests.papers.test_admin import paper_form_data

pytestmark = pytest.mark.django_db

LIST_URL = "/papers/"


def page(client, url=LIST_URL, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def assert_cached(client, url):
    """A second request builds nothing: no catalog query, only the learner's (or none)."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not [q for q in queries.captured_queries if "papers_paper" in q["sql"]]


def test_saving_a_paper_updates_list_and_detail(client):
    paper = make_paper(title="Old title", summary="Old summary", guide="Old **guide**")
    assert "Old title" in page(client) and "Old summary" in page(client)
    assert "<strong>guide</strong>" in page(client, paper.get_absolute_url())
    assert_cached(client, LIST_URL)
    assert_cached(client, paper.get_absolute_url())

    paper.title, paper.summary, paper.guide = "New title", "New summary", "New *guide*"
    paper.save()
    content = page(client)
    assert "New title" in content and "New summary" in content and "Old title" not in content
    detail = page(client, paper.get_absolute_url())
    assert "New title" in detail and "<em>guide</em>" in detail and "Old" not in detail


def test_editing_in_the_admin_updates_the_pages(instructor_client):
    client = Client()  # instructor_client is the `client` fixture, signed in
    category = make_category()
    paper = make_paper(title="Generative Adversarial Networks", slug="gan", category=category, steps=0)
    assert "GAN을 소개한" not in page(client, paper.get_absolute_url())
    assert "Generative Adversarial Networks" in page(client)

    data = paper_form_data(category, summary="GAN을 소개한 논문, 고쳐 씀.", title="GANs, edited")
    data.update(
        {
            "checklist_steps-TOTAL_FORMS": "1",
            "checklist_steps-0-order": "1",
            "checklist_steps-0-title": "새로 넣은 단계",
        }
    )
    assert instructor_client.post(f"/admin/papers/paper/{paper.pk}/change/", data).status_code == 302
    detail = page(client, paper.get_absolute_url())
    assert "GAN을 소개한 논문, 고쳐 씀." in detail and "GANs, edited" in detail and "새로 넣은 단계" in detail
    assert "GANs, edited" in page(client) and "Generative Adversarial Networks" not in page(client)


def test_publishing_and_unpublishing_in_the_admin(instructor_client):
    client = Client()
    paper = make_paper(title="Soon public", status=Paper.Status.DRAFT)
    assert "Soon public" not in page(client)
    assert client.get(paper.get_absolute_url()).status_code == 404
    instructor_client.post("/admin/papers/paper/", {"action": "publish", ACTION_CHECKBOX_NAME: [paper.pk]})
    assert "Soon public" in page(client)
    assert "Soon public" in page(client, paper.get_absolute_url())
    instructor_client.post("/admin/papers/paper/", {"action": "unpublish", ACTION_CHECKBOX_NAME: [paper.pk]})
    assert "Soon public" not in page(client)
    assert client.get(paper.get_absolute_url()).status_code == 404


def test_instructors_and_learners_never_share_a_cached_page(client, learner, instructor):
    make_paper(title="Public paper")
    draft = make_paper(title="Secret draft", status=Paper.Status.DRAFT)
    draft.prerequisites.add(make_paper(title="Base paper"))
    client.force_login(instructor)
    assert "Secret draft" in page(client)
    assert "관리 화면에서 편집" in page(client, "/papers/" + make_paper(title="Seen").slug + "/")
    client.force_login(learner)
    assert "Secret draft" not in page(client)
    assert "관리 화면에서" not in page(client, "/papers/" + Paper.objects.get(title="Seen").slug + "/")
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.logout()
    assert "Secret draft" not in page(client)


def test_checklist_steps_added_or_removed(client, learner):
    make_reading_method()
    paper = make_paper(steps=0)
    client.force_login(learner)
    assert "이 논문에는 아직 체크리스트가 없습니다" in page(client, paper.get_absolute_url())
    assert "0 / 0 단계" in page(client)
    paper.ensure_checklist()  # bulk_create: no signals
    assert "0 / 7 단계 완료" in page(client, paper.get_absolute_url())
    assert "0 / 7 단계" in page(client)
    step = ChecklistStep.objects.create(paper=paper, order=8, title="여덟째 단계")
    assert "여덟째 단계" in page(client, paper.get_absolute_url())
    step.delete()
    assert "여덟째 단계" not in page(client, paper.get_absolute_url())
    assert "0 / 7 단계" in page(client)


def test_quizzes_terms_and_prerequisites_on_the_detail_page(client):
    paper = make_paper(title="Main paper")
    url = paper.get_absolute_url()
    assert "이 논문의 퀴즈는 아직 없습니다" in page(client, url)
    quiz = make_quiz(paper=paper, title="Main quiz", questions=0)
    assert "Main quiz" in page(client, url)
    quiz.is_published = False
    quiz.save()
    assert "Main quiz" not in page(client, url)

    term = make_term(name_ko="어텐션", name_en="Attention", papers=[paper])
    assert "어텐션 (Attention)" in page(client, url)
    term.name_en = "Self-attention"
    term.save()
    assert "어텐션 (Self-attention)" in page(client, url)
    term.papers.remove(paper)
    assert "어텐션" not in page(client, url)

    base = make_paper(title="Foundation paper")
    paper.prerequisites.add(base)
    assert "Foundation paper" in page(client, url)
    base.title = "Foundation, renamed"
    base.save()
    assert "Foundation, renamed" in page(client, url)
    paper.prerequisites.clear()
    assert "Foundation" not in page(client, url)


def test_renaming_a_category_updates_headings_and_breadcrumbs(client):
    category = make_category(name_ko="옛 이름")
    paper = make_paper(category=category)
    assert "옛 이름" in page(client) and "옛 이름" in page(client, paper.get_absolute_url())
    category.name_ko = "새 이름"
    category.save()
    assert "새 이름" in page(client) and "새 이름" in page(client, paper.get_absolute_url())


def test_each_language_has_its_own_cached_page(client):
    paper = make_paper(title="Any paper")
    assert "<h1>논문</h1>" in page(client)
    assert "읽기 가이드" in page(client, paper.get_absolute_url())
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<h1>Papers</h1>" in page(client)
    assert "Reading guide" in page(client, paper.get_absolute_url())


def test_relinking_stored_markdown_updates_guides_and_steps(client, learner):
    from core.models import rerender_all_markdown

    paper = make_paper(guide="Read about the **transformer** first.", steps=0)
    ChecklistStep.objects.create(paper=paper, order=1, title="Step", body="The transformer again")
    client.force_login(learner)
    assert "term-link" not in page(client, paper.get_absolute_url())
    term = make_term(name_en="Transformer", papers=[])
    assert "term-link" not in page(client, paper.get_absolute_url())  # not re-linked yet (after commit)
    rerender_all_markdown()  # what re-linking does after a term is saved (bulk, no signals)
    content = page(client, paper.get_absolute_url())
    assert content.count(f'href="{term.get_absolute_url()}" class="term-link"') == 2


def main(content: str) -> str:
    return content[content.index("<main") : content.index("</main>")]


def test_visitor_learner_and_instructor_pages_differ_only_as_they_should(client, learner, instructor):
    paper = make_paper(title="Shared paper", steps=2)
    first = paper.checklist_steps.first()
    visitor = main(page(client, paper.get_absolute_url()))
    assert "csrfmiddlewaretoken" not in visitor and "/toggle/" not in visitor and "로그인" in visitor
    client.force_login(learner)
    learner_page = main(page(client, paper.get_absolute_url()))
    assert learner_page.count('name="csrfmiddlewaretoken"') == 2 and "관리 화면에서 편집" not in learner_page
    client.post(f"/papers/{paper.slug}/steps/{first.pk}/toggle/", {"done": "1"})
    assert 'aria-pressed="true"' in page(client, paper.get_absolute_url())
    client.force_login(instructor)
    instructor_page = page(client, paper.get_absolute_url())
    assert 'aria-pressed="true"' not in instructor_page and "관리 화면에서 편집" in instructor_page


def test_csrf_tokens_are_never_cached(client, learner, other_learner):
    from django.core.cache import cache

    paper = make_paper(steps=2)
    client.force_login(learner)
    content = page(client, paper.get_absolute_url())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)[1]
    stored = [cache.get(key) for key in cache._cache]  # LocMemCache in tests
    assert not any(token in str(value) for value in stored)
    client.force_login(other_learner)
    other = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(client, paper.get_absolute_url()))[1]
    assert other != token


def test_saving_some_fields_only_still_refreshes_the_card(client):
    paper = make_paper(title="Before")
    assert "Before" in page(client)
    paper.title = "After"
    paper.save(update_fields=["title"])
    assert "After" in page(client) and "Before" not in page(client)


def test_learners_with_the_same_tick_counts_share_a_put_together_list(client, learner, other_learner, monkeypatch):
    """The list is put together once per process for each combination of its cards' tick counts."""
    from django.urls import reverse

    from papers import pages

    paper = make_paper(steps=0)
    steps = [ChecklistStep.objects.create(paper=paper, order=n, title=f"단계 {n}") for n in (1, 2, 3)]
    client.force_login(learner)
    assert "0 / 3 단계" in page(client)
    other = Client()
    other.force_login(other_learner)
    monkeypatch.setattr(pages, "fragments", lambda *a, **k: pytest.fail("put together again"))
    assert "0 / 3 단계" in page(other)  # the same counts: the first learner's page, from this process
    monkeypatch.undo()

    client.post(reverse("papers:step_toggle", args=[paper.slug, steps[0].pk]), {"done": "1"})
    assert "1 / 3 단계" in page(client)  # her own counts now
    assert "0 / 3 단계" in page(other) and "1 / 3 단계" not in page(other)
    paper.title = "새 제목"
    paper.save()  # the catalog's version: a new outline, so nothing put together before is used
    assert "새 제목" in page(other) and "새 제목" in page(client)


def test_a_papers_page_put_together_once_still_carries_each_requests_csrf_token(learner, other_learner, monkeypatch):
    """Learners with the same ticks share a page put together once; its step forms get each one's own token."""
    from django.middleware.csrf import _unmask_cipher_token

    from papers import pages

    paper = make_paper(steps=2)
    first, second = Client(), Client()
    first.force_login(learner)
    second.force_login(other_learner)
    url = paper.get_absolute_url()
    mine = page(first, url)
    monkeypatch.setattr(pages, "fragments", lambda *a, **k: pytest.fail("put together again"))
    theirs = page(second, url)
    assert pages.CSRF_MARKER not in mine and pages.CSRF_MARKER not in theirs
    for html, client in ((mine, first), (theirs, second)):
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        assert len(tokens) == 1  # the chrome's and both steps' forms: one masking per request
        assert _unmask_cipher_token(tokens.pop()) == client.cookies["csrftoken"].value
