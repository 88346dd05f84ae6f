"""Reading stored progress for pages and exports, in a fixed number of queries.

`learner_overview` feeds the learner's dashboard and the instructor's learner
detail (so both show the same numbers); `matrix_page` the instructor matrix;
`progress_csv` / `grades_csv` the streamed exports.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from core.cache import cached_html, fragment_key, get_versioned, set_versioned, versions
from papers.models import Category, ChecklistStep, Paper
from progress import catalog, charts
from progress.models import Activity, PaperProgress, learners_queryset
from progress.sql import fetch, from_db, instance, to_db
from quizzes.models import Attempt, Question, Quiz

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState

HEATMAP_WEEKS = 26
RECENT_ACTIVITIES = 12
SCORE_POINTS = 60
NEXT_PAPERS = 3
STARTED_ROWS = 10  # the dashboard's started papers (latest first); every paper is on the paginated list
PAPERS_PAGE_SIZE = 50
MAX_PAGE = 10_000  # beyond any real catalog; keeps cache keys bounded
LEARNER_CACHE_TIMEOUT = 60 * 60
MATRIX_PAGE_SIZE = 50
EXPORT_CHUNK = 2000
NOT_ATTEMPTED = "not attempted"


# ---------------------------------------------------------------- learner
#
# The learner's dashboard shows what a learner needs first (overall numbers,
# the papers they have started, what to do next, recent activity, charts);
# every published paper is on the paginated `learner_papers_page`. Both read
# the shared catalog from the cache (`progress.catalog`) and a few small
# per-learner statements written out in SQL (see `progress.sql`); the charts
# are cached per learner under a key that changes with their activity.


@dataclass
class DeckStats:
    terms: int = 0  # terms the paper lists
    in_deck: int = 0  # of those, terms with cards in the learner's deck
    cards: int = 0
    due: int = 0


@dataclass
class PaperRow:
    paper: Paper
    progress: PaperProgress
    quizzes: list[Quiz]
    deck: DeckStats
    missing_prerequisites: list[Paper] = field(default_factory=list)  # published, not completed yet

    @property
    def quiz(self) -> Quiz | None:
        return self.quizzes[0] if self.quizzes else None

    @property
    def prerequisites_done(self) -> bool:
        return not self.missing_prerequisites


@dataclass
class CategorySummary:
    category: Category
    total: int = 0
    completed: int = 0
    started: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass
class NextSteps:
    papers: list[PaperRow] = field(default_factory=list)
    step: ChecklistStep | None = None
    step_row: PaperRow | None = None
    quizzes: list[PaperRow] = field(default_factory=list)
    due_cards: int = 0
    cards: int = 0


@dataclass
class Overview:
    rows: list[PaperRow]  # the dashboard: started papers, latest first; the learner detail: every paper
    categories: list[CategorySummary]
    total: int
    completed: int
    read: int
    started: int
    awaiting: int
    next: NextSteps
    activities: list[Activity]
    charts_html: str

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass
class PapersPage:
    page: Page
    rows: list[PaperRow]


def published_papers() -> QuerySet[Paper]:
    """Published papers in catalog order, with `n_steps` (checklist length)."""
    steps = ChecklistStep.objects.filter(paper=OuterRef("pk")).order_by().values("paper").annotate(n=Count("pk"))
    return (
        Paper.objects.published()
        .select_related("category")
        .defer("guide", "guide_html", "bibtex")
        .annotate(n_steps=Coalesce(Subquery(steps.values("n"), output_field=IntegerField()), Value(0)))
        .order_by("category__order", "category", "order", "pk")
    )


def _published_quizzes(paper_ids: Iterable[int]) -> dict[int, list[Quiz]]:
    by_paper: dict[int, list[Quiz]] = defaultdict(list)
    quizzes = (
        Quiz.objects.filter(is_published=True, paper_id__in=list(paper_ids))
        .only("id", "paper_id", "slug", "title", "pass_mark", "grading_method", "attempts_allowed")
        .order_by("pk")
    )
    for quiz in quizzes:
        by_paper[quiz.paper_id].append(quiz)
    return by_paper


class _Stored(NamedTuple):
    """One stored PaperProgress row of the learner, as read (converted) from the database."""

    id: int
    paper_id: int
    steps_done: int
    steps_total: int
    status: str
    quiz_state: str
    quiz_grade: Decimal | None
    best_grade: Decimal | None
    attempts_used: int
    last_activity_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


_PROGRESS_SQL = """
SELECT id, paper_id, steps_done, steps_total, status, quiz_state, quiz_grade, best_grade, attempts_used,
       last_activity_at, completed_at, updated_at
