from datetime import timedelta

import pytest
from django.utils import timezone

from papers.models import Paper
from papers.signals import reading_progress_changed
from progress.models import Activity
from quizzes.models import Attempt
from quizzes.signals import attempt_changed
from tests.factories import (
    make_category,
    make_learners_bulk,
    make_paper,
    make_paper_progress_bulk,
    make_progress_attempt,
    make_progress_card,
    make_quiz,
    make_term,
    tick_steps,
)

DASHBOARD = "/dashboard/"
PAPERS = "/dashboard/papers/"


def _main(response) -> str:
    """The page's content, without the per-response parts of the layout (CSP nonce, CSRF token)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _row(html: str, slug: str) -> str:
    start = html.index(f'data-paper="{slug}"')
    return html[start : html.index("</tr>", start)]


@pytest.mark.django_db
def test_dashboard_requires_sign_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_dashboard_reflects_reading_quiz_and_flashcards_immediately(learner_client, learner):
    paper = make_paper(steps=3, title="Attention Is All You Need", slug="attention")
    quiz = make_quiz(paper=paper, attempts_allowed=3)
    term_a, term_b, _term_c = (make_term(papers=[paper]) for _ in range(3))

    html = learner_client.get(DASHBOARD).content.decode()
    assert 'data-paper="attention"' not in html  # the dashboard lists started papers
    assert "아직 시작한 논문이 없습니다." in html
    html = learner_client.get(PAPERS).content.decode()  # every paper is on the full list
    assert "시작 전" in _row(html, "attention")
    assert ">0/3<" in _row(html, "attention")

    tick_steps(user=learner, paper=paper, count=2)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=85)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    make_progress_card(user=learner, term=term_a, due=timezone.now() - timedelta(hours=1))
    make_progress_card(user=learner, term=term_b, due=timezone.now() + timedelta(days=3))

    response = learner_client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    row = _row(html, "attention")
    assert "읽는 중" in row
    assert ">2/3<" in row  # steps
    assert "통과" in row
    assert ">85%<" in row  # graded score and best score
    assert ">1/3<" in row  # attempts used of allowed
    assert ">2/3<" in row.split('class="deck"')[1]  # terms in deck of the paper's terms
    assert ">1<" in row.split('class="due"')[1]  # cards due
    # Next steps: the next unread step, due flashcards with the review link.
    assert "Step 3" in html
    assert "/glossary/review/" in html
    # Recent activity and charts, drawn on the server.
    assert "체크리스트" in html
    assert "<svg" in html and "heatmap" in html and "<polyline" not in html  # one score: a point, no line
    assert "<circle" in html
    # The full list shows the same row.
    assert _row(learner_client.get(PAPERS).content.decode(), "attention") == row


@pytest.mark.django_db
def test_awaiting_grading_is_shown_as_such_not_as_failed(learner_client, learner):
    paper = make_paper(steps=1, slug="essay-paper")
    quiz = make_quiz(paper=paper, qtype="essay", questions=1)
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=None, needs_grading=True)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    row = _row(learner_client.get(DASHBOARD).content.decode(), "essay-paper")
    assert "채점 대기" in row
    assert "미통과" not in row


@pytest.mark.django_db
def test_overall_and_category_completion(learner_client, learner):
    category = make_category(name_ko="컴퓨터 비전")
    done = make_paper(steps=1, category=category)
    make_paper(steps=1, category=category)
    make_paper(steps=1, status=Paper.Status.DRAFT, category=category)  # drafts do not count
    tick_steps(user=learner, paper=done)
    reading_progress_changed.send(sender=Paper, user=learner, paper=done)
    html = learner_client.get(DASHBOARD).content.decode()
    assert "2편 중 1편 완료 (50%)" in html
    assert "1/2 (50%)" in html


@pytest.mark.django_db
def test_next_steps_put_prerequisites_first(learner_client, learner):
    basics = make_paper(steps=2, title="Backpropagation basics", slug="basics", order=2)
    advanced = make_paper(steps=2, title="Transformer advanced", slug="advanced", order=1)
    advanced.prerequisites.add(basics)
    response = learner_client.get(DASHBOARD)
    overview = response.context["overview"]
    assert [r.paper.slug for r in overview.next.papers] == ["basics"]
    assert overview.next.step_row.paper == basics
    html = learner_client.get(PAPERS).content.decode()
    assert "먼저 읽기:" in _row(html, "advanced")
    assert "먼저 읽기:" not in _row(html, "basics")

    tick_steps(user=learner, paper=basics)
    reading_progress_changed.send(sender=Paper, user=learner, paper=basics)
    overview = learner_client.get(DASHBOARD).context["overview"]
    assert [r.paper.slug for r in overview.next.papers] == ["advanced"]


@pytest.mark.django_db
def test_next_steps_offer_a_quiz_not_yet_passed(learner_client, learner):
    paper = make_paper(steps=1)
    quiz = make_quiz(paper=paper, title="Quiz to pass")
    tick_steps(user=learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=20)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    response = learner_client.get(DASHBOARD)
    assert [r.quiz for r in response.context["overview"].next.quizzes] == [quiz]
    assert quiz.get_absolute_url() in response.content.decode()


@pytest.mark.django_db
def test_learner_sees_only_their_own_progress(learner_client, learner, other_learner):
    paper = make_paper(steps=2, slug="shared")
    tick_steps(user=other_learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=other_learner, paper=paper)
    assert 'data-paper="shared"' not in learner_client.get(DASHBOARD).content.decode()
    assert "시작 전" in _row(learner_client.get(PAPERS).content.decode(), "shared")
    assert not Activity.objects.filter(user=learner).exists()


@pytest.mark.django_db
def test_charts_escape_labels(learner_client, learner):
    quiz = make_quiz(title="<script>alert(1)</script>")
    for grade in (40, 80):
        attempt = make_progress_attempt(quiz=quiz, user=learner, grade=grade)
        attempt_changed.send(sender=Attempt, attempt=attempt)
    html = learner_client.get(DASHBOARD).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html
    assert "<polyline" in html


def _catalog(*, papers: int = 13):
    categories = [make_category() for _ in range(3)]
    made = []
    for i in range(papers):
        paper = make_paper(steps=3, category=categories[i % 3])
        quiz = make_quiz(paper=paper, questions=1)
        made.append((paper, quiz))
    for paper, _quiz in made[1:]:
        paper.prerequisites.add(made[0][0])
    return made


def _busy_learner(learner, *, learners: int):
    """A catalog of 13 papers, `learners` other learners with progress everywhere, and some of everything."""
    made = _catalog()
    papers = [paper for paper, _quiz in made]
    others = make_learners_bulk(count=learners)
    make_paper_progress_bulk(users=others, papers=papers, quiz_grade=70)
    make_paper_progress_bulk(users=[learner], papers=papers[:5], status="read", steps_done=3)
    for paper, quiz in made[:3]:
        term = make_term(papers=[paper])
        make_progress_card(user=learner, term=term)
        Attempt.objects.create(
            quiz=quiz, user=learner, number=1, state="finished", grade=50, submitted_at=timezone.now()
        )
    for paper in papers[:4]:
        Activity.objects.create(user=learner, kind=Activity.Kind.READING, paper=paper, created_at=timezone.now())
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [10, 1000])
def test_dashboard_query_count_is_fixed(learners, learner_client, learner, django_assert_max_num_queries):
    made = _busy_learner(learner, learners=learners)
    # Cold: the signed-in user, the learner's state, the shared catalog (4) and glossary term counts,
    # the learner's rows, deck and activity, the next step to read (when there is one), the charts.
    with django_assert_max_num_queries(12):
        response = learner_client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["overview"].total == 13
    # Nothing changed: the learner's state, and the content from the cache.
    with django_assert_max_num_queries(2):
        again = learner_client.get(DASHBOARD)
    assert _main(again) == _main(response)
    # The learner ticked a step: their part is read again, the shared catalog stays cached.
    paper = made[5][0]
    paper.checklist_steps.first().set_done(learner, True)
    with django_assert_max_num_queries(7):
        after = learner_client.get(DASHBOARD)
    assert f'data-paper="{paper.slug}"' in after.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [10, 1000])
def test_paper_list_query_count_is_fixed(learners, learner_client, learner, django_assert_max_num_queries):
    _busy_learner(learner, learners=learners)
    learner_client.get(DASHBOARD)  # the shared catalog is cached
    with django_assert_max_num_queries(4):
        response = learner_client.get(PAPERS)
    assert response.status_code == 200
    assert len(response.context["papers"].rows) == 13
    with django_assert_max_num_queries(2):
        assert _main(learner_client.get(PAPERS)) == _main(response)


# ------------------------------------------------------------ the full paginated list


@pytest.fixture
def long_catalog(settings):
    from progress import reports

    category = make_category()
    papers = [make_paper(steps=1, category=category, order=i, slug=f"long-{i:02d}") for i in range(7)]
    original = reports.PAPERS_PAGE_SIZE
    reports.PAPERS_PAGE_SIZE = 3
    yield papers
    reports.PAPERS_PAGE_SIZE = original


@pytest.mark.django_db
def test_paper_list_is_paginated_without_htmx(learner_client, long_catalog):
    first = learner_client.get(PAPERS).content.decode()
    assert [slug for slug in ("long-00", "long-01", "long-02", "long-03") if f'data-paper="{slug}"' in first] == [
        "long-00",
        "long-01",
        "long-02",
    ]
    assert "1 / 3 쪽" in first
    assert 'href="?page=2"' in first and "<html" in first
    last = learner_client.get(PAPERS, {"page": "3"}).content.decode()
    assert 'data-paper="long-06"' in last and 'data-paper="long-00"' not in last
    assert 'href="?page=2"' in last and 'href="?page=4"' not in last


@pytest.mark.django_db
def test_paper_list_pages_swap_with_htmx(learner_client, long_catalog):
    response = learner_client.get(PAPERS, {"page": "2"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="paper-table">') and "<html" not in html
    assert 'data-paper="long-03"' in html and 'hx-get="?page=3"' in html and 'hx-target="#paper-table"' in html
    assert "HX-Request" in response["Vary"]
    full = learner_client.get(PAPERS, {"page": "2"}).content.decode()
    assert html.strip() in full  # the same table, in the page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "first_slug"),
    [("abc", "long-00"), ("0", "long-00"), ("-2", "long-00"), ("999", "long-06"), ("", "long-00"), ("2.5", "long-00")],
)
def test_bad_page_numbers_show_a_page(learner_client, long_catalog, page, first_slug):
    response = learner_client.get(PAPERS, {"page": page})
    assert response.status_code == 200
    assert f'data-paper="{first_slug}"' in response.content.decode()


@pytest.mark.django_db
def test_paper_list_requires_sign_in(client):
    response = client.get(PAPERS)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_dashboard_links_to_the_full_list(learner_client, long_catalog):
    html = learner_client.get(DASHBOARD).content.decode()
    assert f'href="{PAPERS}"' in html
    assert "논문 7편의 진도 모두 보기" in html


# ------------------------------------------------------------ cached content stays current


@pytest.mark.django_db
def test_ticking_a_step_shows_on_the_cached_dashboard(learner_client, learner):
    paper = make_paper(steps=2, slug="tick-me")
    learner_client.get(DASHBOARD)  # cached: nothing started
    today = timezone.localdate().isoformat()
    paper.checklist_steps.first().set_done(learner, True)
    html = learner_client.get(DASHBOARD).content.decode()
    assert ">1/2<" in _row(html, "tick-me")
    assert f'data-date="{today}" data-count="1"' in html  # the heatmap counts today's study
    assert "1/2 단계" in html  # recent activity
    paper.checklist_steps.last().set_done(learner, True)
    html = learner_client.get(DASHBOARD).content.decode()
    assert "완료" in _row(html, "tick-me") and ">2/2<" in _row(html, "tick-me")
    assert ">2/2<" in _row(learner_client.get(PAPERS).content.decode(), "tick-me")


@pytest.mark.django_db
def test_a_graded_attempt_shows_on_the_cached_charts(learner_client, learner):
    quiz = make_quiz(title="Charted quiz")
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=40)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    assert "<circle" in learner_client.get(DASHBOARD).content.decode()
    assert "<polyline" not in learner_client.get(DASHBOARD).content.decode()
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=90)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    assert "<polyline" in learner_client.get(DASHBOARD).content.decode()


@pytest.mark.django_db
def test_a_tick_redraws_the_heatmap_but_not_the_scores(learner_client, learner):
    from unittest import mock

    from progress import charts

    quiz = make_quiz(title="Charted quiz")
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=40)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    paper = make_paper(steps=2, slug="tick-me")
    first = learner_client.get(DASHBOARD).content.decode()
    with mock.patch.object(charts, "score_chart_svg", wraps=charts.score_chart_svg) as drawn:
        paper.checklist_steps.first().set_done(learner, True)
        html = learner_client.get(DASHBOARD).content.decode()
        assert drawn.call_count == 0  # the scores are what they were
        assert html.count("<circle") == first.count("<circle") == 1 and "Charted quiz" in html
        Attempt.objects.filter(pk=attempt.pk).update(grade=90)  # regraded
        attempt_changed.send(sender=Attempt, attempt=Attempt.objects.get(pk=attempt.pk))
        html = learner_client.get(DASHBOARD).content.decode()
        assert drawn.call_count == 1
    assert "<td>90%</td>" in html and "<td>40%</td>" not in html


@pytest.mark.django_db
def test_cards_falling_due_show_without_any_change(learner_client, learner):
    paper = make_paper(slug="deck-paper")
    tick_steps(user=learner, paper=paper, count=1)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    card = make_progress_card(user=learner, term=make_term(papers=[paper]), due=timezone.now() + timedelta(hours=1))
    html = learner_client.get(DASHBOARD).content.decode()
    assert ">0<" in _row(html, "deck-paper").split('class="due"')[1]
    type(card).objects.filter(pk=card.pk).update(due=timezone.now() - timedelta(minutes=1))  # time passes
    html = learner_client.get(DASHBOARD).content.decode()
    assert ">1<" in _row(html, "deck-paper").split('class="due"')[1]
    assert "플래시카드 1장 복습하기" in html


@pytest.mark.django_db
def test_catalog_changes_show_on_the_cached_pages(learner_client, learner):
    paper = make_paper(steps=1, title="Old title", slug="renamed")
    tick_steps(user=learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    assert "Old title" in learner_client.get(DASHBOARD).content.decode()
    assert "Old title" in learner_client.get(PAPERS).content.decode()
    paper.title = "New title"
    paper.save()
    make_term(papers=[paper])  # a glossary term now lists the paper
    for url in (DASHBOARD, PAPERS):
        html = learner_client.get(url).content.decode()
        assert "New title" in html and "Old title" not in html
        assert ">0/1<" in _row(html, "renamed").split('class="deck"')[1]
    quiz = make_quiz(paper=paper, title="Renamed quiz")  # a new published quiz
    assert quiz.get_absolute_url() in _row(learner_client.get(PAPERS).content.decode(), "renamed")
    quiz.is_published = False
    quiz.save()
    assert "퀴즈 없음" in _row(learner_client.get(PAPERS).content.decode(), "renamed")
    basics = make_paper(steps=1, title="Basics first", slug="basics-first")
    paper.prerequisites.add(basics)
    assert "먼저 읽기:" in _row(learner_client.get(PAPERS).content.decode(), "renamed")
    newcomer = make_paper(steps=1, slug="newcomer", status=Paper.Status.DRAFT)
    Paper.objects.filter(pk=newcomer.pk).update(status=Paper.Status.PUBLISHED)  # a bulk publish: no signal
    from papers.signals import catalog_changed

    catalog_changed()  # what the papers admin's publish action does after its update()
    assert 'data-paper="newcomer"' in learner_client.get(PAPERS).content.decode()


@pytest.mark.django_db
def test_learners_never_see_each_others_cached_pages(client, learner, other_learner):
    paper = make_paper(steps=2, slug="mine")
    tick_steps(user=learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    client.force_login(learner)
    assert 'data-paper="mine"' in client.get(DASHBOARD).content.decode()
    client.force_login(other_learner)
    assert 'data-paper="mine"' not in client.get(DASHBOARD).content.decode()
    assert "시작 전" in _row(client.get(PAPERS).content.decode(), "mine")
