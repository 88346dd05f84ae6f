from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from papers.models import Paper
from papers.signals import reading_progress_changed
from progress.models import PaperProgress
from quizzes.models import Attempt, Question, Response
from quizzes.signals import attempt_changed
from tests.factories import (
    make_category,
    make_instructor,
    make_learners_bulk,
    make_paper,
    make_paper_progress_bulk,
    make_progress_attempt,
    make_quiz,
    make_user,
    tick_steps,
)

MATRIX = "/instructor/"


def _cell_text(html: str, learner_id: int) -> str:
    start = html.index(f'data-learner="{learner_id}"')
    return html[start : html.index("</tr>", start)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        MATRIX,
        "/instructor/learners/1/",
        "/instructor/quizzes/some-quiz/",
        "/instructor/export/progress.csv",
        "/instructor/export/grades.csv",
    ],
)
def test_learners_get_403_and_anonymous_users_sign_in(url, client, learner):
    response = client.get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    client.force_login(learner)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_learner_cannot_reach_another_learners_progress_by_id(learner_client, other_learner):
    # There is no learner URL with an id; the instructor one is closed to learners.
    assert learner_client.get(f"/instructor/learners/{other_learner.pk}/").status_code == 403
    assert learner_client.get(f"/dashboard/{other_learner.pk}/").status_code == 404


@pytest.mark.django_db
def test_unknown_ids_are_404(instructor_client):
    assert instructor_client.get("/instructor/learners/999999/").status_code == 404
    assert instructor_client.get("/instructor/quizzes/no-such-quiz/").status_code == 404


@pytest.mark.django_db
def test_matrix_shows_the_same_numbers_as_the_dashboard(client, instructor_client, learner):
    paper = make_paper(steps=3, title="Deep Residual Learning")
    quiz = make_quiz(paper=paper)
    tick_steps(user=learner, paper=paper, count=3)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade="72.5")
    attempt_changed.send(sender=Attempt, attempt=attempt)

    response = instructor_client.get(MATRIX)
    assert response.status_code == 200
    cell = _cell_text(response.content.decode(), learner.pk)
    assert "완료" in cell
    assert "3/3" in cell
    assert "72.5%" in cell

    client.force_login(learner)
    row = client.get("/dashboard/").context["overview"].rows[0].progress
    matrix_cell = response.context["matrix"].rows[0].cells[0]
    assert (row.status, row.steps_done, row.steps_total, row.quiz_grade) == (
        matrix_cell.status,
        matrix_cell.steps_done,
        matrix_cell.steps_total,
        matrix_cell.quiz_grade,
    )


@pytest.mark.django_db
def test_matrix_lists_learners_not_instructors(instructor_client, instructor, learner):
    make_paper()
    html = instructor_client.get(MATRIX).content.decode()
    assert f'data-learner="{learner.pk}"' in html
    assert f'data-learner="{instructor.pk}"' not in html


@pytest.mark.django_db
def test_matrix_filters(instructor_client):
    vision, language = make_category(slug="vision"), make_category(slug="language")
    resnet = make_paper(category=vision, title="ResNet paper")
    bert = make_paper(category=language, title="BERT paper")
    ada, bob = make_user(username="ada", first_name="Ada"), make_user(username="bob")
    old = timezone.now() - timedelta(days=30)
    PaperProgress.objects.create(user=ada, paper=resnet, status="reading", last_activity_at=timezone.now())
    PaperProgress.objects.create(user=bob, paper=bert, status="reading", last_activity_at=old)

    context = instructor_client.get(MATRIX, {"category": "vision"}).context
    assert [p.title for p in context["matrix"].papers] == ["ResNet paper"]

    context = instructor_client.get(MATRIX, {"q": "ad"}).context
    assert [r.learner.username for r in context["matrix"].rows] == ["ada"]

    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    context = instructor_client.get(MATRIX, {"since": since}).context
    assert [r.learner.username for r in context["matrix"].rows] == ["ada"]

    until = (timezone.localdate() - timedelta(days=7)).isoformat()
    context = instructor_client.get(MATRIX, {"until": until}).context
    assert [r.learner.username for r in context["matrix"].rows] == ["bob"]


