"""The glossary index: one page of terms at a time, rendered once per content version.

A page lists `PAGE_SIZE` terms in index order (Hangul initials, then A–Z,
then the rest); the jump bar links to the page that holds each initial's
first term (or to the initial's heading when it is on this page).

Everything but the CSRF form that puts a paper's terms in the deck is the
same for every visitor and cached per language and glossary version
(`glossary.caching`): the listing (count, jump bar, entries, page links) per
search text, paper filter and page; each term's entry on its own, so that a
search or page that is not cached yet only asks the database which terms it
lists; the papers dropdown; and the page header with the search form when
nothing is searched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from core.cache import FRAGMENT_TIMEOUT, cached_fragments
from core.permissions import is_instructor
from glossary import caching
from glossary.models import INDEX_INITIALS, Term
from papers.models import Paper

PAGE_SIZE = 100
MAX_PAGE = 10_000  # larger numbers are treated as the last page (and bound the keys a crawler makes)
SEARCH_TIMEOUT = 60 * 60  # search keys are many and rarely reused: let them go sooner
LISTING_TEMPLATE = "glossary/term_list.html#term-listing"
OPTIONS_TEMPLATE = "glossary/term_list.html#paper-options"
INTRO_TEMPLATE = "glossary/term_list.html#term-intro"
ENTRY_TEMPLATE = "glossary/term_list.html#term-entry"
LISTING_FIELDS = ("slug", "name_ko", "name_en", "abbreviation", "summary", "initial")


class PaperChoice(NamedTuple):
    pk: int
    slug: str
    title: str


def paper_choices(user, *, version: str) -> dict[str, PaperChoice]:
    """Papers that have terms and that `user` may see, by slug, in paper order (cached data)."""
    key = f"glossary:papers:{int(is_instructor(user))}:{version}"
    rows = cache.get(key)
    if rows is None:
        has_terms = Exists(Term.papers.through.objects.filter(paper_id=OuterRef("pk")))
        visible = Paper.objects.visible_to(user).filter(has_terms)
        rows = [tuple(row) for row in visible.values_list("pk", "slug", "title")]
        cache.set(key, rows, timeout=FRAGMENT_TIMEOUT)
    return {row[1]: PaperChoice(*row) for row in rows}


def page_count(terms: int) -> int:
    """How many index pages `terms` terms fill (at least one, which then says there are none)."""
    return max(1, -(-terms // PAGE_SIZE))


def parse_page(value: str | None) -> int:
    """A page number from the query string: not a number is page 1, too large is the last page."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdecimal():
        return 1
    if len(value) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(value), 1), MAX_PAGE)


@dataclass(frozen=True)
class Filters:
    query: str
    paper: PaperChoice | None
    page: int

    @property
    def is_filtered(self) -> bool:
        return bool(self.query) or self.paper is not None

    def key_parts(self) -> tuple:
        return (caching.digest(self.query) if self.query else "-", self.paper.pk if self.paper else "-", self.page)

    def url(self, page: int) -> str:
        params = {"q": self.query, "paper": self.paper.slug if self.paper else "", "page": page if page > 1 else ""}
        query = urlencode({name: value for name, value in params.items() if value})
        base = reverse("glossary:term_list")
        return f"{base}?{query}" if query else base


@dataclass(frozen=True)
class Span:
    """Where one initial's terms sit in the whole (filtered) list: positions start … end-1."""

    initial: str
    start: int
    end: int


def initial_spans(initials: list[str]) -> list[Span]:
    """The runs of equal initials in a list of terms' initials in index order."""
    spans, start = [], 0
    for initial, run in groupby(initials):
        end = start + sum(1 for _ in run)
        spans.append(Span(initial, start, end))
        start = end
    return spans


def term_entries(pks: list[int], *, version: str) -> list[SafeString]:
    """Each term's <dt>/<dd>, cached per term (shared by every page and search that lists it).

    Only the terms missing from the cache are read from the database (one query).
    """

    def render(missing: list[int]) -> list[str]:
        terms = Term.objects.only(*LISTING_FIELDS).in_bulk(missing)
        return [render_to_string(ENTRY_TEMPLATE, {"term": terms[pk]}) for pk in missing]

    return cached_fragments("glossary-entry", pks, lambda pk: (version, pk), render)


def listing_context(filters: Filters, *, version: str) -> dict:
    """Everything the listing shows.

    One query lists the matching terms' ids and initials in index order
    (for the count, the page and the jump bar); the entries of the page come
    from the cache, or from one more query for those that are not cached.
    """
    terms = Term.objects.search(filters.query)
    if filters.paper is not None:
        terms = terms.filter(papers=filters.paper.pk)
    ordered = list(terms.in_index_order().values_list("pk", "initial"))
    total = len(ordered)
    pages = page_count(total)
    page = min(filters.page, pages)
    first, last = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
    on_page = ordered[first:last]
    groups: list[tuple[str, list[SafeString]]] = []
    entries = term_entries([pk for pk, _initial in on_page], version=version)
    for (_pk, initial), entry in zip(on_page, entries, strict=True):
        if not groups or groups[-1][0] != initial:
            groups.append((initial, []))
        groups[-1][1].append(entry)

    links = {}
    for span in initial_spans([initial for _pk, initial in ordered]):
        if span.start < last and span.end > first:  # on this page
            links[span.initial] = f"#initial-{span.initial}"
        else:
            links[span.initial] = f"{filters.url(span.start // PAGE_SIZE + 1)}#initial-{span.initial}"
    jump_bar = [(initial, links.get(initial)) for initial in INDEX_INITIALS]
    return {
        "groups": groups,
        "term_count": total,
        "is_filtered": filters.is_filtered,
        "jump_bar": jump_bar,
        "page": page,
        "pages": pages,
        "previous_url": filters.url(page - 1) if page > 1 else "",
        "next_url": filters.url(page + 1) if page < pages else "",
    }


def cached_pieces(filters: Filters, names: list[str], *, user, version: str) -> dict[str, SafeString]:
    """The named parts of the page from the cache (one round trip), rendering only what is missing.

    - "listing": the count, jump bar, terms and page links of `filters`;
    - "options": the papers dropdown's options, with none selected (`views.paper_options`);
    - "intro": the page header and the search form when nothing is searched
      or selected, which then differ only by being signed in or not.
    """

    # The user is only looked at for the parts that depend on it: the listing
    # (all an htmx search needs) is the same for everyone, signed in or not.
    def choices() -> list[PaperChoice]:
        return list(paper_choices(user, version=version).values())

    def render_intro() -> str:
        return render_to_string(INTRO_TEMPLATE, {"query": "", "signed_in": user.is_authenticated})

    parts: dict[str, tuple[Callable[[], tuple], Callable[[], str]]] = {
        "listing": (
            filters.key_parts,
            lambda: render_to_string(LISTING_TEMPLATE, listing_context(filters, version=version)),
        ),
        "options": (
            lambda: (int(is_instructor(user)),),
            lambda: render_to_string(OPTIONS_TEMPLATE, {"paper_choices": choices()}),
        ),
        "intro": (lambda: (int(is_instructor(user)), int(user.is_authenticated)), render_intro),
    }
    html = cached_fragments(
        "glossary-index",
        names,
        lambda name: (name, version, *parts[name][0]()),
        lambda missing: [parts[name][1]() for name in missing],
        timeout=SEARCH_TIMEOUT if filters.query else FRAGMENT_TIMEOUT,
    )
    return dict(zip(names, html, strict=True))
