"""Answer keys never reach the browser while an attempt is open.

`world.keyed_quiz` has one question of every type with the marker `KEY` in
every key field (answer feedback, general feedback, accepted short answers,
model answers, essay notes) and a numeric answer 98765.4321 ± 0.0123. Every
page and partial a learner can get during the attempt is searched for them,
and choice markup must not differ between right and wrong choices.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from quizzes.models import Question
from tests.security.conftest import KEY

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SECRETS = [KEY, "98765", "0.0123", "0,0123"]


def assert_no_key(response, where: str) -> None:
    html = response.content.decode()
    for secret in SECRETS:
        assert secret not in html, f"{secret!r} leaked in {where}"
    assert not re.search(r"fraction|data-correct|is-correct|\bcorrect\b", html, re.I), f"correctness leaked in {where}"


def _pages_during_attempt(world, client):
    attempt = world.open_attempt
    yield "take page", client.get(reverse("quizzes:attempt_detail", args=[attempt.pk]))
    yield "take page (htmx)", client.get(reverse("quizzes:attempt_detail", args=[attempt.pk]), headers=HTMX)
    yield "confirm page", client.get(reverse("quizzes:attempt_confirm", args=[attempt.pk]))
    yield "quiz page", client.get(world.keyed_quiz.get_absolute_url())
    yield "dashboard", client.get(reverse("progress:dashboard"))
    yield "paper page", client.get(world.paper.get_absolute_url())


def test_no_answer_key_on_any_page_of_an_open_attempt(world, client_for):
    client = client_for("learner")
    for where, response in _pages_during_attempt(world, client):
        assert response.status_code == 200, where
        assert_no_key(response, where)


def test_no_answer_key_in_autosave_partials(world, client_for):
    client = client_for("learner")
    attempt = world.open_attempt
    for question in world.keyed_quiz.questions.prefetch_related("answers"):
        url = reverse("quizzes:attempt_autosave", args=[attempt.pk, question.pk])
        if question.is_choice:
            values = [str(a.pk) for a in question.answers.all()]
        elif question.qtype == "numerical":
            values = ["98765.4321"]  # the right answer: still no sign that it is right
        else:
            values = ["my answer"]
        saved = client.post(url, {f"q-{question.pk}": values, f"seq-{question.pk}": 0}, headers=HTMX)
        assert saved.status_code == 200, question.qtype
        assert_no_key(saved, f"autosave of {question.qtype}")
        assert "정답" not in saved.content.decode()
        stale = client.post(url, {f"q-{question.pk}": values[:1] + ["9"], f"seq-{question.pk}": 0}, headers=HTMX)
        assert stale.status_code == 409, question.qtype
        assert_no_key(stale, f"stale autosave of {question.qtype}")


def test_no_answer_key_in_error_partials(world, client_for):
    client = client_for("learner")
    attempt = world.open_attempt
    single = world.question("single")
    bad = client.post(
        reverse("quizzes:attempt_autosave", args=[attempt.pk, single.pk]), {f"q-{single.pk}": "999999"}, headers=HTMX
    )
    assert bad.status_code == 409
    assert_no_key(bad, "invalid choice")
    response = client.post(reverse("quizzes:attempt_save", args=[attempt.pk]), {"action": "review"}, follow=True)
    assert_no_key(response, "save-all redirect")


def test_rating_an_open_attempts_response_reveals_nothing(world, client_for):
    """The self-rating partial shows the review of one question; it must not exist before submitting."""
    client = client_for("learner")
    attempt = world.open_attempt
    for question in world.keyed_quiz.questions.all():
        item = attempt.responses.get(question=question)
        url = reverse("quizzes:response_rate", args=[attempt.pk, item.pk])
        for headers in (HTMX, {}):
            response = client.post(url, {"rating": "correct"}, headers=headers, follow=not headers)
            assert_no_key(response, f"rating {question.qtype} of an open attempt")
        item.refresh_from_db()
        assert item.self_rating == "" and item.score is None


def _choice_labels(html: str) -> list[str]:
    return re.findall(r'<label class="choice".*?</label>', html, re.S)


def test_right_and_wrong_choices_look_the_same(world, client_for):
    html = client_for("learner").get(reverse("quizzes:attempt_detail", args=[world.open_attempt.pk])).content.decode()
    for question in world.keyed_quiz.questions.filter(qtype__in=["single", "multiple", "truefalse"]):
        labels = []
        for answer in question.answers.all():
            label = next(label for label in _choice_labels(html) if f'id="a-{answer.pk}"' in label)
            for attribute in ("id", "for", "value"):
                label = label.replace(f'{attribute}="a-{answer.pk}"', f'{attribute}="a-ID"')
            label = label.replace(f'value="{answer.pk}"', 'value="ID"').replace(answer.text_html, "TEXT")
            labels.append(re.sub(r">\s*(참|거짓)\s*<", ">TEXT<", label))
        assert len(set(labels)) == 1, (question.qtype, labels)
    # Choices are shown in their authored order for everyone, the same order whatever is right.
    single = world.question("single")
    assert html.index(f'id="a-{single.answers.get(fraction=0).pk}"') > html.index(
        f'id="a-{single.answers.get(fraction=1).pk}"'
    )


def test_review_shows_keys_only_as_the_review_options_allow(world, client_for):
    client = client_for("learner")
    quiz = world.keyed_quiz
    attempt = world.open_attempt
    for question in quiz.questions.prefetch_related("answers"):
        values = [str(question.answers.first().pk)] if question.is_choice else ["98765.4321"]
        attempt.save_answers({question.pk: (values, None)})
    quiz.review_correctness = quiz.review_marks = quiz.review_feedback = quiz.review_model_answers = False
    quiz.save()
    attempt.submit()
    url = reverse("quizzes:attempt_detail", args=[attempt.pk])
    closed = client.get(url).content.decode()
    for secret in SECRETS:
        assert secret not in closed.replace("98765.4321", ""), secret  # the learner's own answer may be shown

    model = attempt.responses.get(question__qtype=Question.Type.MODEL_ANSWER)
    rated = client.post(
        reverse("quizzes:response_rate", args=[attempt.pk, model.pk]), {"rating": "correct"}, headers=HTMX
    )
    assert KEY not in rated.content.decode()

    quiz.review_feedback = quiz.review_model_answers = True
    quiz.save()
    opened = client.get(url).content.decode()
    assert f"model-{KEY}" in opened and f"general-{KEY}" in opened  # the markers are real: shown when allowed


def test_gift_export_and_stats_are_for_instructors_only(world, client_for):
    learner = client_for("learner")
    for name in ("quizzes:quiz_export_gift", "quizzes:quiz_stats", "progress:quiz_stats"):
        url = reverse(name, args=[world.keyed_quiz.slug])
        assert learner.get(url).status_code == 403
        assert KEY not in learner.get(url).content.decode()
    exported = client_for("instructor").get(reverse("quizzes:quiz_export_gift", args=[world.keyed_quiz.slug]))
    assert KEY in exported.content.decode()
