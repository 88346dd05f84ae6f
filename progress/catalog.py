"""What every learner's progress pages share: the published papers in catalog order, cached.

The dashboard needs the whole catalog (to count papers per category, to find
the next paper whose prerequisites are done) but shows only a few papers, so
reading 500 papers, their prerequisites, quizzes and glossary term counts on
every request would be most of its cost. They are the same for every learner,
so they are kept in the cache as compact tuples under content versions
(`core.cache`), and model instances are made only for the papers a page shows.

Each process also keeps the last catalog it read, under the same versions,
so a warm read is one cache round trip. Versions (bumped by `bump_catalog` /
`bump_terms`, connected in
`ProgressConfig.ready()` to saves and deletes of papers, categories,
checklist steps, prerequisites, quizzes and glossary term links):
- `CATALOG`: papers, categories, steps, prerequisites, quizzes;
- `TERMS`: which glossary terms list which paper;
- `PAPERS`: the papers app's own catalog version, which it also bumps after
  bulk updates that send no signals (e.g. its admin's publish action).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Count

from core.cache import bump_on_commit, on_m2m_write, read_with_session, versions
from papers.models import Category, Paper
from progress.sql import instance
from quizzes.models import Quiz

CATALOG = "progress-catalog"
TERMS = "progress-terms"
PAPERS = "papers"
TIMEOUT = 60 * 60  # versioned keys never go stale; this only frees memory (and bounds a missed bump)
read_with_session(CATALOG, TERMS, PAPERS)  # the dashboard reads them: brought with the session (core.cache)


class QuizInfo(NamedTuple):
    id: int
    slug: str
    title: str
    attempts_allowed: int


class PaperInfo(NamedTuple):
    id: int
    category_id: int
    title: str
    slug: str
    steps: int
    prerequisites: tuple[int, ...]  # published ones only: a draft prerequisite cannot block a learner
    quizzes: tuple[QuizInfo, ...]  # published, by pk


class CategoryInfo(NamedTuple):
    id: int
    name_ko: str
    name_en: str
    slug: str
    order: int


@dataclass
class Catalog:
    """Published papers in catalog order (category order, then paper order), with lookups."""

    papers: list[PaperInfo]
    categories: list[CategoryInfo]  # those with published papers, in order
    term_counts: dict[int, int] = field(default_factory=dict)  # paper id -> glossary terms listing it

    @cached_property
    def by_id(self) -> dict[int, PaperInfo]:
        return {p.id: p for p in self.papers}

    @cached_property
    def position(self) -> dict[int, int]:
        return {p.id: i for i, p in enumerate(self.papers)}

    @cached_property
    def _categories(self) -> dict[int, Category]:
        return {c.id: instance(Category, **c._asdict()) for c in self.categories}

    def category(self, category_id: int) -> Category:
        return self._categories[category_id]

    def category_totals(self) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for paper in self.papers:
            totals[paper.category_id] += 1
        return totals

    def paper(self, info: PaperInfo) -> Paper:
        """A Paper with the fields pages show (others are deferred, as with `.only()`)."""
        paper = instance(Paper, id=info.id, category_id=info.category_id, title=info.title, slug=info.slug)
        paper.category = self.category(info.category_id)
        return paper

    def quizzes(self, info: PaperInfo) -> list[Quiz]:
        return [instance(Quiz, paper_id=info.id, **quiz._asdict()) for quiz in info.quizzes]


def _build_papers() -> tuple[list[PaperInfo], list[CategoryInfo]]:
    from progress.reports import published_papers

    papers = list(published_papers().values_list("pk", "category_id", "title", "slug", "n_steps"))
    ids = {row[0] for row in papers}
    prerequisites: dict[int, list[int]] = defaultdict(list)
    links = Paper.prerequisites.through.objects.filter(from_paper_id__in=ids, to_paper__status=Paper.Status.PUBLISHED)
    for paper_id, prerequisite_id in links.values_list("from_paper_id", "to_paper_id").order_by("pk"):
        prerequisites[paper_id].append(prerequisite_id)
    quizzes: dict[int, list[QuizInfo]] = defaultdict(list)
    published = Quiz.objects.filter(is_published=True, paper_id__in=ids).order_by("pk")
    for paper_id, *quiz in published.values_list("paper_id", "pk", "slug", "title", "attempts_allowed"):
        quizzes[paper_id].append(QuizInfo(*quiz))
    category_ids = {row[1] for row in papers}
    categories = [
        CategoryInfo(*row)
        for row in Category.objects.filter(pk__in=category_ids)
        .order_by("order", "pk")
        .values_list("pk", "name_ko", "name_en", "slug", "order")
    ]
    infos = [
        PaperInfo(pk, category_id, title, slug, steps, tuple(prerequisites[pk]), tuple(quizzes[pk]))
        for pk, category_id, title, slug, steps in papers
    ]
    return infos, categories


def _build_term_counts() -> dict[int, int]:
    from glossary.models import Term

    links = Term.papers.through.objects.values("paper_id").annotate(n=Count("term_id", distinct=True)).order_by()
    return {row["paper_id"]: row["n"] for row in links}


# The catalog this process read last, under its versions: it is the same until a version changes, so
# reading (and unpickling) it from the cache again would only cost time.
_in_process: dict[tuple[str, ...], Catalog] = {}


def catalog() -> Catalog:
    """The shared catalog: one cache round trip (its versions) when this process has it already."""
    tokens = versions(CATALOG, TERMS, PAPERS)
    known = _in_process.get(tokens)
    if known is None:
        known = _read_catalog(*tokens)
        _in_process.clear()
        _in_process[tokens] = known
    return known


def _read_catalog(catalog_version: str, terms_version: str, papers_version: str) -> Catalog:
    papers_key = f"progress:catalog:{catalog_version}:{papers_version}"
    terms_key = f"progress:term-counts:{terms_version}"
    found = cache.get_many([papers_key, terms_key])
    if papers_key not in found:
        found[papers_key] = _build_papers()
        cache.set(papers_key, found[papers_key], timeout=TIMEOUT)
    if terms_key not in found:
        found[terms_key] = _build_term_counts()
        cache.set(terms_key, found[terms_key], timeout=TIMEOUT)
    papers, categories = found[papers_key]
    return Catalog(papers=papers, categories=categories, term_counts=found[terms_key])


# ---------------------------------------------------------------- invalidation (connected in ProgressConfig.ready)


def bump_catalog(sender=None, **kwargs) -> None:
    bump_on_commit(CATALOG)


def bump_terms(sender=None, **kwargs) -> None:
    bump_on_commit(TERMS)


bump_catalog_on_m2m = on_m2m_write(bump_catalog)
bump_terms_on_m2m = on_m2m_write(bump_terms)