@pytest.mark.django_db
def test_bad_filters_get_a_message_and_no_500(instructor_client):
    make_user(username="ada")
    response = instructor_client.get(MATRIX, {"since": "not-a-date", "category": "nope", "q": "ada"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "YYYY-MM-DD" in html
    assert "그런 분야가 없습니다." in html
    # The valid filter still applies, and the text typed is kept.
    assert [r.learner.username for r in response.context["matrix"].rows] == ["ada"]
    assert 'value="ada"' in html

    response = instructor_client.get(MATRIX, {"since": "2026-05-02", "until": "2026-05-01"})
    assert "종료일은 시작일보다 빠를 수 없습니다." in response.content.decode()


@pytest.mark.django_db
def test_matrix_htmx_gets_only_the_results_partial(instructor_client):
    make_paper()
    response = instructor_client.get(MATRIX, {"q": "x"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="matrix-results">')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    full = instructor_client.get(MATRIX)
    assert "HX-Request" in full["Vary"]
    assert 'hx-target="#matrix-results"' in full.content.decode()
    assert 'action="/instructor/"' in full.content.decode()


@pytest.mark.django_db
def test_matrix_paginates_learners(instructor_client):
    make_paper()
    make_learners_bulk(count=60)
    first = instructor_client.get(MATRIX).context["matrix"]
    second = instructor_client.get(MATRIX, {"page": "2"}).context["matrix"]
    assert len(first.rows) == 50
    assert len(second.rows) == 10
    assert instructor_client.get(MATRIX, {"page": "zzz"}).status_code == 200


def _catalog(*, papers: int = 13):
    categories = [make_category() for _ in range(3)]
    made = []
    for i in range(papers):
        paper = make_paper(steps=3, category=categories[i % 3])
        made.append(paper)
        make_quiz(paper=paper, questions=1)
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [10, 1000])
def test_matrix_query_count_is_fixed(learners, instructor_client, django_assert_max_num_queries):
    papers = _catalog()
    users = make_learners_bulk(count=learners)
    make_paper_progress_bulk(users=users, papers=papers, quiz_grade=80, status="completed", steps_done=3)
    with django_assert_max_num_queries(10):
        response = instructor_client.get(MATRIX, {"q": "bulk"})
    assert response.status_code == 200
    assert response.context["matrix"].learner_count == learners
    assert len(response.context["matrix"].rows) == min(learners, 50)
    with django_assert_max_num_queries(12):
        response = instructor_client.get(MATRIX, {"category": papers[0].category.slug, "since": "2020-01-01"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_learner_detail_shows_progress_and_attempts(instructor_client, learner):
    paper = make_paper(steps=2, slug="detail-paper")
    quiz = make_quiz(paper=paper, title="ResNet quiz")
    tick_steps(user=learner, paper=paper, count=1)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade=None, needs_grading=True)
    attempt_changed.send(sender=Attempt, attempt=attempt)
    response = instructor_client.get(f"/instructor/learners/{learner.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ResNet quiz" in html
    assert "1/2" in html
    assert "채점 대기" in html
    assert attempt.get_absolute_url() in html


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [10, 1000])
def test_learner_detail_query_count_is_fixed(learners, instructor_client, django_assert_max_num_queries):
    papers = _catalog()
    users = make_learners_bulk(count=learners)
    make_paper_progress_bulk(users=users, papers=papers, quiz_grade=80)
    with django_assert_max_num_queries(13):  # with the shared catalog (5) not cached yet
        response = instructor_client.get(f"/instructor/learners/{users[0].pk}/")
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        assert instructor_client.get(f"/instructor/learners/{users[0].pk}/").status_code == 200


@pytest.mark.django_db
def test_quiz_statistics(instructor_client, learner, other_learner, django_assert_max_num_queries):
    quiz = make_quiz(questions=2, pass_mark=Decimal("60"), slug="stats-quiz")
    questions = list(quiz.questions.order_by("order"))
    for user, grade, scores in ((learner, 100, (1, 1)), (other_learner, 50, (1, 0))):
        attempt = make_progress_attempt(quiz=quiz, user=user, grade=grade)
        for question, score in zip(questions, scores, strict=True):
            Response.objects.create(attempt=attempt, question=question, score=Decimal(score), fraction=Decimal(score))
        attempt_changed.send(sender=Attempt, attempt=attempt)
    make_progress_attempt(quiz=quiz, user=learner, state="in_progress")

    with django_assert_max_num_queries(8):
        response = instructor_client.get("/instructor/quizzes/stats-quiz/")
    assert response.status_code == 200
    stats = response.context["stats"]
    assert (stats.attempts, stats.finished, stats.graded, stats.learners) == (3, 2, 2, 2)
    assert stats.average_grade == Decimal("75")
    assert stats.pass_rate == 50
    first, second = stats.questions
    assert (first.answered, first.correct_percent, first.average_percent) == (2, 100, 100)
    assert (second.answered, second.correct_percent, second.average_percent) == (2, 50, 50)
    assert isinstance(first.question, Question)
    html = response.content.decode()
    assert "<svg" in html
    assert "50%" in html


@pytest.mark.django_db
def test_admin_lists_progress_and_links_to_reports(client, learner):
    paper = make_paper(steps=1)
    tick_steps(user=learner, paper=paper)
    reading_progress_changed.send(sender=Paper, user=learner, paper=paper)

    admin = make_user(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get("/admin/progress/paperprogress/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/instructor/"' in html
    assert "/instructor/export/progress.csv" in html
    assert learner.username in html
    row = PaperProgress.objects.get()
    assert client.get(f"/admin/progress/paperprogress/{row.pk}/change/").status_code == 200
    assert client.get("/admin/progress/paperprogress/add/").status_code == 403
    assert client.get("/admin/progress/activity/").status_code == 200


@pytest.mark.django_db
def test_instructor_can_view_progress_in_admin(client):
    from accounts.permissions import sync_instructor_permissions

    # The group's view permissions on progress models (accounts syncs them after migrate).
    sync_instructor_permissions()
    make_paper()
    teacher = make_instructor()
    client.force_login(teacher)
    assert client.get("/admin/progress/paperprogress/").status_code == 200