FROM progress_paperprogress WHERE user_id = %(user)s
"""

_DECK_SQL = """
SELECT tp.paper_id, COUNT(DISTINCT c.term_id), COUNT(DISTINCT c.id),
       COUNT(DISTINCT CASE WHEN c.due <= %(now)s THEN c.id END)
FROM glossary_card c JOIN glossary_term_papers tp ON tp.term_id = c.term_id
WHERE c.user_id = %(user)s
GROUP BY tp.paper_id
UNION ALL
SELECT NULL, 0, COUNT(id), COUNT(CASE WHEN due <= %(now)s THEN 1 END) FROM glossary_card WHERE user_id = %(user)s
"""

_ACTIVITIES_SQL = """
SELECT a.id, a.kind, a.paper_id, a.detail, a.created_at, p.title, p.slug
FROM progress_activity a LEFT JOIN papers_paper p ON p.id = a.paper_id
WHERE a.user_id = %(user)s
ORDER BY a.created_at DESC, a.id DESC
LIMIT %(limit)s
"""

_NEXT_STEP_SQL = """
SELECT cs.id, cs."order", cs.title FROM papers_checkliststep cs
WHERE cs.paper_id = %(paper)s
  AND NOT EXISTS (SELECT 1 FROM papers_stepprogress sp WHERE sp.step_id = cs.id AND sp.user_id = %(user)s)
