"""The other apps' own actions (not hand-sent signals) keep progress up to date."""

import pytest

from progress.models import Activity, PaperProgress
from quizzes.models import Attempt
from tests.factories import make_paper, make_quiz, make_term

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState


@pytest.mark.django_db
def test_ticking_steps_and_passing_the_quiz_completes_the_paper(learner_client, learner):
    paper = make_paper(steps=2, slug="integration")
    quiz = make_quiz(paper=paper, questions=1)
    for step in paper.checklist_steps.all():
        step.set_done(learner, True)
    assert PaperProgress.objects.get(user=learner, paper=paper).status == Status.READ

    attempt, _created = Attempt.start(quiz=quiz, user=learner)
    assert PaperProgress.objects.get(user=learner, paper=paper).quiz_state == QuizState.IN_PROGRESS
    question = quiz.questions.get()
    right = question.answers.get(fraction=1)
    attempt.save_answer(question_id=question.pk, values=[str(right.pk)])
    attempt.submit()

    row = PaperProgress.objects.get(user=learner, paper=paper)
    assert (row.status, row.quiz_state, row.quiz_grade) == (Status.COMPLETED, QuizState.PASSED, 100)
    overview = learner_client.get("/dashboard/").context["overview"]
    assert overview.completed == 1


@pytest.mark.django_db
def test_flashcards_show_up_in_the_deck_stats_and_activity(learner_client, learner, django_capture_on_commit_callbacks):
    from glossary import flashcards

    paper = make_paper(slug="deck-paper")
    terms = [make_term(papers=[paper]) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        flashcards.add_terms(user=learner, terms=terms[:1])
    row = next(r for r in learner_client.get("/dashboard/papers/").context["papers"].rows if r.paper == paper)
    assert (row.deck.terms, row.deck.in_deck) == (2, 1)
    assert row.deck.cards >= 1
    assert Activity.objects.filter(user=learner, kind=Activity.Kind.FLASHCARDS).exists()
