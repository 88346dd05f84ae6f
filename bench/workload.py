"""What the benchmark sends: signed-in learners and the requests of each endpoint.

Runs inside Django with the server's settings (same database, cache and
secret key), so the sessions it creates are valid on the server. The
requests are plain data (`Req`), written to files that the wrk script
replays, or run in-process through `django.test.Client` to count queries.

Stateful endpoints use their own rows so that every request does the real
work: each start is a learner's first open attempt on that quiz, each submit
closes a different open attempt, each autosave changes an answer with the
sequence number the page would carry, each flashcard rating rates a due card
(each card twice: when due, then again ahead of schedule).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db.models import Max
from django.middleware.csrf import _get_new_csrf_string
from django.urls import reverse
from django.utils import timezone

from bench import loaddata
from bench.endpoints import MIX
from glossary.models import Card, Term
from papers.models import ChecklistStep, Paper, StepProgress
from quizzes.models import Answer, Attempt, Question, Quiz, Response

User = get_user_model()
HTMX = {"HX-Request": "true"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SEARCH_WORDS = ["어텐션", "encoder", "정규화", "Diffusion", "임베딩", "gradient", "잔차", "policy", "확산", "token"]


@dataclass(frozen=True)
class Req:
    tag: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    expect: tuple[int, ...] = (200,)
    once: bool = False

    def line(self) -> str:
        """One line of the wrk script's request file (tab-separated)."""
        headers = "\x1f".join(f"{k}: {v}" for k, v in self.headers.items())
        fields = [self.tag, "1" if self.once else "0", self.method, self.path, headers, self.body]
        fields.append(",".join(str(s) for s in self.expect))
        assert not any("\t" in f or "\n" in f for f in fields), fields
        return "\t".join(fields)


@dataclass(frozen=True)
class Learner:
    user_id: int
    username: str
    session_key: str
    csrf: str

    @property
    def cookie(self) -> str:
        return f"{settings.SESSION_COOKIE_NAME}={self.session_key}; {settings.CSRF_COOKIE_NAME}={self.csrf}"

    def get(self, tag: str, path: str, *, htmx: bool = False, expect=(200,)) -> Req:
        headers = {"Cookie": self.cookie, **(HTMX if htmx else {})}
        return Req(tag, "GET", path, headers, expect=tuple(expect))

    def post(self, tag: str, path: str, data: dict, *, htmx: bool = False, expect=(200,), once=False) -> Req:
        headers = {"Cookie": self.cookie, **FORM}
        if htmx:
            headers.update(HTMX)
            headers["X-CSRFToken"] = self.csrf  # htmx sends it from hx-headers on <body>
        else:
            data = {"csrfmiddlewaretoken": self.csrf, **data}
        return Req(tag, "POST", path, headers, urlencode(data, doseq=True), tuple(expect), once)


