"""Reading stored progress for pages and exports, in a fixed number of queries.

`learner_overview` feeds the learner's dashboard and the instructor's learner
detail (so both show the same numbers); `matrix_page` the instructor matrix;
`progress_csv` / `grades_csv` the streamed exports.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from papers.models import Category, ChecklistStep, Paper
from progress import charts
from progress.models import Activity, PaperProgress, learners_queryset
from quizzes.models import Attempt, Question, Quiz

Status = PaperProgress.Status
QuizState = PaperProgress.QuizState

HEATMAP_WEEKS = 26
RECENT_ACTIVITIES = 12
SCORE_POINTS = 60
NEXT_PAPERS = 3
MATRIX_PAGE_SIZE = 50
EXPORT_CHUNK = 2000
NOT_ATTEMPTED = "not attempted"


# ---------------------------------------------------------------- learner


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
    prerequisites: list[Paper]
    prerequisites_done: bool = True

    @property
    def quiz(self) -> Quiz | None:
        return self.quizzes[0] if self.quizzes else None

    @property
    def missing_prerequisites(self) -> list[Paper]:
        return [p for p in self.prerequisites if not getattr(p, "is_completed_by_learner", False)]


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
    rows: list[PaperRow]
    categories: list[CategorySummary]
    total: int
    completed: int
    read: int
    started: int
    awaiting: int
    next: NextSteps
    activities: list[Activity]
    heatmap_svg: str
    study: charts.StudySummary
    score_svg: str
    scores: list[charts.ScorePoint]

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


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


def _deck_stats(*, user, paper_ids: list[int], now: datetime) -> tuple[dict[int, DeckStats], int, int]:
    """Per paper: its terms, how many are in the learner's deck, cards, cards due; plus deck totals."""
    from glossary.models import Card, Term

    stats: dict[int, DeckStats] = defaultdict(DeckStats)
    term_links = Term.papers.through.objects.filter(paper_id__in=paper_ids)
    for row in term_links.values("paper_id").annotate(n=Count("term_id", distinct=True)).order_by():
        stats[row["paper_id"]].terms = row["n"]
    per_paper = (
        Card.objects.filter(user=user, term__papers__in=paper_ids)
        .values("term__papers")
        .annotate(
            terms=Count("term", distinct=True),
            cards=Count("id", distinct=True),
            due=Count("id", filter=Q(due__lte=now), distinct=True),
        )
        .order_by()
    )
    for row in per_paper:
        deck = stats[row["term__papers"]]
        deck.in_deck, deck.cards, deck.due = row["terms"], row["cards"], row["due"]
    totals = Card.objects.filter(user=user).aggregate(cards=Count("id"), due=Count("id", filter=Q(due__lte=now)))
    return stats, totals["cards"] or 0, totals["due"] or 0


