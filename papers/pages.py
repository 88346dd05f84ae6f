"""The catalog pages, put together from cached fragments and the learner's ticks.

The paper list and a paper's page look the same for every learner except for
reading progress and the CSRF token of the checklist forms. So a page is
rendered once per language, content version and view (learner or instructor,
who also sees drafts) with `SLOT` markers where per-learner HTML goes, cut at
the markers, and the parts are cached (`core.cache.cached_fragments`). What
goes in the slots depends on the learner only through small numbers (steps
done of steps total, ticked or not), so it is cached as fragments too, one per
value. A request then reads:

1. the content versions and the learner's tick version (`core.cache.versions`),
2. the page's outline (which papers and steps, no HTML) and the learner's
   ticked steps (`cache.get_many`; the ticks come from one query when missing),
3. every fragment the page needs (one `get_many` in `cached_fragments`),

and joins them with `core.cache.join_escaped`, which escapes anything not already safe.

What the shared HTML depends on is versioned: `CATALOG` (papers,
categories, checklist steps, prerequisites), `PAPER_QUIZZES` and `PAPER_TERMS`, which
`papers.signals` bumps, and `core.cache.MARKDOWN` (stored HTML re-rendered in
bulk). A paper's card is keyed by its `updated_at` and status instead, so it
outlives changes to other papers. A learner's ticks are versioned per learner
(`ticks_version`) and by `CATALOG` (a deleted step takes its ticks with it).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.cache import (
    FRAGMENT_TIMEOUT,
    MARKDOWN,
    assembled_get,
    assembled_set,
    cached_fragments,
    fill_slots,
    fragment_key,
    join_escaped,
    local_get,
    local_set,
    read_many,
    read_with_session,
    read_with_session_for_user,
    version_key,
    versions,
)
from core.chrome import csrf_token
from core.permissions import is_instructor
from papers import sql
from papers.models import Category, ChecklistStep, Paper, ReadingStatus

# Version names (see core.cache); papers.signals bumps them.
CATALOG = "papers"
PAPER_QUIZZES = "paper-quizzes"
PAPER_TERMS = "paper-terms"

# Part of every key here: change it when the cached classes or templates change,
# so that a deploy does not read what the previous code cached.
LAYOUT = 9

PAGE_SIZE = 24
MAX_PAGE = 10_000  # beyond any real catalog; keeps cache keys bounded
# A search's page is cached for a while only: searches are many and rarely repeated.
SEARCH_TIMEOUT = 10 * 60

# Where per-learner HTML goes in a rendered page. Only our templates write it:
# text from the database is escaped, and stored Markdown HTML has its comments
# stripped by the sanitizer. `SLOT_CONTEXT` puts it in a template's context.
SLOT = "<!--slot-->"
SLOT_CONTEXT = format_html(SLOT + "{}", "")  # the marker as a SafeString, which templates do not escape


def split_slots(html: str, slots: int) -> list[str]:
    parts = html.split(SLOT)
    if len(parts) != slots + 1:
        raise ValueError(f"expected {slots} slots, found {len(parts) - 1}")
    return parts


def interleave(parts: Sequence[str], fills: Sequence[str]) -> SafeString:
    """Cached parts with what goes in each slot between them."""
    pieces = [parts[0]]
    for fill, part in zip(fills, parts[1:], strict=True):
        pieces += [fill, part]
    return join_escaped(pieces)  # any piece not already safe is escaped


def fragments(
    pieces: list[tuple], renderers: dict[str, Callable[[list[tuple]], list[str]]], *, timeout: int = FRAGMENT_TIMEOUT
) -> dict:
    """The HTML of each piece, in one cache round trip.

    A piece is a tuple: its kind, then what its HTML depends on (its cache key
    is made of them). The misses of each kind are rendered together by
    `renderers[kind]`.
    """

    def render(missing: list[tuple]) -> list[str]:
        html = {}
        for kind in dict.fromkeys(piece[0] for piece in missing):
            group = [piece for piece in missing if piece[0] == kind]
            html.update(zip(group, renderers[kind](group), strict=True))
        return [html[piece] for piece in missing]

    unique = list(dict.fromkeys(pieces))
    html = cached_fragments("papers", unique, lambda piece: (LAYOUT, *piece), render, timeout=timeout)
    return dict(zip(unique, html, strict=True))


def each(render: Callable[[tuple], str]) -> Callable[[list[tuple]], list[str]]:
    return lambda pieces: [render(piece) for piece in pieces]


def _parts(html: dict, pieces: list[tuple], count: int) -> list[str]:
    """`count` parts of a page cut at its slots: the cached ones that have HTML, the others empty."""
    parts = [""] * count
    for piece in pieces:
        parts[piece[2]] = html[piece]
    return parts


def _nonempty(parts: list[str]) -> list[int]:
    return [i for i, part in enumerate(parts) if part]


def _percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


# --- the learner's ticks ------------------------------------------------------


def ticks_version(user_id: int) -> str:
    """The version name of a learner's ticked steps; `ChecklistStep.set_done` bumps it."""
    return f"paper-ticks:{user_id}"