ORDER BY cs."order", cs.id
LIMIT 1
"""

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _stored_progress(user_id: int) -> list[_Stored]:
    rows = []
    for row in fetch(_PROGRESS_SQL, {"user": user_id}):
        stored = _Stored(*row)
        rows.append(
            stored._replace(
                quiz_grade=from_db(PaperProgress, "quiz_grade", stored.quiz_grade),
                best_grade=from_db(PaperProgress, "best_grade", stored.best_grade),
                last_activity_at=from_db(PaperProgress, "last_activity_at", stored.last_activity_at),
                completed_at=from_db(PaperProgress, "completed_at", stored.completed_at),
                updated_at=from_db(PaperProgress, "updated_at", stored.updated_at),
            )
        )
    return rows


def _recent_activities(user_id: int) -> list[Activity]:
    activities = []
    for pk, kind, paper_id, detail, created_at, title, slug in fetch(
        _ACTIVITIES_SQL, {"user": user_id, "limit": RECENT_ACTIVITIES}
    ):
        activity = instance(
            Activity,
            id=pk,
            user_id=user_id,
            kind=kind,
            paper_id=paper_id,
            detail=detail,
            created_at=from_db(Activity, "created_at", created_at),
        )
        activity.paper = instance(Paper, id=paper_id, title=title, slug=slug) if paper_id is not None else None
        activities.append(activity)
    return activities


class _Learner:
    """One learner's stored progress over the shared catalog, making rows for the papers a page shows."""

    def __init__(self, user, *, now: datetime):
        self.user, self.now = user, now
        self.catalog = catalog.catalog()
        everything = _stored_progress(user.pk)
        # Changes whenever a row is written (every refresh and rebuild sets updated_at): part of the charts' key.
        self.fingerprint = (len(everything), max((s.updated_at for s in everything), default=None))
        in_catalog = self.catalog.by_id
        self.stored = {s.paper_id: s for s in everything if s.paper_id in in_catalog}
        self.completed = {paper_id for paper_id, s in self.stored.items() if s.status == Status.COMPLETED}
        self._papers: dict[int, Paper] = {}
        self._rows: dict[int, PaperRow] = {}
        self.decks: dict[int, DeckStats] = {}
        self.cards = self.due = 0

    def status(self, paper_id: int) -> str:
        stored = self.stored.get(paper_id)
        return stored.status if stored is not None else Status.NOT_STARTED

    def paper(self, paper_id: int) -> Paper:
        paper = self._papers.get(paper_id)
        if paper is None:
            paper = self._papers[paper_id] = self.catalog.paper(self.catalog.by_id[paper_id])
        return paper

    def prerequisites_done(self, info: catalog.PaperInfo) -> bool:
        return all(p in self.completed for p in info.prerequisites)

    def progress(self, info: catalog.PaperInfo) -> PaperProgress:
        stored = self.stored.get(info.id)
        if stored is None:
            progress = PaperProgress(user_id=self.user.pk, paper_id=info.id, steps_total=info.steps)
        else:
            progress = instance(PaperProgress, user_id=self.user.pk, **stored._asdict())
        progress.paper = self.paper(info.id)
        return progress

    def row(self, paper_id: int) -> PaperRow:
        """The row of one paper (made once per page: the same paper may be listed and suggested)."""
        row = self._rows.get(paper_id)
        if row is None:
            row = self._rows[paper_id] = self._make_row(paper_id)
        return row

    def _make_row(self, paper_id: int) -> PaperRow:
        info = self.catalog.by_id[paper_id]
        terms = self.catalog.term_counts.get(paper_id, 0)
        deck = self.decks.get(paper_id)
        return PaperRow(
            paper=self.paper(paper_id),
            progress=self.progress(info),
            quizzes=self.catalog.quizzes(info),
            deck=DeckStats(terms, deck.in_deck, deck.cards, deck.due) if deck else DeckStats(terms=terms),
            missing_prerequisites=[self.paper(p) for p in info.prerequisites if p not in self.completed],
        )

    def read_decks(self) -> None:
        """Per paper: terms in the deck, cards, cards due; and the deck's totals (one statement)."""
        from glossary.models import Card

        for paper_id, terms, cards, due in fetch(
            _DECK_SQL, {"user": self.user.pk, "now": to_db(Card, "due", self.now)}
        ):
            if paper_id is None:
                self.cards, self.due = cards or 0, due or 0
            else:
                self.decks[paper_id] = DeckStats(in_deck=terms, cards=cards, due=due)

    def by_recent_activity(self, stored: Iterable[_Stored]) -> list[_Stored]:
        """Latest activity first; catalog order among equals."""
        position = self.catalog.position
        ordered = sorted(stored, key=lambda s: position[s.paper_id])
        return sorted(ordered, key=lambda s: s.last_activity_at or _NEVER, reverse=True)

    def summary(self) -> dict:
        totals = self.catalog.category_totals()
        categories = {
            c.id: CategorySummary(category=self.catalog.category(c.id), total=totals[c.id])
            for c in self.catalog.categories
        }
        rows = self.stored.values()
        for s in rows:
            summary = categories[self.catalog.by_id[s.paper_id].category_id]
            summary.completed += s.status == Status.COMPLETED
            summary.started += s.status != Status.NOT_STARTED
        return {
            "categories": list(categories.values()),
            "total": len(self.catalog.papers),
            "completed": len(self.completed),
            "read": sum(s.status in (Status.READ, Status.COMPLETED) for s in rows),
            "started": sum(s.status != Status.NOT_STARTED for s in rows),
            "awaiting": sum(s.quiz_state == QuizState.AWAITING_GRADING for s in rows),
        }

    def next_steps(self) -> NextSteps:
        """Prerequisites first: papers whose prerequisites are completed, started ones first."""
        by_id = self.catalog.by_id
        started = self.by_recent_activity(
            s
            for s in self.stored.values()
            if s.status not in (Status.COMPLETED, Status.NOT_STARTED) and self.prerequisites_done(by_id[s.paper_id])
        )
        fresh = (
            info.id
            for info in self.catalog.papers
            if self.status(info.id) == Status.NOT_STARTED and self.prerequisites_done(info)
        )
        ordered = [s.paper_id for s in started] + list(islice(fresh, NEXT_PAPERS))
        steps = NextSteps(papers=[self.row(p) for p in ordered[:NEXT_PAPERS]], due_cards=self.due, cards=self.cards)

        reading = next((p for p in ordered if self.status(p) in (Status.NOT_STARTED, Status.READING)), None)
        if reading is not None:
            found = fetch(_NEXT_STEP_SQL, {"paper": reading, "user": self.user.pk})
            if found:
                pk, order, title = found[0]
                steps.step = instance(ChecklistStep, id=pk, paper_id=reading, order=order, title=title)
                steps.step_row = self.row(reading)

        position = self.catalog.position

        def quiz_order(s: _Stored) -> tuple:
            return s.status != Status.READ, not self.prerequisites_done(by_id[s.paper_id]), position[s.paper_id]

        wants_quiz = sorted(
            (
                s
                for s in self.stored.values()
                if by_id[s.paper_id].quizzes
                and s.status in (Status.READ, Status.READING)
                and s.quiz_state in (QuizState.NONE, QuizState.FAILED, QuizState.IN_PROGRESS)
            ),
            key=quiz_order,
        )
        steps.quizzes = [self.row(s.paper_id) for s in wants_quiz[:NEXT_PAPERS]]
        return steps

    def charts_html(self, *, activities: list[Activity], id_prefix: str) -> str:
        """The study-charts section, cached per learner until their activity or progress changes (or the day)."""
        today = timezone.localdate(self.now)
        latest = activities[0] if activities else None
        count, updated = self.fingerprint
        key = fragment_key(
            "progress-charts",
            self.user.pk,
            id_prefix or "-",
            today.isoformat(),
            timezone.get_current_timezone_name(),
            count,
            updated.timestamp() if updated else "-",
            latest.pk if latest else "-",
            latest.created_at.timestamp() if latest else "-",
        )
        return cached_html(key, lambda: _render_charts(user=self.user, today=today, id_prefix=id_prefix))


