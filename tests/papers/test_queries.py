"""Pages run a fixed number of queries however many papers there are, and render no Markdown."""

from unittest import mock

import pytest

from papers.pages import PAGE_SIZE
from papers.signals import reading_progress_changed
from tests.factories import make_category, make_paper, make_quiz, make_term, tick_steps

pytestmark = pytest.mark.django_db

# A page's shared HTML is cached (papers.pages): the first request builds it, the others only
# read the learner's ticks. "user" is the session's user, which the auth stack may cache.
LIST_QUERIES = 6  # user, categories, papers per category, the page's papers, their step counts, ticks
LIST_QUERIES_CACHED = 2  # user, ticks
DETAIL_QUERIES = 8  # user, paper, prerequisites, successors, quizzes, terms, steps, ticks
DETAIL_QUERIES_CACHED = 2  # user, ticks
# After the page was seen: user, the learner's ticks (read again after each tick), the insert or delete.
# The progress app's receivers are not counted here.
TOGGLE_QUERIES = 3


def build_catalog(n: int, user):
    categories = [make_category(order=i) for i in range(6)]
    papers = [make_paper(category=categories[i % 6], steps=3, guide=f"**guide {i}**") for i in range(n)]
    for paper in papers[::3]:
        tick_steps(user=user, paper=paper, count=2)
    return papers


def build_detail(n: int, user):
    paper = make_paper(steps=7, guide="# Guide\n\n**bold**")
    others = [make_paper(steps=2) for _ in range(n)]
    paper.prerequisites.set(others[: n // 2])
    for other in others[n // 2 :]:
        other.prerequisites.add(paper)
    for other in others[::4]:
        tick_steps(user=user, paper=other, count=1)
    for i in range(max(2, n // 20)):
        make_quiz(paper=paper, questions=0, is_published=bool(i % 2))
    for _ in range(n // 4):
        make_term(papers=[paper])
    tick_steps(user=user, paper=paper, count=3)
    return paper


@pytest.mark.parametrize("n", [10, 200])
def test_list_queries_do_not_grow(learner_client, learner, n, django_assert_max_num_queries):
    build_catalog(n, learner)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = learner_client.get("/papers/")
    assert response.status_code == 200
    assert response.content.decode().count('class="paper-card"') == min(n, PAGE_SIZE)
    with django_assert_max_num_queries(LIST_QUERIES_CACHED):
        cached = learner_client.get("/papers/")
    assert cached.content.decode().count('class="paper-card"') == min(n, PAGE_SIZE)
    if n > PAGE_SIZE:
        with django_assert_max_num_queries(LIST_QUERIES):  # another page: built once
            second = learner_client.get("/papers/", {"page": "2"})
        assert second.content.decode().count('class="paper-card"') == min(n - PAGE_SIZE, PAGE_SIZE)


@pytest.mark.parametrize("n", [10, 200])
def test_search_queries_do_not_grow(learner_client, learner, n, django_assert_max_num_queries):
    build_catalog(n, learner)
    for queries in (LIST_QUERIES, LIST_QUERIES_CACHED):  # built, then from the cache
        with django_assert_max_num_queries(queries):
            response = learner_client.get("/papers/", {"q": "paper 1"}, headers={"HX-Request": "true"})
        assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_anonymous_list_queries_do_not_grow(
    client, learner, n, django_assert_max_num_queries, django_assert_num_queries
):
    build_catalog(n, learner)
    with django_assert_max_num_queries(LIST_QUERIES - 2):  # neither user nor ticks
        assert client.get("/papers/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/papers/").status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_detail_queries_do_not_grow(learner_client, learner, n, django_assert_max_num_queries):
    paper = build_detail(n, learner)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = learner_client.get(paper.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('class="step-toggle"') == 7
    with django_assert_max_num_queries(DETAIL_QUERIES_CACHED):
        cached = learner_client.get(paper.get_absolute_url())
    assert cached.content.decode().count('aria-pressed="true"') == 3


@pytest.mark.parametrize("n", [10, 200])
def test_instructor_detail_queries_do_not_grow(instructor_client, instructor, n, django_assert_max_num_queries):
    paper = build_detail(n, instructor)
    for queries in (DETAIL_QUERIES, DETAIL_QUERIES_CACHED):
        with django_assert_max_num_queries(queries):
            assert instructor_client.get(paper.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_toggle_queries_do_not_grow(learner_client, learner, n, django_assert_max_num_queries):
    paper = build_detail(n, learner)
    step = paper.checklist_steps.last()
    url = f"/papers/{paper.slug}/steps/{step.pk}/toggle/"
    learner_client.get(paper.get_absolute_url())
    with mock.patch.object(reading_progress_changed, "send"):
        for done in ("1", "0"):
            with django_assert_max_num_queries(TOGGLE_QUERIES):
                response = learner_client.post(url, {"done": done}, headers={"HX-Request": "true"})
            assert response.status_code == 200


def test_pages_render_no_markdown_per_request(learner_client, learner):
    from tests.factories import make_reading_method

    make_reading_method()
    paper = build_detail(10, learner)
    step = paper.checklist_steps.first()
    boom = mock.Mock(side_effect=AssertionError("Markdown rendered during a request"))
    with mock.patch("core.markdown._markdown_converter", boom):
        assert learner_client.get("/papers/").status_code == 200
        assert learner_client.get("/papers/", {"q": "paper"}, headers={"HX-Request": "true"}).status_code == 200
        assert learner_client.get(paper.get_absolute_url()).status_code == 200
        assert learner_client.get("/guide/").status_code == 200
        response = learner_client.post(
            f"/papers/{paper.slug}/steps/{step.pk}/toggle/", {"done": "1"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        boom.assert_not_called()
        with pytest.raises(AssertionError, match="rendered during"):
            paper.save()  # the patch does catch rendering