def _activity_days(*, user, start: date) -> dict[date, int]:
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    rows = (
        Activity.objects.filter(user=user, created_at__gte=since)
        .exclude(kind__in=[Activity.Kind.QUIZ_GRADED, Activity.Kind.COMPLETED])
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def _score_points(*, user) -> tuple[list[charts.ScorePoint], Decimal | None]:
    rows = list(
        Attempt.objects.filter(user=user, state=Attempt.State.FINISHED, needs_grading=False, grade__isnull=False)
        .exclude(submitted_at__isnull=True)
        .order_by("-submitted_at", "-pk")
        .values("submitted_at", "grade", "quiz__title", "quiz__pass_mark")[:SCORE_POINTS]
    )
    rows.reverse()
    points = [charts.ScorePoint(at=r["submitted_at"], grade=r["grade"], label=r["quiz__title"]) for r in rows]
    marks = {r["quiz__pass_mark"] for r in rows}
    return points, (marks.pop() if len(marks) == 1 else None)


def learner_overview(*, user, now: datetime | None = None, id_prefix: str = "") -> Overview:
    """Everything the dashboard shows, in a fixed number of queries."""
    now = now or timezone.now()
    papers = list(published_papers())
    paper_ids = [p.pk for p in papers]
    by_id = {p.pk: p for p in papers}
    prereq_links = Paper.prerequisites.through.objects.filter(from_paper_id__in=paper_ids).values_list(
        "from_paper_id", "to_paper_id"
    )
    prerequisites: dict[int, list[Paper]] = defaultdict(list)
    for paper_id, prereq_id in prereq_links:
        if prereq_id in by_id:  # a draft prerequisite cannot block a learner
            prerequisites[paper_id].append(by_id[prereq_id])
    stored = {row.paper_id: row for row in PaperProgress.objects.filter(user=user, paper_id__in=paper_ids)}
    quizzes = _published_quizzes(paper_ids)
    decks, cards_total, cards_due = _deck_stats(user=user, paper_ids=paper_ids, now=now)

    rows: list[PaperRow] = []
    for paper in papers:
        progress = stored.get(paper.pk) or PaperProgress(user=user, paper=paper, steps_total=paper.n_steps)
        progress.paper = paper
        paper.is_completed_by_learner = progress.status == Status.COMPLETED
        rows.append(
            PaperRow(
                paper=paper,
                progress=progress,
                quizzes=quizzes.get(paper.pk, []),
                deck=decks.get(paper.pk, DeckStats()),
                prerequisites=prerequisites.get(paper.pk, []),
            )
        )

    for row in rows:
        row.prerequisites_done = not row.missing_prerequisites

    categories: dict[int, CategorySummary] = {}
    for row in rows:
        summary = categories.setdefault(row.paper.category_id, CategorySummary(category=row.paper.category))
        summary.total += 1
        summary.completed += row.progress.status == Status.COMPLETED
        summary.started += row.progress.status != Status.NOT_STARTED

    next_steps = _next_steps(user=user, rows=rows, cards=cards_total, due=cards_due)

    activities = list(
        Activity.objects.filter(user=user).select_related("paper").order_by("-created_at", "-pk")[:RECENT_ACTIVITIES]
    )
    today = timezone.localdate(now)
    start = charts.heatmap_start(end=today, weeks=HEATMAP_WEEKS)
    days = _activity_days(user=user, start=start)
    points, pass_mark = _score_points(user=user)
    return Overview(
        rows=rows,
        categories=list(categories.values()),
        total=len(rows),
        completed=sum(r.progress.status == Status.COMPLETED for r in rows),
        read=sum(r.progress.status in (Status.READ, Status.COMPLETED) for r in rows),
        started=sum(r.progress.status != Status.NOT_STARTED for r in rows),
        awaiting=sum(r.progress.quiz_state == QuizState.AWAITING_GRADING for r in rows),
        next=next_steps,
        activities=activities,
        heatmap_svg=charts.heatmap_svg(counts=days, end=today, weeks=HEATMAP_WEEKS, id_prefix=f"{id_prefix}heatmap"),
        study=charts.study_summary(counts=days, end=today),
        score_svg=charts.score_chart_svg(points=points, pass_mark=pass_mark, id_prefix=f"{id_prefix}scores"),
        scores=points,
    )


def _next_steps(*, user, rows: list[PaperRow], cards: int, due: int) -> NextSteps:
    """Prerequisites first: papers whose prerequisites are completed, started ones first."""
    open_rows = [r for r in rows if r.progress.status != Status.COMPLETED and r.prerequisites_done]
    never = timezone.make_aware(datetime(1970, 1, 1))
    started = sorted(
        (r for r in open_rows if r.progress.status != Status.NOT_STARTED),
        key=lambda r: r.progress.last_activity_at or never,
        reverse=True,
    )
    fresh = [r for r in open_rows if r.progress.status == Status.NOT_STARTED]
    ordered = started + fresh
    steps = NextSteps(papers=ordered[:NEXT_PAPERS], due_cards=due, cards=cards)

    reading = next((r for r in ordered if r.progress.status in (Status.NOT_STARTED, Status.READING)), None)
    if reading is not None:
        steps.step = (
            ChecklistStep.objects.filter(paper=reading.paper)
            .exclude(progress__user=user)
            .order_by("order", "pk")
            .only("id", "paper_id", "order", "title")
            .first()
        )
        steps.step_row = reading if steps.step is not None else None

    wants_quiz = [
        r
        for r in rows
        if r.quizzes
        and r.progress.status in (Status.READ, Status.READING)
        and r.progress.quiz_state in (QuizState.NONE, QuizState.FAILED, QuizState.IN_PROGRESS)
    ]
    wants_quiz.sort(key=lambda r: (r.progress.status != Status.READ, not r.prerequisites_done))
    steps.quizzes = wants_quiz[:NEXT_PAPERS]
    return steps


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