_CHART_SOURCES_SQL = """
SELECT 'day', created_at, NULL, NULL, NULL FROM progress_activity
WHERE user_id = %(user)s AND created_at >= %(since)s AND kind NOT IN (%(graded)s, %(completed)s)
UNION ALL
SELECT * FROM (
    SELECT 'score', a.submitted_at, a.grade, q.title, q.pass_mark
    FROM quizzes_attempt a JOIN quizzes_quiz q ON q.id = a.quiz_id
    WHERE a.user_id = %(user)s AND a.state = %(finished)s AND NOT a.needs_grading
      AND a.grade IS NOT NULL AND a.submitted_at IS NOT NULL
    ORDER BY a.submitted_at DESC, a.id DESC
    LIMIT %(points)s
) scores
"""


def _chart_sources(*, user_id: int, start: date) -> tuple[dict[date, int], list[charts.ScorePoint], Decimal | None]:
    """Activities per local day since `start`, and the latest graded attempts: one statement.

    Days are counted in Python in the current time zone, as the ORM's
    TruncDate would, so the statement is the same on every database.
    """
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()), timezone.get_current_timezone())
    params = {
        "user": user_id,
        "since": to_db(Activity, "created_at", since),
        "graded": Activity.Kind.QUIZ_GRADED,
        "completed": Activity.Kind.COMPLETED,
        "finished": Attempt.State.FINISHED,
        "points": SCORE_POINTS,
    }
    days: dict[date, int] = defaultdict(int)
    points, marks = [], set()
    for kind, at, grade, title, pass_mark in fetch(_CHART_SOURCES_SQL, params):
        if kind == "day":
            days[timezone.localdate(from_db(Activity, "created_at", at))] += 1
        else:
            grade = from_db(Attempt, "grade", grade)
            points.append(charts.ScorePoint(at=from_db(Attempt, "submitted_at", at), grade=grade, label=title))
            marks.add(from_db(Quiz, "pass_mark", pass_mark))
    points.reverse()  # oldest first
    return days, points, (marks.pop() if len(marks) == 1 else None)


def _render_charts(*, user, today: date, id_prefix: str) -> str:
    start = charts.heatmap_start(end=today, weeks=HEATMAP_WEEKS)
    days, points, pass_mark = _chart_sources(user_id=user.pk, start=start)
    score_svg, score_rows = _score_parts(points, pass_mark, id_prefix=f"{id_prefix}scores")
    context = {
        "heatmap_svg": charts.heatmap_svg(counts=days, end=today, weeks=HEATMAP_WEEKS, id_prefix=f"{id_prefix}heatmap"),
        "study": charts.study_summary(counts=days, end=today),
        "score_svg": score_svg,
        "score_rows": score_rows,
    }
    return render_to_string("progress/study_charts.html", context)


