import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from bench import loaddata
from glossary.models import Card, ReviewLog, Term, TermName
from papers.models import ChecklistStep, Paper, StepProgress
from progress.models import PaperProgress
from quizzes import grading
from quizzes.models import Attempt, Question, Quiz, Response

SIZES = loaddata.Sizes(learners=6, papers=4, terms=15, attempts=40, cards_per_learner=5)

pytestmark = pytest.mark.django_db


def generate(seed=3, sizes=SIZES):
    return loaddata.generate(sizes=sizes, seed=seed)


def test_counts_match_the_sizes_asked_for():
    result = generate()

    learners = get_user_model().objects.filter(username__startswith=loaddata.LEARNER_PREFIX)
    assert learners.count() == 6
    assert Paper.objects.filter(slug__startswith="load-").count() == 4
    assert Quiz.objects.filter(slug__startswith="load-").count() == 4
    assert ChecklistStep.objects.filter(paper__slug__startswith="load-").count() == 4 * len(loaddata.STEP_TITLES)
    assert Term.objects.filter(slug__startswith="load-").count() == 15
    assert Attempt.objects.filter(user__in=learners).count() == 40
    # Every attempt has one response per question, answered or not (as Attempt.start makes them).
    assert Response.objects.filter(attempt__user__in=learners).count() == 40 * SIZES.questions_per_quiz
    assert Card.objects.filter(user__in=learners).count() == 6 * 5
    assert result.counts["attempts"] == 40
    assert result.counts["reviews"] == ReviewLog.objects.filter(user__in=learners).count()


def test_derived_fields_are_filled_as_save_would():
    generate()

    paper = Paper.objects.filter(slug__startswith="load-").first()
    assert paper.normalized_title and paper.guide_html.startswith("<h2")
    assert 'class="term-link"' in paper.guide_html  # glossary auto-linking ran
    term = Term.objects.filter(slug__startswith="load-").first()
    assert term.definition_html and term.summary and term.initial and term.sort_name
    assert f'data-term="{term.slug}"' not in term.definition_html  # never links to itself
    names = set(TermName.objects.filter(term=term).values_list("key", flat=True))
    assert names == term.name_keys()
    question = Question.objects.filter(quiz__slug__startswith="load-").first()
    assert question.text_html and question.answers.exists()


def test_learners_sign_in_with_the_known_password(client):
    generate()

    user = get_user_model().objects.get(username=f"{loaddata.LEARNER_PREFIX}00001")
    assert user.check_password(loaddata.LEARNER_PASSWORD)
    response = client.post(reverse("login"), {"username": user.username, "password": loaddata.LEARNER_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("progress:dashboard")).status_code == 200


def test_attempt_scores_agree_with_grading():
    generate()

    finished = Attempt.objects.filter(state=Attempt.State.FINISHED, user__username__startswith="load-")
    open_ = Attempt.objects.filter(state=Attempt.State.IN_PROGRESS, user__username__startswith="load-")
    assert finished.exists()
    for attempt in finished[:10]:
        responses = list(attempt.responses.select_related("question").prefetch_related("question__answers"))
        stored = (attempt.score, attempt.grade)
        for response in responses:
            before = response.score
            response.apply_grade()
            assert response.score == before
        result = grading.score_attempt(items=[(r.score, r.question.points) for r in responses])
        assert (result.score, result.grade) == stored
        assert attempt.submitted_at and attempt.started_at < attempt.submitted_at
    for attempt in open_:
        assert attempt.max_score == Decimal(SIZES.questions_per_quiz)
        assert attempt.responses.count() == SIZES.questions_per_quiz
    pairs = list(open_.values_list("user_id", "quiz_id"))
    assert len(pairs) == len(set(pairs))  # at most one open attempt per learner and quiz


def test_progress_rows_are_rebuilt_from_the_generated_rows():
    generate()

    ticks = StepProgress.objects.filter(user__username__startswith="load-")
    assert ticks.exists()
    tick = ticks.select_related("step").first()
    row = PaperProgress.objects.get(user_id=tick.user_id, paper_id=tick.step.paper_id)
    done = ticks.filter(user_id=tick.user_id, step__paper_id=tick.step.paper_id).count()
    assert row.steps_done == done
    assert row.steps_total == len(loaddata.STEP_TITLES)


def test_same_seed_same_rows_and_another_seed_other_rows():
    generate(seed=11)
    first = loaddata.checksum()
    loaddata.delete_generated()
    assert not loaddata.has_generated()

    generate(seed=11)
    assert loaddata.checksum() == first
    loaddata.delete_generated()

    generate(seed=12)
    assert loaddata.checksum() != first


def test_small_sizes_are_quick():
    started = time.perf_counter()
    generate(sizes=loaddata.Sizes(learners=20, papers=10, terms=60, attempts=300))
    assert time.perf_counter() - started < 30


def test_command_refuses_to_mix_data_sets_unless_replacing(capsys):
    args = ["--learners=3", "--papers=2", "--terms=6", "--attempts=5", "--seed=4", "--checksum"]
    call_command("generate_load_data", *args)
    out = capsys.readouterr().out
    assert "Generated in" in out and "checksum" in out
    checksum = out.split("checksum ")[1].split()[0]

    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_load_data", *args)

    call_command("generate_load_data", *args, "--replace")
    assert out.split("checksum ")[1].split()[0] == checksum == capsys.readouterr().out.split("checksum ")[1].split()[0]


def test_command_rejects_bad_arguments():
    with pytest.raises(CommandError):
        call_command("generate_load_data", "--learners=-1")
    with pytest.raises(CommandError):
        call_command("generate_load_data", "--learners=0", "--attempts=5")
    with pytest.raises(CommandError, match="time zone"):
        call_command("generate_load_data", "--now=2025-03-02T09:00:00")