def _load_ticks(user) -> dict[int, frozenset[int]]:
    ticks = defaultdict(set)
    for paper_id, step_id in sql.ticked_steps(user_id=user.pk):
        ticks[paper_id].add(step_id)
    return {paper_id: frozenset(steps) for paper_id, steps in ticks.items()}


@dataclass
class Visit:
    """What one request read from the cache: its page's outline (or None) and the learner's ticks."""

    key: str  # the outline's key; the page's fragments are named after it
    outline: object | None
    ticks: dict[int, frozenset[int]]  # paper id -> ticked step ids; empty for visitors


def ticks_key(user_id) -> str:
    """Where a learner's ticks are cached, tagged with the versions they were read under."""
    return f"papers:ticks:{user_id}"


def visit(user, names: Sequence[str], outline_key: Callable[[tuple[str, ...]], str]) -> Visit:
    """The versions (content `names`, starting with CATALOG, and the learner's ticks), the page's
    outline and the learner's ticks.

    A signed-in request's session read brought the versions and the ticks
    (`read_with_session_for_user` below), and outlines never change under
    their key, so the process's copy serves them: often no round trip at all.
    """
    signed_in = user.is_authenticated
    tokens = versions(*names, *([ticks_version(user.pk)] if signed_in else []))
    key = outline_key(tokens[: len(names)])
    outline = local_get(key)
    wanted = [] if outline is not None else [key]
    if signed_in:
        wanted.append(ticks_key(user.pk))
    found = read_many(wanted) if wanted else {}
    if outline is None and (outline := found.get(key)) is not None:
        local_set(key, outline)
    if not signed_in:
        return Visit(key=key, outline=outline, ticks={})
    tag = (tokens[0], tokens[-1])
    cached = found.get(ticks_key(user.pk))
    if cached is not None and cached[0] == tag:
        ticks = cached[1]
    else:
        # The tag is read before the rows: a tick after this read bumps it, so this copy is never used.
        ticks = _load_ticks(user)
        cache.set(ticks_key(user.pk), (tag, ticks), timeout=FRAGMENT_TIMEOUT)
    return Visit(key=key, outline=outline, ticks=ticks)


# --- the paper list -----------------------------------------------------------


@dataclass
class Card:
    pk: int
    version: str  # the paper's updated_at and status: a change to its card changes either
    steps_total: int


@dataclass
class ListOutline:
    """One page of the list (cached, no HTML): its cards in order, and which parts of the page
    between the slots (the sign-in hint, then each card) have any HTML."""

    cards: list[Card]
    header_parts: list[int]
    results_parts: list[int]


class _CountedPaginator(Paginator):
    """A paginator told the total, which the per-category counts already gave."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count


def page_number(value: str | None) -> int:
    """The requested page: anything that is not a positive whole number is page 1."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


# What a card does not show.
_CARD_DEFERRED = ("guide", "guide_html", "bibtex", "keywords", "normalized_title")


