"""The take page's cached questions (quizzes.fragments) and the lean autosave and submit."""

import re

import pytest
from django.urls import reverse

from quizzes import fragments
from quizzes.models import Answer, Attempt, Response
from tests.factories import make_question, make_quiz, make_user
from tests.quizzes.test_views import HTMX, MARKER, autosave_url, detail_url, keyed_quiz, start

pytestmark = pytest.mark.django_db


def take_html(client, attempt, **headers) -> str:
    response = client.get(detail_url(attempt), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def fieldsets(html: str) -> list[str]:
    return re.findall(r'<fieldset id="q-\d+".*?</fieldset>', html, re.DOTALL)


def test_a_cached_page_is_the_same_page_and_never_holds_the_answer_key(learner_client):
    attempt = start(learner_client, keyed_quiz())
    cold = take_html(learner_client, attempt)
    warm = take_html(learner_client, attempt)
    assert fieldsets(warm) == fieldsets(cold) and len(fieldsets(warm)) == 7
    assert MARKER not in warm and "31415" not in warm and "<!--slot" not in warm
    # Nothing the cache holds has the key either (what another learner's page is made of).
    head, parts = fragments._parts(list(attempt.question_order), quiz_id=attempt.quiz_id)
    assert len(parts) == 7 and not any(MARKER in part.html or "31415" in part.html for part in parts.values())


def test_a_cached_page_reads_only_the_attempt_with_its_responses(learner_client, django_assert_num_queries):
    attempt = start(learner_client, make_quiz(questions=12))
    take_html(learner_client, attempt)  # fills the cache
    with django_assert_num_queries(1):  # the attempt joined to its responses (session and user are cached)
        take_html(learner_client, attempt)


def test_a_cached_page_reads_no_version_from_the_cache(learner_client, monkeypatch):
    """The whole quiz's record is keyed by when the quiz and its paper changed, read with the attempt."""
    attempt = start(learner_client, make_quiz(questions=3))
    first = take_html(learner_client, attempt)
    asked = []
    real = fragments.versions
    monkeypatch.setattr(fragments, "versions", lambda *names: asked.extend(names) or real(*names))
    monkeypatch.setattr(fragments, "_parts", lambda *a, **k: pytest.fail("read question by question"))
    assert fieldsets(take_html(learner_client, attempt)) == fieldsets(first)
    assert asked == [fragments.MARKDOWN_VERSION]  # brought with the session


def test_a_question_added_without_signals_is_still_shown(learner_client, client):
    """A record that lacks one of the attempt's questions is not used: the questions come one by one."""
    from quizzes.models import Question

    quiz = make_quiz(questions=1)
    take_html(learner_client, start(learner_client, quiz))  # the quiz's record, with one question
    Question.objects.bulk_create(
        [Question(quiz=quiz, qtype="short", order=9, text="대량 추가", text_html="<p>대량 추가</p>")]
    )
    client.force_login(make_user())
    html = take_html(client, start(client, quiz))
    assert len(fieldsets(html)) == 2 and "대량 추가" in html


def test_editing_a_question_touches_its_quiz(learner_client):
    quiz = make_quiz(questions=1)
    question = quiz.questions.get()
    for change in (question.save, lambda: question.answers.first().save(), lambda: question.answers.first().delete()):
        before = type(quiz).objects.get(pk=quiz.pk).updated_at
        change()
        assert type(quiz).objects.get(pk=quiz.pk).updated_at > before


def test_an_attempt_whose_questions_were_all_deleted_still_opens(learner_client):
    quiz = make_quiz(questions=2)
    attempt = start(learner_client, quiz)
    quiz.questions.all().delete()
    html = take_html(learner_client, attempt)
    assert fieldsets(html) == [] and 'id="attempt-form"' in html


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_save_status_is_the_partial_as_the_template_renders_it(language):
    """`save_status` fills a per-process rendering of the partial: the same HTML as rendering it for the item."""
    from django.template.loader import render_to_string
    from django.utils import translation

    quiz = make_quiz(questions=0)
    question = make_question(quiz=quiz, qtype="numerical")
    attempt, _ = Attempt.start(quiz=quiz, user=make_user())
    item = Response.objects.get(attempt=attempt, question=question)
    item.qtype = question.qtype
    with translation.override(language):
        for text in ("", "3.14", "three <b>"):  # not saved yet; saved; saved, not a number
            if text:
                attempt.save_response(item, values=[text], qtype="numerical", choice_ids=set())
            fresh = render_to_string("quizzes/attempt_take.html#save-status", {"item": item, "save_error": None})
            assert str(fragments.save_status(item)) == "\n".join(x for x in fresh.splitlines() if x.strip())
        assert ("cannot be read as a number" if language == "en" else "숫자로 읽을 수 없습니다") in fresh


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("minutes", [None, 90])
def test_the_page_content_is_the_partial_as_the_template_renders_it(language, minutes):
    """`take_content` fills a per-process rendering of `take-content`: the same HTML as rendering it for the attempt."""
    from datetime import timedelta

    from django.template.loader import render_to_string
    from django.utils import timezone, translation
    from django.utils.safestring import mark_safe

    quiz = make_quiz(questions=3, qtype="short", title="<Quiz> {braces}")
    attempt, _ = Attempt.start(quiz=quiz, user=make_user())
    if minutes:
        attempt.deadline = timezone.now() + timedelta(minutes=minutes)
    items = attempt.in_question_order(list(attempt.responses.all()))
    attempt.save_response(items[0], values=["an answer"], qtype="short", choice_ids=set())
    questions = mark_safe("<fieldset>{q}</fieldset>")
    with translation.override(language):
        head, shown, _html = fragments.take_page(attempt, items)
        for _ in range(2):  # rendered, then from the process's copy
            filled = str(fragments.take_content(attempt, head, shown, questions, csrf_token="tok<en>"))
            fresh = render_to_string(
                "quizzes/attempt_take.html#take-content",
                {
                    "head": head,
                    "number": attempt.number,
                    "count": len(shown),
                    "answered": 1,
                    "timed": bool(minutes),
                    "deadline": attempt.deadline and timezone.localtime(attempt.deadline).strftime("%H:%M:%S"),
                    "seconds_left": attempt.seconds_left(),
                    "save_url": reverse("quizzes:attempt_save", args=[attempt.pk]),
                    "csrf_token": "tok<en>",
                    "questions": questions,
                },
            )
            assert filled == fresh
    assert ("Attempt 1" if language == "en" else "1번째 시도") in filled and "&lt;Quiz&gt; {braces}" in filled
    assert ('data-seconds-left="' in filled) == bool(minutes) and "tok&lt;en&gt;" in filled


def test_the_page_content_comes_with_the_cached_header(learner_client, monkeypatch):
    """Rendered with the header (once per quiz version and language), not per request or per process."""
    attempt = start(learner_client, make_quiz(questions=2))
    first = take_html(learner_client, attempt)
    from core.cache import clear_local

    clear_local()  # a new process: the header comes from the shared cache with its content
    monkeypatch.setattr(fragments, "_render_content", lambda *a, **k: pytest.fail("rendered again"))
    unmasked = re.compile(r"[A-Za-z0-9]{64}|nonce=\"[^\"]+\"")  # CSRF masks and CSP nonces differ per request
    assert unmasked.sub("T", take_html(learner_client, attempt)) == unmasked.sub("T", first)


def test_each_learner_sees_their_own_answers_numbers_and_urls(client, learner, other_learner):
    quiz = make_quiz(questions=0, shuffle_questions=True)
    for qtype in ("single", "multiple", "short", "essay"):
        make_question(quiz=quiz, qtype=qtype)
    questions = {q.qtype: q for q in quiz.questions.all()}
    single, multiple = questions["single"], questions["multiple"]
    mine, _ = Attempt.start(quiz=quiz, user=learner)
    theirs, _ = Attempt.start(quiz=quiz, user=other_learner)
    right = {q: q.answers.get(fraction=1).pk for q in (single, multiple)}
    mine.save_answers(
        {
            single.pk: ([str(right[single])], 0),
            multiple.pk: ([str(right[multiple])], 0),
            questions["short"].pk: (['"><b>역전파'], 0),
            questions["essay"].pk: (["</textarea><script>x</script>"], 0),
        }
    )

    client.force_login(other_learner)
    html = take_html(client, theirs)  # fills the cache with the other learner's page
    assert "checked" not in html and "역전파" not in html
    client.force_login(learner)
    html = take_html(client, mine)
    assert re.search(rf'value="{right[single]}" checked>', html)
    assert re.search(rf'value="{right[multiple]}" checked>', html)
    assert html.count(" checked>") == 2
    assert 'value="&quot;&gt;&lt;b&gt;역전파"' in html
    assert "&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>" in html
    for number, question_id in enumerate(mine.question_order, start=1):
        fieldset = next(f for f in fieldsets(html) if f.startswith(f'<fieldset id="q-{question_id}"'))
        assert f'hx-post="{autosave_url(mine, quiz.questions.get(pk=question_id))}"' in fieldset
        assert f"{number}번 문항" in fieldset
    other_attempt = reverse("quizzes:attempt_detail", args=[theirs.pk])
    assert not any(url.startswith(other_attempt) for url in re.findall(r'hx-post="([^"]+)"', html))


def test_editing_a_question_or_its_choices_shows_at_once(learner_client):
    quiz = make_quiz(questions=1)
    question = quiz.questions.get()
    attempt = start(learner_client, quiz)
    assert "Question 1?" in take_html(learner_client, attempt)

    question.text = "새 **문항** 내용"
    question.save()
    html = take_html(learner_client, attempt)
    assert "새 <strong>문항</strong> 내용" in html and "Question 1?" not in html

    choice = question.answers.get(text="Wrong 1")
    choice.text = "고친 선택지"
    choice.save()
    assert "고친 선택지" in take_html(learner_client, attempt)

    Answer.objects.create(question=question, order=3, text="새 선택지")
    assert "새 선택지" in take_html(learner_client, attempt)
    choice.delete()
    assert "고친 선택지" not in take_html(learner_client, attempt)


def test_braces_and_markers_in_content_are_just_text(learner_client):
    quiz = make_quiz(questions=0)
    make_question(
        quiz=quiz,
        qtype="single",
        text="집합 {x} 와 }{ 그리고 {number} <!--slot:url-->",
        answers=[{"text": "{checked_1} {{", "fraction": 1}, {"text": "b", "fraction": 0}],
    )
    make_question(quiz=quiz, qtype="short", text="짧은 답 {text}")
    attempt = start(learner_client, quiz)
    short = quiz.questions.get(qtype="short")
    attempt.save_answer(question_id=short.pk, values=["{url} }{ <!--slot:number-->"])
    html = take_html(learner_client, attempt)
    assert "집합 {x} 와 }{ 그리고 {number}" in html and "{checked_1} {{" in html and "짧은 답 {text}" in html
    assert 'value="{url} }{ &lt;!--slot:number--&gt;"' in html
    assert "<!--slot" not in html and html.count('hx-post="/quizzes/attempts/') == 2


def test_renaming_the_quiz_or_its_paper_shows_at_once(learner_client):
    quiz = make_quiz(questions=1, title="옛 퀴즈")
    attempt = start(learner_client, quiz)
    assert "옛 퀴즈" in take_html(learner_client, attempt)
    quiz.title = "새 퀴즈"
    quiz.save()
    assert "새 퀴즈" in take_html(learner_client, attempt)
    quiz.paper.title = "새 논문 제목"
    quiz.paper.save()
    assert "새 논문 제목" in take_html(learner_client, attempt)


def test_each_language_has_its_own_cached_questions(learner_client):
    attempt = start(learner_client, make_quiz(questions=1))
    assert "1번 문항" in take_html(learner_client, attempt)
    html = take_html(learner_client, attempt, **{"Accept-Language": "en"})
    assert "Question 1" in html and "1번 문항" not in html


def test_autosave_checks_choices_against_the_current_question(learner_client):
    quiz = make_quiz(questions=2)
    first, second = quiz.questions.order_by("order")
    attempt = start(learner_client, quiz)
    take_html(learner_client, attempt)  # the questions are cached now

    def save(question, value, sequence):
        data = {f"q-{question.pk}": value, f"seq-{question.pk}": sequence}
        return learner_client.post(autosave_url(attempt, question), data, headers=HTMX)

    other_question_choice = second.answers.first().pk
    response = save(first, other_question_choice, 0)
    assert response.status_code == 409 and "이 문항에 없는 선택지입니다" in response.content.decode()

    added = Answer.objects.create(question=first, order=3, text="추가된 선택지")
    assert save(first, added.pk, 0).status_code == 200
    assert Response.objects.get(attempt=attempt, question=first).selected == [added.pk]

    removed = first.answers.get(text="Wrong 1")
    removed_pk = removed.pk
    removed.delete()
    response = save(first, removed_pk, 1)
    assert response.status_code == 409 and "이 문항에 없는 선택지입니다" in response.content.decode()


def test_autosave_runs_one_query_and_gives_nothing_away(learner_client, django_assert_max_num_queries):
    quiz = keyed_quiz()
    attempt = start(learner_client, quiz)
    take_html(learner_client, attempt)
    for question in quiz.questions.all():
        value = question.answers.first().pk if question.is_choice else "31415.9"
        with django_assert_max_num_queries(1):  # the UPDATE that checks the attempt too
            response = learner_client.post(
                autosave_url(attempt, question), {f"q-{question.pk}": value, f"seq-{question.pk}": 0}, headers=HTMX
            )
        html = response.content.decode()
        assert response.status_code == 200 and "저장됨" in html
        assert MARKER not in html and "정답" not in html and "fraction" not in html


def test_submit_grades_every_type_in_one_write(learner_client, django_assert_max_num_queries):
    quiz = keyed_quiz()
    attempt = start(learner_client, quiz)
    questions = {q.qtype: q for q in quiz.questions.all()}
    answers = {
        "single": [str(questions["single"].answers.get(text="alpha").pk)],
        "multiple": [str(a.pk) for a in questions["multiple"].answers.filter(text__in=["gamma", "eps"])],
        "truefalse": [str(questions["truefalse"].answers.get(text="거짓").pk)],
        "short": [f"{MARKER}ANSWER"],
        "numerical": ["31415.95"],
        "model": ["내 답"],
        "essay": [""],
    }
    attempt.save_answers({questions[qtype].pk: (values, 0) for qtype, values in answers.items()})
    with django_assert_max_num_queries(12):
        learner_client.post(reverse("quizzes:attempt_submit", args=[attempt.pk]))
    scores = {r.question.qtype: (r.score, r.fraction, r.matched_answer_id) for r in attempt.responses.all()}
    assert scores["single"] == (1, 1, questions["single"].answers.get(text="alpha").pk)
    assert scores["multiple"][:2] == (0, 0)  # 0.5 - 1, never below zero
    assert scores["truefalse"] == (0, 0, questions["truefalse"].answers.get(text="거짓").pk)
    assert scores["short"][:2] == (1, 1) and scores["short"][2] == questions["short"].answers.get().pk
    assert scores["numerical"][:2] == (1, 1) and scores["numerical"][2] == questions["numerical"].answers.get().pk
    assert scores["model"][0] is None and scores["essay"][:2] == (0, 0)
    attempt.refresh_from_db()
    assert attempt.is_finished and attempt.score == 3 and attempt.max_score == 7 and attempt.needs_grading


def test_an_autosave_reads_the_questions_version_with_the_session(learner_client):
    """One cache round trip: the session, with the user, the common versions and the question's."""
    from unittest import mock

    from django.core.cache import caches

    backend = caches["default"]  # the sessions' cache too
    attempt = start(learner_client, make_quiz(questions=2))
    take_html(learner_client, attempt)  # the questions' parts in this process's copy
    question = attempt.quiz.questions.get(pk=attempt.question_order[0])
    question_id, answer = question.pk, question.answers.first().pk
    with mock.patch.object(backend, "get_many", wraps=backend.get_many) as get_many:
        response = learner_client.post(
            autosave_url(attempt, question), {f"q-{question_id}": answer, f"seq-{question_id}": 0}, headers=HTMX
        )
    assert response.status_code == 200
    assert get_many.call_count == 1
    asked = get_many.call_args.args[0]
    assert any(key.endswith(fragments.question_version(question_id)) for key in asked)