def _score_parts(points: list[charts.ScorePoint], pass_mark: Decimal | None, *, id_prefix: str) -> tuple:
    """The score chart and its table, cached by what they show (the graded attempts, in this language and
    time zone): a tick or a card rating changes the heatmap, not the scores, so they are not drawn again."""
    shown = (id_prefix, timezone.get_current_timezone_name(), str(pass_mark))
    shown += tuple((p.at.isoformat(), str(p.grade), p.label) for p in points)
    key = fragment_key("progress-scores", hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest())
    parts = get_versioned([key]).get(key)
    if parts is None:
        parts = (
            charts.score_chart_svg(points=points, pass_mark=pass_mark, id_prefix=id_prefix),
            charts.score_table_rows(points),  # a SafeString, and stays one in the cache
        )
        set_versioned({key: parts})
    return parts


def learner_overview(*, user, now: datetime | None = None, id_prefix: str = "", every_paper: bool = False) -> Overview:
    """What the dashboard shows (or, with `every_paper`, the instructor's learner detail), in a fixed number of queries.

    The dashboard lists the learner's started papers (latest activity first,
    at most STARTED_ROWS); the learner detail lists every published paper.
    """
    learner = _Learner(user, now=now or timezone.now())
    learner.read_decks()
    if every_paper:
        rows = [learner.row(info.id) for info in learner.catalog.papers]
    else:
        started = [s for s in learner.stored.values() if s.status != Status.NOT_STARTED]
        rows = [learner.row(s.paper_id) for s in learner.by_recent_activity(started)[:STARTED_ROWS]]
    activities = _recent_activities(user.pk)
    return Overview(
        rows=rows,
        **learner.summary(),
        next=learner.next_steps(),
        activities=activities,
        charts_html=learner.charts_html(activities=activities, id_prefix=id_prefix),
    )


# Each table is scanned once (a count with a latest time), not once per value.
_STATE_SQL = """
SELECT p.n, p.latest, a.n, a.latest, c.n, c.due
FROM (SELECT COUNT(*) AS n, MAX(updated_at) AS latest
      FROM progress_paperprogress WHERE user_id = %(user)s) p,
     (SELECT COUNT(*) AS n, MAX(created_at) AS latest
      FROM progress_activity WHERE user_id = %(user)s) a,
     (SELECT COUNT(*) AS n, COUNT(CASE WHEN due <= %(now)s THEN 1 END) AS due
      FROM glossary_card WHERE user_id = %(user)s) c
"""


def learner_state(*, user_id: int, now: datetime) -> tuple:
    """A fingerprint of everything a learner's progress pages show about them (one statement).

    It changes whenever one of their progress rows is written (every refresh
    and rebuild sets `updated_at`; ticks and attempts always refresh), an
    activity is logged or merged (flashcard reviews log one), a card is
    added or removed, or a card falls due. What is the same for everyone
    (papers, quizzes, glossary links) is covered by the catalog's versions.
    """
    from glossary.models import Card

    (row,) = fetch(_STATE_SQL, {"user": user_id, "now": to_db(Card, "due", now)})
    return tuple(str(value) for value in row)  # only compared, never read: the raw text is enough


def cached_for_learner(*, user, kind: str, render, parts: Iterable = (), now: datetime | None = None) -> SafeString:
    """HTML about one learner, cached until their `learner_state` or the shared catalog changes (or the day does).

    One statement and two cache round trips when nothing changed; `render()`
    (which must not depend on the request: no CSRF token, no nonce) otherwise.
    """
    now = now or timezone.now()
    key = fragment_key(
        kind,
        user.pk,
        *parts,
        *versions(catalog.CATALOG, catalog.TERMS, catalog.PAPERS),
        timezone.localdate(now).isoformat(),
        timezone.get_current_timezone_name(),
        hashlib.blake2b("|".join(learner_state(user_id=user.pk, now=now)).encode(), digest_size=12).hexdigest(),
    )
    return cached_html(key, render, timeout=LEARNER_CACHE_TIMEOUT)


def page_number(value: str | None) -> int:
    """A requested page number, bounded (a number past the end shows the last page)."""
    return min(int(value), MAX_PAGE) if value and value.isdigit() and int(value) > 0 else 1


def learner_papers_page(*, user, page_number: str | int | None = 1, now: datetime | None = None) -> PapersPage:
    """One page of every published paper (catalog order) with the learner's progress on it."""
    learner = _Learner(user, now=now or timezone.now())
    page = Paginator(learner.catalog.papers, PAPERS_PAGE_SIZE).get_page(page_number)
    learner.read_decks()
    return PapersPage(page=page, rows=[learner.row(info.id) for info in page.object_list])


# ---------------------------------------------------------------- instructor