class _ListBuild:
    """Renders one page of the list from the database (on a cache miss)."""

    def __init__(self, user, *, query: str, category_slug: str, number: int, instructor: bool):
        self.user, self.query, self.category_slug = user, query, category_slug
        self.number, self.instructor = number, instructor
        self.papers: dict[int, Paper] = {}  # the page's papers, once read

    def render_cards(self, pieces: list[tuple]) -> list[str]:
        """Cards as a visitor (done is None) or a learner with `done` steps ticked sees them."""
        missing = {piece[1] for piece in pieces} - self.papers.keys()
        if missing:
            self.papers.update(Paper.objects.defer(*_CARD_DEFERRED).in_bulk(missing))
        template = get_template("papers/paper_card.html")
        html = []
        for _kind, pk, _version, total, done in pieces:
            progress = None
            if done is not None:
                status = ReadingStatus.from_counts(done, total)
                progress = {"done": done, "total": total, "status": status, "percent": _percent(done, total)}
            html.append(template.render({"paper": self.papers[pk], "progress": progress}))
        return html

    @cached_property
    def rendered(self) -> tuple[ListOutline, list[str], list[str]]:
        """The outline, the header and search form cut at the sign-in hint, the results cut at each card."""
        categories = list(Category.objects.all())
        category = next((c for c in categories if c.slug == self.category_slug), None)
        papers = Paper.objects.visible_to(self.user).search(self.query)
        if category is not None:
            papers = papers.filter(category=category)
        per_category = dict(papers.order_by().values_list("category").annotate(n=Count("pk")))
        paginator = _CountedPaginator(
            papers.select_related("category")
            .defer(*_CARD_DEFERRED)
            .order_by("category__order", "category__pk", "order", "pk"),
            PAGE_SIZE,
            count=sum(per_category.values()),
        )
        page = paginator.get_page(self.number)
        page_papers = list(page.object_list)
        self.papers.update((p.pk, p) for p in page_papers)
        steps_total = dict(
            ChecklistStep.objects.filter(paper__in=[p.pk for p in page_papers])
            .order_by()
            .values_list("paper")
            .annotate(n=Count("pk"))
        )
        groups = [
            (cat, per_category.get(cat.pk, 0), [SLOT_CONTEXT for _paper in items])
            for cat, items in groupby(page_papers, key=lambda paper: paper.category)
        ]

        def page_url(n: int) -> str:
            params = {"q": self.query, "category": category.slug if category else "", "page": n if n > 1 else ""}
            query_string = urlencode({k: v for k, v in params.items() if v})
            return reverse("papers:paper_list") + (f"?{query_string}" if query_string else "")

        results = render_to_string(
            "papers/paper_results.html",
            {
                "unknown_category": bool(self.category_slug) and category is None,
                "is_filtered": bool(self.query) or category is not None,
                "paper_count": paginator.count,
                "groups": groups,
                "page": page,
                "page_links": [
                    (n, page_url(n) if n != paginator.ELLIPSIS else "")
                    for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
                ],
                "previous_url": page_url(page.number - 1) if page.has_previous() else "",
                "next_url": page_url(page.number + 1) if page.has_next() else "",
            },
        )
        header = render_to_string(
            "papers/paper_list_header.html",
            {
                "query": self.query,
                "categories": categories,
                "category": category,
                "instructor": self.instructor,
                "slot": SLOT_CONTEXT,
            },
        )
        header_parts, results_parts = split_slots(header, 1), split_slots(results, len(page_papers))
        outline = ListOutline(
            cards=[
                Card(pk=p.pk, version=f"{p.updated_at.timestamp()}-{p.status}", steps_total=steps_total.get(p.pk, 0))
                for p in page_papers
            ],
            header_parts=_nonempty(header_parts),
            results_parts=_nonempty(results_parts),
        )
        return outline, header_parts, results_parts


