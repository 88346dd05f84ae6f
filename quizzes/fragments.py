"""The take page's shared parts from the cache (core.cache's versions and keys).

A question looks the same to every learner who takes it: its text, its
choices, its inputs. That HTML is rendered once per language and question
version (`quizzes/_take_question.html`) and kept as a `format_html()` string
whose fields are where one learner's page differs: the question's number in
this attempt, the autosave URL, the learner's own answer (its text, the
`checked` of its choices) and its save status (`save_status()`, from the
page's `save-status` partial rendered once per process). `take_page()` fills
them in per request, escaped (`core.cache.format_escaped`), and joins them: no template
is rendered per question. Nothing of the answer key is loaded to render a
question, and no learner state is stored.

The template marks the fields as `<!--slot:name-->`; such a comment cannot
come from content (the Markdown sanitizer strips every HTML comment, and
escaped text never holds a raw `<`), and every brace of the rendered HTML is
doubled before the markers become `{name}`.

Next to each question's HTML the cache holds its type (the save status warns
about numbers) and its choice ids (what an autosave may select), and per quiz
the page header (quiz and paper titles): the page reads neither questions nor
quiz nor paper rows. The rest of the page's own part (`take-content`: header,
form, buttons) is rendered once per header, number of questions and timing
into this process's copy, with markers where one attempt differs
(`take_content()`): no template but the chrome's is rendered per request.

Invalidation: saving or deleting a question or an answer bumps the
question's version; a quiz or its paper, the quiz's version
(`connect_receivers`); autosaves read those. The take page reads one
record of the whole quiz instead (header and every question), keyed by when
the quiz and its paper were last changed, which its attempt query reads with
it: saving or deleting a question or an answer also touches the quiz's
`updated_at` (`touch_quiz`). Bulk writes without signals (`QuerySet.update`,
re-rendering all Markdown) must bump and touch themselves; re-rendering all
Markdown bumps `MARKDOWN_VERSION`, which both keys include.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

from django.conf import settings
from django.db.models import Count, Prefetch
from django.db.models.signals import post_delete, post_save
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core.cache import (
    bump_on_commit,
    format_escaped,
    fragment_key,
    get_versioned,
    join_escaped,
    local_get,
    local_set,
    rendered_once,
    set_versioned,
    versions,
)
from core.rows import fits_bigint
from core.urls import reverse_one

# Bumped when every stored Markdown field is rendered again (glossary links changed).
MARKDOWN_VERSION = "markdown"
_SLOT = re.compile(r"<!--slot:(\w+)-->")
_URL_SENTINEL = 987_654_321  # stands for the question id in a reversed autosave URL
_FORMAT = 5  # of the cached values: part of their keys, so that a change never reads an old shape


@dataclass(frozen=True)
class QuizHead:
    """What the take page shows of the quiz and its paper, and the versioned key it is cached under."""

    title: str
    url: str
    paper_title: str
    key: str
    # The `take-content` format strings by (number of questions, timed), for the quiz as it is now.
    content: dict[tuple[int, bool], str] = field(default_factory=dict)


@dataclass(frozen=True)
class TakeQuestion:
    """A question as every learner sees it: its HTML (a `format_html()` string), type and choice ids."""

    qtype: str
    html: str
    choice_ids: frozenset[int]


def question_version(question_id: int) -> str:
    return f"quizzes.question:{question_id}"


def quiz_version(quiz_id: int) -> str:
    return f"quizzes.quiz:{quiz_id}"


def take_page(attempt, items: Sequence) -> tuple[QuizHead, list, SafeString]:
    """The quiz header, the responses shown (each with its `qtype`) and their questions' HTML for this learner."""
    head, questions = _parts_for(attempt, [item.question_id for item in items])
    url_head, url_tail = reverse("quizzes:attempt_autosave", args=[attempt.pk, _URL_SENTINEL]).rsplit(
        str(_URL_SENTINEL), 1
    )
    # A question deleted since the responses were read has no part: it is gone from the attempt too.
    shown = [item for item in items if item.question_id in questions]
    html = []
    for number, item in enumerate(shown, start=1):
        question = questions[item.question_id]
        item.qtype = question.qtype
        selected = set(item.selected or ())
        fields = {f"checked_{pk}": " checked" if pk in selected else "" for pk in question.choice_ids}
        url = f"{url_head}{item.question_id}{url_tail}"
        status = save_status(item)
        html.append(format_escaped(question.html, number=number, url=url, text=item.text, status=status, **fields))
    return head, shown, join_escaped(html)