def sign_in(users) -> list[Learner]:
    """A session for each user, stored like a sign-in stores it (database and cache)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    learners = []
    for user in users:
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        learners.append(Learner(user.pk, user.username, session.session_key, _get_new_csrf_string()))
    return learners


@dataclass
class QuizInfo:
    pk: int
    slug: str
    questions: list[tuple[int, list[list[str]]]]  # (question id, two alternative posted values)
    choice: set[int]  # ids of the choice questions (answers stored as selected ids)
    max_score: Decimal


def _alternatives(question: Question, answers: list[Answer]) -> list[list[str]]:
    """Two different answers a learner may switch between (each autosave changes the answer)."""
    ids = [str(a.pk) for a in answers]
    if question.qtype in ("single", "truefalse"):
        return [[ids[0]], [ids[-1]]] if len(ids) > 1 else [[ids[0]], []]
    if question.qtype == "multiple":
        return [ids[:2], ids[1:3] or ids[:1]]
    if question.qtype == "numerical":
        return [["42"], ["43"]]
    return [["역전파"], ["backpropagation"]]


class Workload:
    """Learners, content and the stateful rows the requests use, drawn without replacement."""

    def __init__(self, *, seed: int = 1, exclude_users: set[int] = frozenset(), learners: int = 400, batch: int = 20):
        self.rng = random.Random(seed)
        self.batch = batch  # rows (attempts, start pairs) made at a time
        users = list(
            User.objects.filter(username__startswith=loaddata.LEARNER_PREFIX, is_active=True)
            .exclude(pk__in=exclude_users)
            .order_by("username")
        )
        if not users:
            raise SystemExit("No generated learners: run `manage.py generate_load_data` first.")
        self.users = users
        self.learners = sign_in(self.rng.sample(users, min(learners, len(users))))
        self.by_id = {u.pk: u for u in users}
        self._extra_learners: dict[int, Learner] = {learner.user_id: learner for learner in self.learners}

        papers = Paper.objects.published().filter(slug__startswith=loaddata.PREFIX).order_by("slug")
        self.papers = list(papers.values_list("pk", "slug"))
        steps: dict[int, list[int]] = {}
        for step_id, paper_id in ChecklistStep.objects.filter(paper__in=papers).values_list("pk", "paper_id"):
            steps.setdefault(paper_id, []).append(step_id)
        self.steps = steps
        self.terms = list(
            Term.objects.filter(slug__startswith=loaddata.PREFIX).order_by("slug").values_list("slug", flat=True)
        )
        self.quizzes = self._quizzes()
        self.open_pairs = set(Attempt.objects.filter(state=Attempt.State.IN_PROGRESS).values_list("user_id", "quiz_id"))
        due = Card.objects.filter(user__in=users, due__lte=timezone.now()).order_by("pk")
        self.due_cards = list(due.values_list("pk", "user_id", "reps"))
        self.rng.shuffle(self.due_cards)
        self.reviewers = sorted({user_id for _pk, user_id, _reps in self.due_cards})

    def _quizzes(self) -> list[QuizInfo]:
        quizzes = Quiz.objects.published().filter(slug__startswith=loaddata.PREFIX).order_by("slug")
        answers: dict[int, list[Answer]] = {}
        for answer in Answer.objects.filter(question__quiz__in=quizzes).order_by("question_id", "order", "pk"):
            answers.setdefault(answer.question_id, []).append(answer)
        by_quiz: dict[int, list[Question]] = {}
        for question in Question.objects.filter(quiz__in=quizzes).order_by("quiz_id", "order", "pk"):
            by_quiz.setdefault(question.quiz_id, []).append(question)
        return [
            QuizInfo(
                pk=quiz.pk,
                slug=quiz.slug,
                questions=[(q.pk, _alternatives(q, answers.get(q.pk, []))) for q in by_quiz.get(quiz.pk, [])],
                choice={q.pk for q in by_quiz.get(quiz.pk, []) if q.is_choice},
                max_score=sum((q.points for q in by_quiz.get(quiz.pk, [])), Decimal(0)),
            )
            for quiz in quizzes
            if by_quiz.get(quiz.pk)
        ]

    # ------------------------------------------------------------------ helpers

    def learner(self, user_id: int | None = None) -> Learner:
        if user_id is None:
            return self.rng.choice(self.learners)
        if user_id not in self._extra_learners:
            self._extra_learners[user_id] = sign_in([self.by_id[user_id]])[0]
        return self._extra_learners[user_id]

    def free_pairs(self, n: int) -> list[tuple[int, QuizInfo]]:
        """(learner, quiz) pairs without an open attempt, each used once."""
        pairs = []
        for _ in range(n * 50):
            if len(pairs) == n:
                break
            learner = self.rng.choice(self.learners)
            quiz = self.rng.choice(self.quizzes)
            if (learner.user_id, quiz.pk) in self.open_pairs:
                continue
            self.open_pairs.add((learner.user_id, quiz.pk))
            pairs.append((learner.user_id, quiz))
        return pairs

    def open_attempts(self, n: int, *, answered: bool) -> list[tuple[int, int, QuizInfo]]:
        """n new open attempts (rows as `Attempt.start` makes them): (attempt id, user id, quiz)."""
        pairs = self.free_pairs(n)
        if not pairs:
            return []
        last_numbers = (
            Attempt.objects.filter(user_id__in={u for u, _q in pairs}, quiz_id__in={q.pk for _u, q in pairs})
            .values("user_id", "quiz_id")
            .annotate(last=Max("number"))
            .values_list("user_id", "quiz_id", "last")
        )
        numbers = {(user_id, quiz_id): last for user_id, quiz_id, last in last_numbers}
        now = timezone.now()
        rows = [
            (
                q.pk,
                u,
                numbers.get((u, q.pk), 0) + 1,
                Attempt.State.IN_PROGRESS,
                now,
                [qid for qid, _a in q.questions],
                q.max_score,
            )
            for u, q in pairs
        ]
        columns = ["quiz_id", "user_id", "number", "state", "started_at", "question_order", "max_score"]
        loaddata.insert_rows(Attempt, columns, rows)
        ids = {
            (u, q): pk
            for u, q, pk in Attempt.objects.filter(
                state=Attempt.State.IN_PROGRESS,
                user_id__in={u for u, _q in pairs},
                quiz_id__in={q.pk for _u, q in pairs},
            ).values_list("user_id", "quiz_id", "pk")
        }
        attempts = [(ids[(u, q.pk)], u, q) for u, q in pairs]
        responses = []
        for pk, _u, quiz in attempts:
            for qid, alternatives in quiz.questions:
                values = alternatives[0] if answered else []
                text = "" if qid in quiz.choice else "".join(values)
                selected = sorted(int(v) for v in values) if qid in quiz.choice else []
                responses.append((pk, qid, text, selected, now if answered else None, 1 if answered else 0))
        columns = ["attempt_id", "question_id", "text", "selected", "saved_at", "sequence"]
        loaddata.insert_rows(Response, columns, responses)
        return attempts

    # ------------------------------------------------------------------ requests per endpoint

    def requests(self, name: str, count: int) -> list[Req]:
        return list(itertools.islice(getattr(self, f"_{name}")(), count))

    def _bare(self) -> Iterator[Req]:
        while True:
            yield self.learner().get("bare", "/bench/bare/")

    def _floor(self) -> Iterator[Req]:
        while True:
            yield self.learner().get("floor", "/bench/floor/")

    def _paper_list(self) -> Iterator[Req]:
        while True:
            yield self.learner().get("paper_list", reverse("papers:paper_list"))

    def _paper_detail(self) -> Iterator[Req]:
        while True:
            _pk, slug = self.rng.choice(self.papers)
            yield self.learner().get("paper_detail", reverse("papers:paper_detail", args=[slug]))

    def _step_tick(self) -> Iterator[Req]:
        """Each (learner, step) is ticked, then unticked, then ticked…: every request changes something."""
        combos = []
        for learner in self.rng.sample(self.learners, min(64, len(self.learners))):
            for paper_id, slug in self.rng.sample(self.papers, min(3, len(self.papers))):
                step_ids = self.steps.get(paper_id, [])
                if step_ids:
                    combos.append((learner, slug, self.rng.choice(step_ids)))
        done = set(
            StepProgress.objects.filter(
                user_id__in={c[0].user_id for c in combos}, step_id__in={c[2] for c in combos}
            ).values_list("user_id", "step_id")
        )
        state = {(c[0].user_id, c[2]): (c[0].user_id, c[2]) in done for c in combos}
        for learner, slug, step_id in itertools.cycle(combos):
            key = (learner.user_id, step_id)
            state[key] = not state[key]
            path = reverse("papers:step_toggle", args=[slug, step_id])
            yield learner.post("step_tick", path, {"done": "1" if state[key] else "0"}, htmx=True)

    def _quiz_detail(self) -> Iterator[Req]:
        while True:
            quiz = self.rng.choice(self.quizzes)
            yield self.learner().get("quiz_detail", reverse("quizzes:quiz_detail", args=[quiz.slug]))

    def _quiz_start(self) -> Iterator[Req]:
        while pairs := self.free_pairs(self.batch):
            for user_id, quiz in pairs:
                path = reverse("quizzes:attempt_start", args=[quiz.slug])
                yield self.learner(user_id).post("quiz_start", path, {}, expect=(302,), once=True)

    def _attempt_page(self) -> Iterator[Req]:
        attempts = self.open_attempts(self.batch, answered=True)
        while attempts:
            pk, user_id, _quiz = self.rng.choice(attempts)
            yield self.learner(user_id).get("attempt_page", reverse("quizzes:attempt_detail", args=[pk]))

    def _autosave(self) -> Iterator[Req]:
        """A learner answers every question, then changes each answer twice (sequence numbers as the page has them)."""
        while attempts := self.open_attempts(self.batch, answered=False):
            for pk, user_id, quiz in attempts:
                learner = self.learner(user_id)
                path_of = {qid: reverse("quizzes:attempt_autosave", args=[pk, qid]) for qid, _a in quiz.questions}
                for round_ in range(3):
                    for qid, alternatives in quiz.questions:
                        data = {f"q-{qid}": alternatives[round_ % 2], f"seq-{qid}": str(round_)}
                        yield learner.post("autosave", path_of[qid], data, htmx=True, once=True)

    def _submit(self) -> Iterator[Req]:
        while attempts := self.open_attempts(self.batch, answered=True):
            for pk, user_id, _quiz in attempts:
                path = reverse("quizzes:attempt_submit", args=[pk])
                yield self.learner(user_id).post("submit", path, {}, expect=(302,), once=True)

    def _glossary(self) -> Iterator[Req]:
        while True:
            yield self.learner().get("glossary", reverse("glossary:term_list"))

    def _glossary_search(self) -> Iterator[Req]:
        while True:
            query = urlencode({"q": self.rng.choice(SEARCH_WORDS)})
            yield self.learner().get("glossary_search", f"{reverse('glossary:term_list')}?{query}", htmx=True)

    def _term_detail(self) -> Iterator[Req]:
        while True:
            slug = self.rng.choice(self.terms)
            yield self.learner().get("term_detail", reverse("glossary:term_detail", args=[slug]))

    def _review(self) -> Iterator[Req]:
        while True:
            user_id = self.rng.choice(self.reviewers)
            yield self.learner(user_id).get("review", reverse("glossary:review"))

    def _review_rate(self) -> Iterator[Req]:
        """Each due card is rated twice on one connection: when due, then again ahead of schedule
        (with the review count the first rating left), a batch of cards apart."""
        while self.due_cards:
            batch = [self.due_cards.pop() for _ in range(min(self.batch, len(self.due_cards)))]
            for again in (0, 1):
                for card_id, user_id, reps in batch:
                    data = {"rating": str(self.rng.choice((1, 3, 3, 3, 4))), "reps": str(reps + again)}
                    path = reverse("glossary:review_rate", args=[card_id])
                    yield self.learner(user_id).post("review_rate", path, data, htmx=True, once=True)

    def _dashboard(self) -> Iterator[Req]:
        while True:
            yield self.learner().get("dashboard", reverse("progress:dashboard"))

    def mixed(self, count: int) -> list[Req]:
        """`count` requests in MIX proportions, interleaved (smooth weighted round robin)."""
        streams = {name: getattr(self, f"_{name}")() for name in MIX}
        total = sum(MIX.values())
        credit = dict.fromkeys(MIX, 0)
        out = []
        for _ in range(count):
            for name in MIX:
                credit[name] += MIX[name]
            name = max(credit, key=credit.get)
            credit[name] -= total
            request = next(streams[name], None)
            if request is not None:
                out.append(request)
        return out