def list_html(
    request, *, query: str, category_slug: str, page: int, warm: bool = False
) -> tuple[SafeString, SafeString]:
    """The list's header with its search form, and its results for these parameters.

    With `warm`, the cards as a learner with nothing ticked sees them are rendered too (`warm()`).
    """
    user = request.user
    signed_in = user.is_authenticated
    instructor = is_instructor(user)
    digest = hashlib.blake2b(f"{query}\x00{category_slug}".encode(), digest_size=12).hexdigest()
    seen = visit(
        user, [CATALOG], lambda tokens: fragment_key("paper-list", LAYOUT, *tokens, int(instructor), page, digest)
    )
    build = _ListBuild(user, query=query, category_slug=category_slug, number=page, instructor=instructor)
    timeout = SEARCH_TIMEOUT if query else FRAGMENT_TIMEOUT
    outline = seen.outline
    if outline is None:
        outline = build.rendered[0]
        cache.set(seen.key, outline, timeout=timeout)

    done = [len(seen.ticks.get(c.pk, ())) if signed_in else None for c in outline.cards]
    # A learner's page is the outline's fragments with their cards' tick counts: learners with the
    # same counts (often none) on this page get the same HTML, put together once per process.
    assembled_key = f"{seen.key}:learner:{','.join(map(str, done))}" if signed_in else None
    if assembled_key and not warm and (pages := assembled_get(assembled_key)) is not None:
        return pages
    header = [("list-header", seen.key, i) for i in outline.header_parts]
    results = [("list-results", seen.key, i) for i in outline.results_parts]
    cards = [("card", c.pk, c.version, c.steps_total, n) for c, n in zip(outline.cards, done, strict=True)]
    unticked = [("card", c.pk, c.version, c.steps_total, 0) for c in outline.cards] if warm else []
    html = fragments(
        header + results + cards + unticked,
        {
            "list-header": each(lambda piece: build.rendered[1][piece[2]]),
            "list-results": each(lambda piece: build.rendered[2][piece[2]]),
            "card": build.render_cards,
        },
        timeout=timeout,
    )
    hint = "" if signed_in else render_to_string("papers/paper_list.html#login-hint", request=request)
    pages = (
        interleave(_parts(html, header, 2), [hint]),
        interleave(_parts(html, results, len(cards) + 1), [html[card] for card in cards]),
    )
    if assembled_key:
        assembled_set(assembled_key, pages, timeout=timeout)
    return pages


# --- a paper's page -------------------------------------------------------------

DETAIL_VERSIONS = (CATALOG, PAPER_QUIZZES, PAPER_TERMS, MARKDOWN)
# Read by the paper pages and the dashboard: brought with the session (core.cache).
read_with_session(*DETAIL_VERSIONS)
read_with_session_for_user(lambda user_id: [version_key(ticks_version(user_id)), ticks_key(user_id)])

# Where the CSRF field goes in a cached checklist step.
CSRF_SLOT = "<!--csrf-->"
CSRF_SLOT_CONTEXT = format_html(CSRF_SLOT + "{}", "")
# Where it goes in a learner's page put together once per process (a plain word no content holds).
CSRF_MARKER = "papers7slot7csrf"
CSRF_MARKER_HTML = format_html(CSRF_MARKER + "{}", "")


def csrf_input(request) -> SafeString:
    """The hidden field `{% csrf_token %}` writes."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token(request))


@dataclass
class DetailOutline:
    """A paper's page: what is on it besides HTML (cached)."""

    pk: int
    slug: str
    title: str
    url: str
    steps: list[int]  # the checklist's step ids, in order
    related: list[tuple[int, int]]  # (paper id, steps total) of each prerequisite, then each successor
    body_parts: list[int]  # the parts of the page between its slots that have any HTML
    checklist_parts: list[int]  # the same of the checklist section alone

    @property
    def slots(self) -> int:
        """The checklist's status, each step, each related paper's badge."""
        return 1 + len(self.steps) + len(self.related)

    def get_absolute_url(self) -> str:
        return self.url


