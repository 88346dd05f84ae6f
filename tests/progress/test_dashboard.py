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
    html = response.content.decode()
    assert "먼저 읽기:" in _row(html, "advanced")

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
    html = learner_client.get(DASHBOARD).content.decode()
    assert "시작 전" in _row(html, "shared")
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


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [10, 1000])
def test_dashboard_query_count_is_fixed(learners, learner_client, learner, django_assert_max_num_queries):
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

    with django_assert_max_num_queries(13):
        response = learner_client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["overview"].total == 13