def _parts_for(attempt, question_ids: list[int]) -> tuple[QuizHead, dict]:
    """The header and the parts of the attempt's questions.

    An attempt read with its `content_stamp` (`quizzes.sql`) gets them from
    one record of the whole quiz, keyed by that stamp: no version is read
    from the cache, and in a process that has it, no cache is asked at all.
    Without a stamp, or when the record lacks one of the questions (one
    added without signals), they come question by question (`_parts`).
    """
    stamp = getattr(attempt, "content_stamp", None)
    if stamp is not None:
        head, questions = _quiz_parts(attempt.quiz_id, stamp)
        if all(pk in questions for pk in question_ids):
            return head, questions
    return _parts(question_ids, quiz_id=attempt.quiz_id)


def _quiz_parts(quiz_id: int, stamp: str) -> tuple[QuizHead, dict]:
    """The header and every question's parts of a quiz as it was at `stamp` (see `touch_quiz`)."""
    (markdown,) = versions(MARKDOWN_VERSION)  # brought with the session
    key = fragment_key("quiz-take-quiz", _FORMAT, quiz_id, stamp, markdown)
    record = get_versioned([key]).get(key)
    if record is None:
        from quizzes.models import Question

        question_ids = list(Question.objects.filter(quiz_id=quiz_id).values_list("pk", flat=True))
        # Each question under its own key too, for the autosaves: versions read before the rows (see `_parts`).
        tokens = versions(*(question_version(pk) for pk in question_ids))
        record = (_render_head(quiz_id, key=key), _render_questions(question_ids))
        parts = {
            _question_key(pk, token, markdown): record[1][pk]
            for pk, token in zip(question_ids, tokens, strict=True)
            if pk in record[1]
        }
        set_versioned({key: record, **parts})
    return record


# Plain words that the template's escaping leaves as they are, where one attempt's values go.
_CONTENT_MARKERS = {
    "number": "take7slot7number",
    "answered": "take7slot7answered",
    "deadline": "take7slot7deadline",
    "seconds_left": "take7slot7seconds",
    "save_url": "take7slot7url",
    "csrf_token": "take7slot7csrf",
    "questions": "take7slot7questions",
}


def take_content(attempt, head: QuizHead, items: Sequence, questions: SafeString, *, csrf_token: str) -> SafeString:
    """The take page's own part (the `take-content` partial) for this attempt, its `items` and `questions` HTML.

    The partial is rendered with the header for the quiz's number of
    questions and timing (`_render_head`); an attempt with fewer (some were
    deleted) or a timing since changed gets its own rendering, kept in this
    process's copy. With DEBUG it is rendered anew, so that template edits
    show. The values are filled in here, escaped.
    """
    timed = attempt.deadline is not None
    variant = (len(items), timed)
    content = None if settings.DEBUG else head.content.get(variant)
    if content is None:
        key = f"{head.key}:content:{len(items)}:{int(timed)}"
        content = None if settings.DEBUG else local_get(key)
        if content is None:
            content = _render_content(head, count=len(items), timed=timed)
            local_set(key, content)
    values = {
        "number": attempt.number,
        "answered": sum(1 for item in items if item.is_answered),
        "save_url": reverse_one("quizzes:attempt_save", attempt.pk, converter="int"),
        "csrf_token": csrf_token,
        "questions": questions,
    }
    if timed:
        values["deadline"] = timezone.localtime(attempt.deadline).strftime("%H:%M:%S")  # the `time:"H:i:s"` filter
        values["seconds_left"] = attempt.seconds_left()
    return format_escaped(content, **values)


def _render_content(head: QuizHead, *, count: int, timed: bool) -> str:
    context = {**_CONTENT_MARKERS, "head": head, "count": count, "timed": timed}
    html = render_to_string("quizzes/attempt_take.html#take-content", context)
    return _format_string(html, words=_CONTENT_MARKERS)