class _DetailBuild:
    """Renders a paper's page from the database (on a cache miss); 404 if the user may not see it."""

    def __init__(self, user, slug: str, *, instructor: bool):
        self.user, self.slug, self.instructor = user, slug, instructor
        self._step_parts: dict[tuple[int, int], list[str]] = {}

    def _related(self, **filters) -> list[Paper]:
        return list(
            Paper.objects.visible_to(self.user)
            .filter(**filters)
            .only("title", "slug", "year", "status")
            .annotate(steps_total=Count("checklist_steps"))
            .order_by("category__order", "order", "pk")
        )

    @cached_property
    def paper(self) -> Paper:
        paper = Paper.objects.visible_to(self.user).select_related("category").filter(slug=self.slug).first()
        if paper is None:
            raise Http404("No paper matches the given query.")
        return paper

    @cached_property
    def steps(self) -> list[ChecklistStep]:
        return list(self.paper.checklist_steps.all())

    @cached_property
    def rendered(self) -> tuple[DetailOutline, list[str]]:
        """The outline, and the page cut at the checklist's status, each step and each related paper's badge."""
        paper = self.paper
        prerequisites = self._related(successors=paper)
        successors = self._related(prerequisites=paper)
        related = prerequisites + successors
        html = render_to_string(
            "papers/paper_body.html",
            {
                "paper": paper,
                "is_instructor": self.instructor,
                "quizzes": [quiz for quiz in paper.quizzes.all() if self.instructor or quiz.is_published],
                "terms": list(paper.terms.all()),
                "prerequisites": prerequisites,
                "successors": successors,
                "bibtex": paper.get_bibtex(),
                "slot": SLOT_CONTEXT,
                "checklist_status": SLOT_CONTEXT,
                "checklist_steps": [SLOT_CONTEXT] * len(self.steps),
            },
        )
        outline = DetailOutline(
            pk=paper.pk,
            slug=paper.slug,
            title=paper.title,
            url=paper.get_absolute_url(),
            steps=[step.pk for step in self.steps],
            related=[(p.pk, p.steps_total) for p in related],
            body_parts=[],
            checklist_parts=_nonempty(_checklist_parts(len(self.steps))),
        )
        parts = split_slots(html, outline.slots)
        outline.body_parts = _nonempty(parts)
        return outline, parts

    def step(self, piece: tuple) -> str:
        """Part of a step as a visitor (variant 0) or a learner sees it, unticked (1) or ticked (2)."""
        _kind, _key, step_id, variant, part = piece
        if (step_id, variant) not in self._step_parts:
            step = next(step for step in self.steps if step.pk == step_id)
            context = {"step": step, "signed_in": variant > 0, "done": variant == 2, "csrf_input": CSRF_SLOT_CONTEXT}
            html = get_template("papers/paper_detail.html#checklist-step").render(context)
            self._step_parts[step_id, variant] = html.split(CSRF_SLOT)
        return self._step_parts[step_id, variant][part]


def _checklist_parts(steps: int) -> list[str]:
    """The checklist section of a paper with this many steps, cut at its status and each step."""
    context = {"checklist_status": SLOT_CONTEXT, "checklist_steps": [SLOT_CONTEXT] * steps}
    return split_slots(render_to_string("papers/paper_detail.html#checklist", context), 1 + steps)


def _render_status(piece: tuple, paper_url: str) -> str:
    """The checklist's status: the learner's steps done of steps total, or the visitor's sign-in link."""
    signed_in, done, total = piece[0] == "status", piece[1], piece[2]
    context = {
        "signed_in": signed_in,
        "done": done,
        "total": total,
        "status": ReadingStatus.from_counts(done, total),
        "percent": _percent(done, total),
        "paper_url": paper_url,
    }
    return get_template("papers/paper_detail.html#checklist-status").render(context)


def _render_badge(piece: tuple) -> str:
    return get_template("papers/paper_detail.html#reading-badge").render({"status": ReadingStatus(piece[1])})


