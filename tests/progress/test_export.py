import csv
import io
from decimal import Decimal

import pytest

from papers.models import Paper
from papers.signals import reading_progress_changed
from progress.reports import NOT_ATTEMPTED
from quizzes.models import Attempt
from quizzes.signals import attempt_changed
from tests.factories import (
    make_category,
    make_learners_bulk,
    make_paper,
    make_paper_progress_bulk,
    make_progress_attempt,
    make_quiz,
    make_user,
    tick_steps,
)

PROGRESS_CSV = "/instructor/export/progress.csv"
GRADES_CSV = "/instructor/export/grades.csv"


def _read(response) -> tuple[bytes, list[dict]]:
    assert response.streaming is True
    raw = b"".join(response.streaming_content)
    text = raw.decode("utf-8-sig")
    return raw, list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_progress_csv_content(instructor_client, learner, other_learner):
    category = make_category(name_ko="컴퓨터 비전")
    read = make_paper(steps=2, title="합성곱 신경망 논문", category=category)
    untouched = make_paper(steps=3, title="Untouched paper", category=category)
    make_quiz(paper=read)
    tick_steps(user=learner, paper=read)
    reading_progress_changed.send(sender=Paper, user=learner, paper=read)

    response = instructor_client.get(PROGRESS_CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    raw, rows = _read(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Korean correctly
    assert len(rows) == 2 * 2  # one row per learner and paper
    mine = {(r["username"], r["paper"]): r for r in rows}
    row = mine[("learner", "합성곱 신경망 논문")]
    assert (row["status"], row["steps_done"], row["steps_total"], row["quiz_state"]) == ("read", "2", "2", "none")
    assert row["quiz_grade"] == NOT_ATTEMPTED
    assert row["category"] == "컴퓨터 비전"
    assert row["last_activity_at"]
    blank = mine[("other", "Untouched paper")]
    assert blank["status"] == NOT_ATTEMPTED
    assert blank["steps_total"] == "3"
    assert blank["quiz_grade"] == NOT_ATTEMPTED
    assert untouched.slug == blank["paper_slug"]


@pytest.mark.django_db
def test_grades_csv_content(instructor_client, learner, other_learner):
    paper = make_paper(steps=1, title="Quiz paper")
    make_paper(steps=1, title="No quiz paper")
    quiz = make_quiz(paper=paper, title="ResNet quiz", pass_mark=Decimal("60"))
    attempt = make_progress_attempt(quiz=quiz, user=learner, grade="87.5")
    attempt_changed.send(sender=Attempt, attempt=attempt)
    essay = make_progress_attempt(quiz=quiz, user=other_learner, grade=None, needs_grading=True)
    attempt_changed.send(sender=Attempt, attempt=essay)

    _raw, rows = _read(instructor_client.get(GRADES_CSV))
    by_key = {(r["username"], r["paper"]): r for r in rows}
    assert len(rows) == 4
    passed = by_key[("learner", "Quiz paper")]
    assert (passed["quiz"], passed["grading_method"], passed["pass_mark"]) == ("ResNet quiz", "highest", "60.00")
    assert (passed["quiz_state"], passed["grade"], passed["attempts_used"], passed["passed"]) == (
        "passed",
        "87.50",
        "1",
        "yes",
    )
    waiting = by_key[("other", "Quiz paper")]
    assert (waiting["quiz_state"], waiting["passed"]) == ("awaiting_grading", "no")
    assert by_key[("learner", "No quiz paper")]["quiz_state"] == "no quiz"


@pytest.mark.django_db
def test_csv_blanks_say_not_attempted(instructor_client, learner):
    make_quiz(paper=make_paper())
    _raw, rows = _read(instructor_client.get(GRADES_CSV))
    assert [(r["quiz_state"], r["grade"], r["best_grade"]) for r in rows] == [(NOT_ATTEMPTED,) * 3]


@pytest.mark.django_db
def test_csv_follows_the_matrix_filters(instructor_client):
    vision = make_category(slug="vision")
    make_paper(category=vision, title="ResNet")
    make_paper(title="Other")
    make_user(username="ada")
    make_user(username="bob")
    _raw, rows = _read(instructor_client.get(PROGRESS_CSV, {"category": "vision", "q": "ada"}))
    assert [(r["username"], r["paper"]) for r in rows] == [("ada", "ResNet")]


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_spreadsheet_formulas(instructor_client):
    make_paper(title='=HYPERLINK("http://evil")')
    make_user(username="+plus", first_name="@at")
    _raw, rows = _read(instructor_client.get(PROGRESS_CSV))
    assert rows[0]["paper"].startswith("'=")
    assert rows[0]["username"] == "'+plus"
    assert rows[0]["name"] == "'@at"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PROGRESS_CSV, GRADES_CSV])
@pytest.mark.parametrize("learners", [10, 1000])
def test_export_streams_with_a_fixed_number_of_queries(url, learners, instructor_client, django_assert_max_num_queries):
    categories = [make_category() for _ in range(3)]
    papers = [make_paper(steps=3, category=categories[i % 3]) for i in range(13)]
    for paper in papers[:10]:
        make_quiz(paper=paper, questions=1)
    users = make_learners_bulk(count=learners)
    # Most learners have rows for most papers; some have none (blanks).
    make_paper_progress_bulk(users=users[: learners - 3], papers=papers[:12], quiz_grade=75)

    with django_assert_max_num_queries(8):
        response = instructor_client.get(url)
        assert response.streaming is True
        chunks = 0
        rows = []
        for chunk in response.streaming_content:
            chunks += 1
            rows.append(chunk)
    body = b"".join(rows).decode("utf-8-sig")
    parsed = list(csv.DictReader(io.StringIO(body)))
    assert len(parsed) == learners * 13
    assert chunks >= learners * 13  # row by row, not one big string
    assert sum(1 for r in parsed if NOT_ATTEMPTED in r.values()) >= 3 * 10  # the blanks of quizzed papers