def save_status(item) -> SafeString:
    """A response's save status, as the `save-status` partial of the take page shows it when nothing went wrong.

    `item` is a Response with `qtype` set. The partial is rendered once per
    process for each language and kind of status (not saved yet, saved,
    saved but not a number), with markers in place of the question id, the
    sequence number and the time, filled in here.
    """
    if item.saved_at is None:
        kind = "new"
    elif item.qtype == "numerical" and item.text and not item.text_is_number:
        kind = "not-a-number"
    else:
        kind = "saved"
    status = rendered_once(("quiz-save-status", get_language(), kind), lambda: _render_status(kind))
    return format_escaped(status, question_id=item.question_id, sequence=item.sequence, saved_time=item.saved_time)


# Plain words that the template's escaping leaves as they are, where the status's values go.
_STATUS_MARKERS = {
    "question_id": "quiz7slot7question",
    "sequence": "quiz7slot7sequence",
    "saved_time": "quiz7slot7time",
}


def _render_status(kind: str) -> str:
    item = SimpleNamespace(
        question_id=_STATUS_MARKERS["question_id"],
        sequence=_STATUS_MARKERS["sequence"],
        saved_at=None if kind == "new" else True,
        saved_time=_STATUS_MARKERS["saved_time"],
        qtype="numerical" if kind == "not-a-number" else "",
        text="?",
        text_is_number=False,
    )
    html = render_to_string("quizzes/attempt_take.html#save-status", {"item": item, "save_error": None})
    html = "\n".join(line for line in html.splitlines() if line.strip())  # the template's blank lines
    return _format_string(html, words=_STATUS_MARKERS)


def question_for_saving(question_id: int) -> TakeQuestion | None:
    """The question as its take page shows it: what an autosave checks the posted answer against."""
    if not fits_bigint(question_id):
        return None  # beyond any id
    _head, questions = _parts([question_id])
    return questions.get(question_id)


def _parts(question_ids: list[int], *, quiz_id: int | None = None) -> tuple[QuizHead | None, dict]:
    """The questions' parts by id (and the quiz's header): the versions, then one `get_many` for all.

    Like `core.cache.cached_fragments`, but the values are records, not only
    HTML. Only the missing parts are read from the database and rendered.
    """
    names = [question_version(pk) for pk in question_ids] + [MARKDOWN_VERSION]
    if quiz_id is not None:
        names.append(quiz_version(quiz_id))
    tokens = dict(zip(names, versions(*names), strict=True))
    question_keys = {
        _question_key(pk, tokens[question_version(pk)], tokens[MARKDOWN_VERSION]): pk for pk in question_ids
    }
    head_key = None
    if quiz_id is not None:
        head_key = fragment_key("quiz-take-head", _FORMAT, quiz_id, tokens[quiz_version(quiz_id)])
    keys = [*question_keys, *([head_key] if head_key else [])]
    found = get_versioned(keys)  # records under versioned keys: the process's copy serves them
    missing = [key for key in keys if key not in found]
    if missing:
        wanted = {question_keys[key]: key for key in missing if key in question_keys}
        fresh = {wanted[pk]: part for pk, part in _render_questions(list(wanted)).items()} if wanted else {}
        if head_key in missing:
            fresh[head_key] = _render_head(quiz_id, key=head_key)
        set_versioned(fresh)
        found.update(fresh)
    return found.get(head_key), {pk: found[key] for key, pk in question_keys.items() if key in found}


def _question_key(question_id: int, token: str, markdown: str) -> str:
    return fragment_key("quiz-take-question", _FORMAT, question_id, token, markdown)


def _render_head(quiz_id: int, *, key: str) -> QuizHead:
    from quizzes.models import Quiz

    quiz = (
        Quiz.objects.select_related("paper")
        .only("slug", "title", "time_limit", "paper__title")
        .annotate(question_count=Count("questions"))
        .get(pk=quiz_id)
    )
    head = QuizHead(title=quiz.title, url=quiz.get_absolute_url(), paper_title=quiz.paper.title, key=key)
    count, timed = quiz.question_count, bool(quiz.time_limit)  # Attempt.start sets a deadline then
    return replace(head, content={(count, timed): _render_content(head, count=count, timed=timed)})


