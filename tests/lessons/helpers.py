"""Shared helpers for the lesson import/export tests."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from lessons.importer import Summary, import_sources

CONTENT = Path(settings.BASE_DIR) / "lessons" / "content"
SEED = CONTENT / "00-ai-research-papers.md"
DATA = Path(__file__).parent / "data"
EXTENSIONS = DATA / "extension-types.md"


def import_file(path: Path, *, dry_run: bool = False) -> Summary:
    return import_sources([(str(path), path.read_bytes())], dry_run=dry_run)[0]


def import_text(text: str, *, name: str = "doc.md", dry_run: bool = False) -> Summary:
    return import_sources([(name, text.encode("utf-8"))], dry_run=dry_run)[0]


def changes(summary: Summary) -> dict[str, dict[str, int]]:
    """Only the models with created/updated/deleted rows."""
    return {
        model: {a: n for a, n in counts.items() if n and a != "unchanged"}
        for model, counts in summary.counts().items()
        if any(counts[a] for a in ("created", "updated", "deleted"))
    }


def snapshot() -> dict:
    """Everything a lesson document carries, independent of primary keys."""
    from glossary.models import Term
    from papers.models import Category, Paper
    from quizzes.models import Question

    papers = Paper.objects.select_related("category").prefetch_related("prerequisites", "checklist_steps")
    questions = Question.objects.select_related("quiz__paper").prefetch_related("answers")
    return {
        "categories": sorted((c.name_ko, c.name_en) for c in Category.objects.all()),
        "papers": sorted(
            (
                p.title, p.authors, p.year, p.summary, p.paper_url, p.venue, p.doi, p.arxiv_id, p.code_url,
                p.guide, p.category.name_ko, tuple(sorted(x.title for x in p.prerequisites.all())),
                tuple(s.title for s in p.checklist_steps.all()),
            )
            for p in papers
        ),
        "questions": sorted(
            (
                q.quiz.paper.title, q.order, q.qtype, q.text, q.model_answer, q.general_feedback,
                tuple((a.order, a.text, a.fraction, a.feedback, a.value, a.tolerance) for a in q.answers.all()),
            )
            for q in questions
        ),
        "terms": sorted(
            (
                t.name_ko, t.name_en, t.abbreviation, t.aliases, t.definition,
                tuple(sorted(p.title for p in t.papers.all())),
            )
            for t in Term.objects.prefetch_related("papers")
        ),
    }  # fmt: skip
