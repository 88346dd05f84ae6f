"""Pages run a fixed number of queries however many papers there are, and render no Markdown."""

from unittest import mock

import pytest

from tests.factories import make_category, make_paper, make_quiz, make_term, tick_steps

pytestmark = pytest.mark.django_db

LIST_QUERIES = 5  # session user, instructor check, categories, papers (+1 spare)
DETAIL_QUERIES = 10  # user, instructor check, paper, steps, prerequisites, successors, quizzes, terms, ticks (+1)


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
    assert response.content.decode().count('class="paper-card"') == n


@pytest.mark.parametrize("n", [10, 200])
def test_search_queries_do_not_grow(learner_client, learner, n, django_assert_max_num_queries):
    build_catalog(n, learner)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = learner_client.get("/papers/", {"q": "paper 1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_anonymous_list_queries_do_not_grow(client, learner, n, django_assert_max_num_queries):
    build_catalog(n, learner)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert client.get("/papers/").status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_detail_queries_do_not_grow(learner_client, learner, n, django_assert_max_num_queries):
    paper = build_detail(n, learner)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = learner_client.get(paper.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('class="step-toggle"') == 7


@pytest.mark.parametrize("n", [10, 200])
def test_instructor_detail_queries_do_not_grow(instructor_client, instructor, n, django_assert_max_num_queries):
    paper = build_detail(n, instructor)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        assert instructor_client.get(paper.get_absolute_url()).status_code == 200


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