def _render_questions(question_ids: list[int]) -> dict[int, TakeQuestion]:
    from quizzes.models import Answer, Question

    # Only what the page shows: no fractions, feedback or model answers are even read.
    choices = Answer.objects.order_by("order", "pk").only("id", "question_id", "text_html", "value")
    questions = (
        Question.objects.filter(pk__in=question_ids)
        .order_by()
        .only("id", "qtype", "points", "text_html")
        .prefetch_related(Prefetch("answers", queryset=choices))
    )
    template = get_template("quizzes/_take_question.html")
    return {
        q.pk: TakeQuestion(
            qtype=q.qtype,
            html=_format_string(template.render({"question": q})),
            choice_ids=frozenset(a.pk for a in q.answers.all()) if q.is_choice else frozenset(),
        )
        for q in questions
    }


def _format_string(html: str, *, words: dict[str, str] | None = None) -> str:
    """Rendered HTML as a format string: braces doubled, each `<!--slot:name-->` (and each of the
    marker `words`, by name) made `{name}`."""
    html = html.replace("{", "{{").replace("}", "}}")
    for name, marker in (words or {}).items():
        html = html.replace(marker, "{" + name + "}")
    return _SLOT.sub(r"{\1}", html)


# ---------------------------------------------------------------- invalidation


def touch_quiz(**lookup) -> None:
    """Mark the quiz that matches `lookup` changed: the take page's record of it is keyed by its `updated_at`.

    Run in the same transaction as the change, so that the new time and the
    new rows become visible together.
    """
    from quizzes.models import Quiz

    Quiz.objects.filter(**lookup).update(updated_at=timezone.now())


def _question_saved_or_deleted(sender, *, instance, **kwargs) -> None:
    bump_on_commit(question_version(instance.pk))
    touch_quiz(pk=instance.quiz_id)


def _answer_saved_or_deleted(sender, *, instance, **kwargs) -> None:
    bump_on_commit(question_version(instance.question_id))
    touch_quiz(questions__pk=instance.question_id)  # none once the question itself is deleted: it touches its quiz


def _quiz_saved_or_deleted(sender, *, instance, **kwargs) -> None:
    bump_on_commit(quiz_version(instance.pk))


def _paper_saved(sender, *, instance, **kwargs) -> None:
    """Its title is in the header of its quizzes' take pages."""
    from quizzes.models import Quiz

    quiz_ids = list(Quiz.objects.filter(paper_id=instance.pk).values_list("pk", flat=True))
    if quiz_ids:
        bump_on_commit(*(quiz_version(pk) for pk in quiz_ids))


def connect_receivers() -> None:
    """Called from `QuizzesConfig.ready()`."""
    from papers.models import Paper
    from quizzes.models import Answer, Question, Quiz

    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_question_saved_or_deleted, sender=Question, dispatch_uid=f"quizzes_fragments_question_{name}")
        signal.connect(_answer_saved_or_deleted, sender=Answer, dispatch_uid=f"quizzes_fragments_answer_{name}")
        signal.connect(_quiz_saved_or_deleted, sender=Quiz, dispatch_uid=f"quizzes_fragments_quiz_{name}")
    post_save.connect(_paper_saved, sender=Paper, dispatch_uid="quizzes_fragments_paper_saved")


def warm() -> int:
    """Render every published quiz's take-page header and questions into the cache (see `warm_cache`)."""
    from quizzes.models import Question, Quiz
    from quizzes.sql import content_stamp

    count = 0
    quizzes = Quiz.objects.published().order_by("pk").values_list("pk", "updated_at", "paper__updated_at")
    for quiz_id, quiz_changed, paper_changed in quizzes:
        question_ids = list(Question.objects.filter(quiz_id=quiz_id).order_by("pk").values_list("pk", flat=True))
        # What take pages read; rendering it stores each question under its own key too ...
        _quiz_parts(quiz_id, content_stamp(quiz_changed, paper_changed))
        # ... so this finds them and renders only the header under the quiz's version (the fallback's).
        _parts(question_ids, quiz_id=quiz_id)
        count += 1
    return count