@dataclass(frozen=True)
class MatrixFilters:
    category: Category | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""

    def as_query(self) -> dict[str, str]:
        query = {}
        if self.category:
            query["category"] = self.category.slug
        if self.since:
            query["since"] = self.since.isoformat()
        if self.until:
            query["until"] = self.until.isoformat()
        if self.q:
            query["q"] = self.q
        return query


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()), timezone.get_current_timezone())


def filtered_papers(filters: MatrixFilters) -> QuerySet[Paper]:
    papers = published_papers()
    if filters.category is not None:
        papers = papers.filter(category=filters.category)
    return papers


def filtered_learners(filters: MatrixFilters) -> QuerySet:
    """Learners matching the search, active in the date range (on the filtered papers) when one is given."""
    learners = learners_queryset()
    if filters.q:
        q = filters.q
        learners = learners.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q) | Q(email__icontains=q)
        )
    if filters.since or filters.until:
        active = PaperProgress.objects.active_between(
            _day_start(filters.since) if filters.since else None,
            _day_start(filters.until + timedelta(days=1)) if filters.until else None,
        ).filter(paper__status=Paper.Status.PUBLISHED)
        if filters.category is not None:
            active = active.filter(paper__category=filters.category)
        learners = learners.filter(pk__in=active.values("user_id"))
    return learners.order_by("username", "pk")


@dataclass
class MatrixRow:
    learner: object
    cells: list[PaperProgress | None]

    @property
    def completed(self) -> int:
        return sum(1 for c in self.cells if c is not None and c.status == Status.COMPLETED)


@dataclass
class PaperSummary:
    paper: Paper
    quizzes: list[Quiz]
    learners: int = 0
    completed: int = 0
    passed: int = 0
    awaiting: int = 0
    average_grade: Decimal | None = None


@dataclass
class Matrix:
    papers: list[Paper]
    rows: list[MatrixRow]
    page: Page
    summaries: list[PaperSummary]
    learner_count: int


def matrix_page(*, filters: MatrixFilters, page_number: str | int | None = 1) -> Matrix:
    papers = list(filtered_papers(filters))
    paper_ids = [p.pk for p in papers]
    learners = filtered_learners(filters).only("id", "username", "first_name", "last_name", "email")
    page = Paginator(learners, MATRIX_PAGE_SIZE).get_page(page_number)
    page_learners = list(page.object_list)
    cells: dict[tuple[int, int], PaperProgress] = {
        (row.user_id, row.paper_id): row
        for row in PaperProgress.objects.filter(user_id__in=[u.pk for u in page_learners], paper_id__in=paper_ids)
    }
    rows = [MatrixRow(learner=u, cells=[cells.get((u.pk, p.pk)) for p in papers]) for u in page_learners]

    quizzes = _published_quizzes(paper_ids)
    stats = {
        row["paper_id"]: row
        for row in PaperProgress.objects.filter(paper_id__in=paper_ids, user_id__in=learners.values("pk"))
        .values("paper_id")
        .annotate(
            learners=Count("id", filter=~Q(status=Status.NOT_STARTED)),
            completed=Count("id", filter=Q(status=Status.COMPLETED)),
            passed=Count("id", filter=Q(quiz_state=QuizState.PASSED)),
            awaiting=Count("id", filter=Q(quiz_state=QuizState.AWAITING_GRADING)),
            average=Avg("quiz_grade"),
        )
        .order_by()
    }
    summaries = []
    for paper in papers:
        row = stats.get(paper.pk, {})
        summaries.append(
            PaperSummary(
                paper=paper,
                quizzes=quizzes.get(paper.pk, []),
                learners=row.get("learners", 0),
                completed=row.get("completed", 0),
                passed=row.get("passed", 0),
                awaiting=row.get("awaiting", 0),
                average_grade=row.get("average"),
            )
        )
    return Matrix(papers=papers, rows=rows, page=page, summaries=summaries, learner_count=page.paginator.count)


def learner_attempts(*, user) -> list[Attempt]:
    return list(
        Attempt.objects.filter(user=user)
        .select_related("quiz", "quiz__paper")
        .order_by("-started_at", "-pk")
        .only(
            "id",
            "number",
            "state",
            "grade",
            "needs_grading",
            "started_at",
            "submitted_at",
            "quiz__id",
            "quiz__title",
            "quiz__slug",
            "quiz__paper__id",
            "quiz__paper__title",
        )
    )