class PaperPage:
    """A paper's page for one request: the cached outline and fragments, and the learner's ticks.

    Raises Http404 if the user may not see the paper.
    """

    def __init__(self, request, slug: str):
        self.request = request
        user = request.user
        self.signed_in = user.is_authenticated
        instructor = is_instructor(user)
        seen = visit(
            user, DETAIL_VERSIONS, lambda tokens: fragment_key("paper-detail", LAYOUT, *tokens, int(instructor), slug)
        )
        self.key, self.build = seen.key, _DetailBuild(user, slug, instructor=instructor)
        outline = seen.outline
        if outline is None:
            outline = self.build.rendered[0]
            cache.set(seen.key, outline, timeout=FRAGMENT_TIMEOUT)
        self.outline: DetailOutline = outline
        self.ticks = seen.ticks
        self.mine = set(seen.ticks.get(outline.pk, ()))  # the learner's ticked steps of this paper

    def paper_and_step(self, step_id: int) -> tuple[Paper, ChecklistStep]:
        """The paper and one of its steps as the outline knows them (other fields load if read), for a tick."""
        db = Paper.objects.db
        paper = Paper.from_db(db, ["id", "slug", "title"], [self.outline.pk, self.outline.slug, self.outline.title])
        step = ChecklistStep.from_db(db, ["id", "paper_id"], [step_id, paper.pk])
        step.paper = paper
        return paper, step

    def _checklist_pieces(self) -> tuple[tuple, list[list[tuple]]]:
        """The pieces of the checklist's status and of each step, as this viewer sees them."""
        outline = self.outline
        if not self.signed_in:
            return ("visitor-status", self.key), [[("step", self.key, pk, 0, 0)] for pk in outline.steps]
        status = ("status", sum(pk in self.mine for pk in outline.steps), len(outline.steps))
        steps = [[("step", self.key, pk, 2 if pk in self.mine else 1, part) for part in (0, 1)] for pk in outline.steps]
        return status, steps

    def _fragments(self, pieces: list[tuple]) -> dict[tuple, SafeString]:
        return fragments(
            pieces,
            {
                "detail": each(lambda piece: self.build.rendered[1][piece[2]]),
                "checklist": each(lambda piece: _checklist_parts(piece[1])[piece[2]]),
                "status": each(lambda piece: _render_status(piece, "")),
                "visitor-status": each(lambda piece: _render_status(("visitor-status", 0, 0), self.outline.url)),
                "step": each(self.build.step),
                "badge": each(_render_badge),
            },
        )

    def _checklist_fills(
        self, html: dict, status: tuple, steps: list[list[tuple]], *, csrf: str | None = None
    ) -> list[SafeString]:
        if csrf is None:
            csrf = csrf_input(self.request) if self.signed_in else ""
        fills = [html[status]]
        for parts in steps:
            fills.append(interleave([html[piece] for piece in parts], [csrf] * (len(parts) - 1)))
        return fills

    def content(self) -> SafeString:
        """The whole page's content.

        A learner's page is the outline's fragments with their ticks and the
        related papers' statuses filled in: it is put together once per
        process for each combination (under the outline's versioned key),
        with a marker where the request's CSRF field goes.
        """
        outline = self.outline
        body = [("detail", self.key, i) for i in outline.body_parts]
        status, steps = self._checklist_pieces()
        badges = []
        assembled_key = None
        if self.signed_in:
            badges = [
                ("badge", ReadingStatus.from_counts(len(self.ticks.get(pk, ())), total).value)
                for pk, total in outline.related
            ]
            ticked = ",".join(str(pk) for pk in outline.steps if pk in self.mine)
            assembled_key = f"{self.key}:learner:{ticked}:{','.join(badge[1] for badge in badges)}"
            if (assembled := assembled_get(assembled_key)) is not None:
                return fill_slots(assembled, {CSRF_MARKER: csrf_input(self.request)})
        html = self._fragments(body + [status] + [piece for step in steps for piece in step] + badges)
        fills = self._checklist_fills(html, status, steps, csrf=CSRF_MARKER_HTML if self.signed_in else "")
        fills += [html[piece] for piece in badges] if self.signed_in else [""] * len(outline.related)
        content = interleave(_parts(html, body, outline.slots + 1), fills)
        if assembled_key:
            assembled_set(assembled_key, content)
            return fill_slots(content, {CSRF_MARKER: csrf_input(self.request)})
        return content

    def warm(self) -> None:
        """Also render what a learner's checklist may need: each step unticked and ticked, the status at 0."""
        steps = self.outline.steps
        pieces = [("step", self.key, pk, variant, part) for pk in steps for variant in (1, 2) for part in (0, 1)]
        self._fragments([*pieces, ("status", 0, len(steps))])

    def checklist(self) -> SafeString:
        """The checklist section alone (what a tick with htmx gets back)."""
        count = len(self.outline.steps)
        skeleton = [("checklist", count, i) for i in self.outline.checklist_parts]
        status, steps = self._checklist_pieces()
        html = self._fragments(skeleton + [status] + [piece for step in steps for piece in step])
        return interleave(_parts(html, skeleton, count + 2), self._checklist_fills(html, status, steps))


# --- after a deploy -----------------------------------------------------------


def warm(request) -> int:
    """Render what every reader of the catalog shares (each list page, each paper's page) into the cache.

    `request` is a visitor's: the outlines and bodies it renders are the ones
    learners read too (only their ticks differ, filled in per request).
    Returns the number of pages rendered.
    """
    count = 0
    slugs = list(Paper.objects.visible_to(request.user).order_by("pk").values_list("slug", flat=True))
    for number in range(1, -(-len(slugs) // PAGE_SIZE) + 1):
        list_html(request, query="", category_slug="", page=number, warm=True)
        count += 1
    for slug in slugs:
        page = PaperPage(request, slug)
        page.content()
        page.warm()
        count += 1
    return count