@dataclass
class QuestionStats:
    question: Question
    answered: int
    graded: int
    average_score: Decimal | None
    correct: int

    @property
    def average_percent(self) -> float | None:
        if self.average_score is None or not self.question.points:
            return None
        return float(self.average_score) * 100 / float(self.question.points)

    @property
    def correct_percent(self) -> float | None:
        return 100 * self.correct / self.graded if self.graded else None


@dataclass
class QuizStats:
    quiz: Quiz
    attempts: int
    finished: int
    graded: int
    pending: int
    learners: int
    average_grade: Decimal | None
    passed_attempts: int
    learner_states: dict[str, int]
    questions: list[QuestionStats]
    distribution: list[tuple[str, int]]

    @property
    def pass_rate(self) -> float | None:
        return 100 * self.passed_attempts / self.graded if self.graded else None


GRADE_BINS = [(0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 101)]


def quiz_statistics(*, quiz: Quiz) -> QuizStats:
    finished = Q(state=Attempt.State.FINISHED)
    graded = finished & Q(needs_grading=False, grade__isnull=False)
    bins = {f"bin{low}": Count("id", filter=graded & Q(grade__gte=low, grade__lt=high)) for low, high in GRADE_BINS}
    totals = Attempt.objects.filter(quiz=quiz).aggregate(
        attempts=Count("id"),
        finished=Count("id", filter=finished),
        graded=Count("id", filter=graded),
        pending=Count("id", filter=finished & Q(needs_grading=True)),
        learners=Count("user", distinct=True),
        average=Avg("grade", filter=graded),
        passed=Count("id", filter=graded & Q(grade__gte=quiz.pass_mark)),
        **bins,
    )
    in_finished = Q(responses__attempt__state=Attempt.State.FINISHED)
    questions = (
        Question.objects.filter(quiz=quiz)
        .annotate(
            answered=Count("responses", filter=in_finished),
            graded_n=Count("responses", filter=in_finished & Q(responses__score__isnull=False)),
            average_score=Avg("responses__score", filter=in_finished & Q(responses__score__isnull=False)),
            correct_n=Count("responses", filter=in_finished & Q(responses__fraction__gte=1)),
        )
        .only("id", "order", "qtype", "name", "text", "points")
        .order_by("order", "pk")
    )
    states = dict(
        PaperProgress.objects.filter(paper_id=quiz.paper_id, user_id__in=learners_queryset().values("pk"))
        .values_list("quiz_state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return QuizStats(
        quiz=quiz,
        attempts=totals["attempts"],
        finished=totals["finished"],
        graded=totals["graded"],
        pending=totals["pending"],
        learners=totals["learners"],
        average_grade=totals["average"],
        passed_attempts=totals["passed"],
        learner_states=states,
        questions=[
            QuestionStats(
                question=q, answered=q.answered, graded=q.graded_n, average_score=q.average_score, correct=q.correct_n
            )
            for q in questions
        ],
        distribution=[(f"{low}–{min(high, 100)}", totals[f"bin{low}"]) for low, high in GRADE_BINS],
    )


# ---------------------------------------------------------------- CSV


class _Echo:
    """A file-like object whose write() hands the row back to the generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    """Text for a CSV cell; text that a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _grade(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def _learners_with_rows(filters: MatrixFilters, papers: list[Paper], fields: list[str]) -> Iterator[tuple]:
    """(learner values, {paper_id: progress values}) per learner, merging two ordered streams.

    Two queries whatever the number of learners: learners ordered by id, and
    their progress rows ordered by learner id, both read in chunks.
    """
    learners = filtered_learners(filters).order_by("pk")
    learner_values = learners.values_list("pk", "username", "first_name", "last_name", "email")
    progress = (
        PaperProgress.objects.filter(user_id__in=learners.values("pk"), paper_id__in=[p.pk for p in papers])
        .order_by("user_id", "paper_id")
        .values_list("user_id", "paper_id", *fields)
    )
    rows = progress.iterator(chunk_size=EXPORT_CHUNK)
    pending = next(rows, None)
    for learner in learner_values.iterator(chunk_size=EXPORT_CHUNK):
        mine = {}
        while pending is not None and pending[0] < learner[0]:
            pending = next(rows, None)
        while pending is not None and pending[0] == learner[0]:
            mine[pending[1]] = pending[2:]
            pending = next(rows, None)
        yield learner, mine


PROGRESS_FIELDS = [
    "status",
    "steps_done",
    "steps_total",
    "quiz_state",
    "quiz_grade",
    "best_grade",
    "attempts_used",
    "last_activity_at",
    "completed_at",
]
PROGRESS_HEADER = [
    "learner_id",
    "username",
    "name",
    "email",
    "category",
    "paper",
    "paper_slug",
    "status",
    "steps_done",
    "steps_total",
    "quiz_state",
    "quiz_grade",
    "best_grade",
    "attempts_used",
    "last_activity_at",
    "completed_at",
]

GRADES_FIELDS = ["quiz_state", "quiz_grade", "best_grade", "attempts_used"]
GRADES_HEADER = [
    "learner_id",
    "username",
    "name",
    "email",
    "category",
    "paper",
    "quiz",
    "grading_method",
    "pass_mark",
    "quiz_state",
    "grade",
    "best_grade",
    "attempts_used",
    "passed",
]


def _learner_cells(learner: tuple) -> list[str]:
    pk, username, first, last, email = learner
    return [str(pk), _cell(username), _cell(f"{first} {last}".strip()), _cell(email)]


def progress_csv(*, filters: MatrixFilters) -> Iterator[str]:
    """The progress export, one line at a time (UTF-8 BOM first, for Excel)."""
    writer = csv.writer(_Echo())
    papers = list(filtered_papers(filters))
    yield "\ufeff"
    yield writer.writerow(PROGRESS_HEADER)
    for learner, mine in _learners_with_rows(filters, papers, PROGRESS_FIELDS):
        head = _learner_cells(learner)
        for paper in papers:
            paper_cells = [_cell(paper.category.name_ko), _cell(paper.title), paper.slug]
            values = mine.get(paper.pk)
            if values is None:
                tail = [
                    NOT_ATTEMPTED,
                    "0",
                    str(paper.n_steps),
                    NOT_ATTEMPTED,
                    NOT_ATTEMPTED,
                    NOT_ATTEMPTED,
                    "0",
                    "",
                    "",
                ]
            else:
                status, done, total, quiz_state, grade, best, attempts, last, completed = values
                no_quiz_yet = quiz_state == QuizState.NONE
                tail = [
                    status,
                    str(done),
                    str(total),
                    quiz_state,
                    NOT_ATTEMPTED if no_quiz_yet and grade is None else _grade(grade),
                    NOT_ATTEMPTED if no_quiz_yet and best is None else _grade(best),
                    str(attempts),
                    _when(last),
                    _when(completed),
                ]
            yield writer.writerow(head + paper_cells + tail)


def grades_csv(*, filters: MatrixFilters) -> Iterator[str]:
    """The grades export: one line per learner and paper, "not attempted" for blanks."""
    writer = csv.writer(_Echo())
    papers = list(filtered_papers(filters))
    quizzes = _published_quizzes(p.pk for p in papers)
    yield "\ufeff"
    yield writer.writerow(GRADES_HEADER)
    paper_cells = {}
    for paper in papers:
        items = quizzes.get(paper.pk, [])
        paper_cells[paper.pk] = [
            _cell(paper.category.name_ko),
            _cell(paper.title),
            _cell("; ".join(q.title for q in items)),
            "; ".join(q.grading_method for q in items),
            "; ".join(f"{q.pass_mark:.2f}" for q in items),
        ]
    for learner, mine in _learners_with_rows(filters, papers, GRADES_FIELDS):
        head = _learner_cells(learner)
        for paper in papers:
            has_quiz = bool(quizzes.get(paper.pk))
            values = mine.get(paper.pk)
            if not has_quiz:
                tail = ["no quiz", "", "", str(values[3]) if values else "0", ""]
            elif values is None or values[0] == QuizState.NONE:
                attempts = str(values[3]) if values else "0"
                tail = [NOT_ATTEMPTED, NOT_ATTEMPTED, NOT_ATTEMPTED, attempts, "no"]
            else:
                quiz_state, grade, best, attempts = values
                tail = [
                    quiz_state,
                    _grade(grade),
                    _grade(best),
                    str(attempts),
                    "yes" if quiz_state == QuizState.PASSED else "no",
                ]
            yield writer.writerow(head + paper_cells[paper.pk] + tail)
