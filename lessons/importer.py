"""Parsed lesson documents → papers, quizzes and glossary rows, all or nothing.

Idempotent: rows are matched (papers by normalized title, categories by name,
terms by normalized names, questions by position in their quiz, answers by
position in their question) and saved only when a value differs, so a second
import of the same document reports every row unchanged.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction

from core.text import normalize_name, normalize_title, unique_slug
from glossary.linking import relinking_paused
from glossary.models import RESERVED_SLUGS, Term
from lessons import parser
from lessons.models import ImportLog
from lessons.parser import Document, LessonError
from papers.models import Category, ChecklistStep, Lesson, MethodStep, Paper
from quizzes.models import Answer, Question, Quiz

# Bump when the importer starts reading documents differently: bundled content is re-imported once.
IMPORTER_VERSION = "1"

MODELS = [Lesson, MethodStep, Category, Paper, ChecklistStep, Quiz, Question, Answer, Term]
ACTIONS = ["created", "updated", "unchanged", "deleted"]
_RANK = {"unchanged": 0, "updated": 1, "created": 2}


@dataclass
class Summary:
    """What one document's import did, per model: created / updated / unchanged / deleted."""

    source_name: str
    statuses: dict[tuple[str, int], str] = field(default_factory=dict)
    extra: Counter = field(default_factory=Counter)
    log: ImportLog | None = None

    def mark(self, obj: models.Model, status: str) -> None:
        key = (type(obj).__name__, obj.pk)
        old = self.statuses.get(key)
        if old is None or _RANK[status] > _RANK[old]:
            self.statuses[key] = status

    def add(self, model: type[models.Model], action: str, count: int = 1) -> None:
        if count:
            self.extra[(model.__name__, action)] += count

    def counts(self) -> dict[str, dict[str, int]]:
        result = {model.__name__: dict.fromkeys(ACTIONS, 0) for model in MODELS}
        for (model, _pk), status in self.statuses.items():
            result[model][status] += 1
        for (model, action), count in self.extra.items():
            result[model][action] += count
        return result

    @property
    def changed(self) -> bool:
        return any(row[a] for row in self.counts().values() for a in ("created", "updated", "deleted"))

    def table(self) -> str:
        rows = {model: n for model, n in self.counts().items() if any(n.values())}
        width = max(map(len, rows), default=0)
        lines = [f"{self.source_name}:", "  " + " " * width + "".join(f"{a:>11}" for a in ACTIONS)]
        lines += ["  " + model.ljust(width) + "".join(f"{n[a]:>11}" for a in ACTIONS) for model, n in rows.items()]
        return "\n".join(lines)


def content_hash(data: bytes) -> str:
    """sha256 of the document and the importer version: a new importer re-reads old documents."""
    return hashlib.sha256(IMPORTER_VERSION.encode() + b"\0" + data).hexdigest()


def import_documents(documents: Iterable[Document], *, dry_run: bool = False) -> list[Summary]:
    """Import parsed documents in one transaction (rolled back for a dry run)."""
    summaries = []
    with transaction.atomic():
        with relinking_paused():
            for document in documents:
                summaries.append(_DocumentImport(document).run())
        if dry_run:
            transaction.set_rollback(True)
    return summaries


def import_sources(
    sources: Iterable[tuple[str, bytes]],
    *,
    dry_run: bool = False,
    origin: str = ImportLog.Origin.COMMAND,
    user=None,
) -> list[Summary]:
    """Parse then import (name, bytes) pairs together; an applied import is recorded in ImportLog."""
    sources = list(sources)
    documents = [parser.parse_bytes(data, path=name) for name, data in sources]
    with transaction.atomic():
        summaries = import_documents(documents, dry_run=dry_run)
        if not dry_run:
            for (name, data), summary in zip(sources, summaries, strict=True):
                summary.log = ImportLog.objects.create(
                    source_name=PurePath(name).name[:255],
                    sha256=content_hash(data),
                    origin=origin,
                    user=user,
                    summary=summary.counts(),
                )
    return summaries


def _auto_now_fields(obj: models.Model) -> set[str]:
    return {f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)}


class _DocumentImport:
    def __init__(self, document: Document):
        self.doc = document
        self.summary = Summary(source_name=PurePath(document.path).name)
        self.papers: dict[str, Paper] = {}
        self.terms_seen: dict[int, parser.Term] = {}

    def error(self, line: int, message: str) -> LessonError:
        return LessonError(self.doc.path, line, message)

    def run(self) -> Summary:
        intro_line = self.doc.intro.line if self.doc.intro else 1
        self.lesson = self.guarded(intro_line, self.import_lesson)
        categories = {id(c): self.guarded(c.line, self.import_category, c) for c in self.doc.categories}
        for entry in self.doc.entries:
            self.guarded(entry.line, self.import_entry, entry, categories[id(entry.category)])
        for section in self.doc.sections:
            self.guarded(section.line, self.import_section, section)
        return self.summary

    def guarded(self, line: int, func, *args):
        """Run one step in a savepoint; a database error becomes an error on the step's line."""
        try:
            with transaction.atomic():
                return func(*args)
        except DatabaseError as exc:
            raise self.error(line, f"could not save: {exc}") from exc

    # -- saving with change detection

    def save(self, obj: models.Model, values: dict, *, line: int | None = None) -> bool:
        """Create `obj` (no pk) or update the fields that differ; records the outcome."""
        if obj.pk is None:
            for name, value in values.items():
                setattr(obj, name, value)
            self.write(obj, line=line)
            self.summary.mark(obj, "created")
            return True
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed:
            self.write(obj, update_fields=set(changed) | _auto_now_fields(obj), line=line)
        self.summary.mark(obj, "updated" if changed else "unchanged")
        return bool(changed)

    def write(self, obj: models.Model, *, update_fields=None, line: int | None = None) -> None:
        try:
            obj.save(update_fields=update_fields)
        except ValidationError as exc:
            messages = (
                [m for values in exc.message_dict.values() for m in values]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise self.error(line or 1, " ".join(messages)) from exc

    # -- the lesson and its reading method

    def import_lesson(self) -> Lesson:
        doc = self.doc
        title = doc.title.strip()[:200] or PurePath(doc.path).stem[:200]
        lesson = Lesson.objects.filter(title=title).first() or Lesson(
            title=title,
            slug=unique_slug(
                title, lambda s: Lesson.objects.filter(slug=s).exists(), max_length=200, allow_unicode=True
            ),
        )
        values = {"source_name": PurePath(doc.path).name[:255], "front_matter": doc.front_matter}
        intro = doc.intro
        if intro is not None:
            other_method = Lesson.objects.filter(is_reading_method=True)
            if lesson.pk:
                other_method = other_method.exclude(pk=lesson.pk)
            values.update(
                intro_heading=intro.heading[:255],
                intro=intro.body,
                is_reading_method=intro.is_reading_method and not other_method.exists(),
            )
        self.save(lesson, values, line=intro.line if intro else 1)
        if lesson.is_reading_method and intro is not None:
            self.sync_ordered(
                list(lesson.steps.order_by("order", "pk")),
                [{"title": s.title, "body": s.body} for s in intro.steps],
                make=lambda order: MethodStep(lesson=lesson, order=order),
                line=intro.line,
            )
        return lesson

    def sync_ordered(self, current: list, wanted: list[dict], *, make, line: int) -> list:
        """Match rows by position: update the first ones, create the missing, delete the surplus."""
        rows = []
        for order, values in enumerate(wanted, start=1):
            row = current[order - 1] if order <= len(current) else make(order)
            self.save(row, {"order": order, **values}, line=line)
            rows.append(row)
        surplus = current[len(wanted) :]
        if surplus:
            model = type(surplus[0])
            model.objects.filter(pk__in=[r.pk for r in surplus]).delete()
            self.summary.add(model, "deleted", len(surplus))
        return rows

    # -- catalog

    def import_category(self, category: parser.Category) -> Category:
        keys = {normalize_title(category.name_ko)}
        for row in Category.objects.all():
            if normalize_title(row.name_ko) in keys or (
                category.name_en and row.name_en and normalize_title(row.name_en) == normalize_title(category.name_en)
            ):
                values = {"name_ko": category.name_ko}
                if category.name_en:
                    values["name_en"] = category.name_en
                self.save(row, values, line=category.line)
                return row
        base = category.name_en or category.name_ko
        row = Category(
            slug=unique_slug(
                base,
                lambda s: Category.objects.filter(slug=s).exists(),
                max_length=50,
                allow_unicode=not category.name_en,
            ),
            order=category.order,
        )
        self.save(row, {"name_ko": category.name_ko, "name_en": category.name_en}, line=category.line)
        return row

    def find_paper(self, title: str) -> Paper | None:
        key = normalize_title(title)
        if key not in self.papers:
            paper = Paper.objects.filter(normalized_title=key).first()
            if paper is None:
                return None
            self.papers[key] = paper
        return self.papers[key]

    def import_entry(self, entry: parser.CatalogEntry, category: Category) -> None:
        paper = self.find_paper(entry.title)
        if paper is None:
            paper = Paper(
                slug=unique_slug(entry.title, lambda s: Paper.objects.filter(slug=s).exists(), max_length=120),
                order=entry.position,
                lesson=self.lesson,
            )
            self.save(
                paper,
                {
                    "title": entry.title,
                    "category": category,
                    "year": entry.year,
                    "authors": entry.authors,
                    "summary": entry.summary,
                },
                line=entry.line,
            )
            self.papers[normalize_title(entry.title)] = paper
            self.summary.add(ChecklistStep, "created", paper.ensure_checklist())
            return
        values = {"title": entry.title, "category_id": category.pk}
        if entry.year:
            values["year"] = entry.year
        if entry.summary:
            values["summary"] = entry.summary
        if entry.authors and not paper.authors:
            # The catalog's short citation ("He et al.") never replaces a full author list.
            values["authors"] = entry.authors
        self.save(paper, values, line=entry.line)

    # -- one paper section

    def import_section(self, section: parser.PaperSection) -> None:
        paper = self.find_paper(section.title)
        if paper is None:
            raise self.error(
                section.line,
                f"paper “{section.title}” is neither in this document's catalog (`## N. 읽을 만한 논문`) "
                "nor already imported",
            )
        values: dict = {}
        if section.year and not paper.year:
            values["year"] = section.year
        if section.authors and not paper.authors:
            values["authors"] = section.authors
        if section.has_content:
            values["lesson_id"] = self.lesson.pk
            values.update(section.meta)
            if section.paper_url:
                values["paper_url"] = section.paper_url
            if section.guide is not None:
                values["guide"] = section.guide
        self.save(paper, values, line=section.line)
        if section.prerequisites is not None:
            self.import_prerequisites(paper, section.prerequisites)
        if section.checklist:
            self.import_checklist(paper, section.checklist)
        if section.has_quiz:
            self.import_quiz(paper, section)
        if section.terms is not None:
            self.import_terms(paper, section.terms)

    def import_prerequisites(self, paper: Paper, references: list[parser.Reference]) -> None:
        wanted = []
        for ref in references:
            other = self.find_paper(ref.title)
            if other is None:
                raise self.error(
                    ref.line,
                    f"unknown prerequisite “{ref.title}”: no paper with this title "
                    "(import the document that lists it first, or fix the title)",
                )
            if other.pk == paper.pk:
                raise self.error(ref.line, "a paper cannot be its own prerequisite")
            wanted.append(other.pk)
        if set(paper.prerequisites.values_list("pk", flat=True)) != set(wanted):
            paper.prerequisites.set(wanted)
            self.summary.mark(paper, "updated")

    def import_checklist(self, paper: Paper, hints: list[str]) -> None:
        steps = list(paper.checklist_steps.all())
        known = {normalize_title(step.title): step for step in steps}
        order = max((step.order for step in steps), default=0)
        for hint in hints:
            title, body = (hint, "") if len(hint) <= 300 else (hint[:299] + "…", hint)
            step = known.get(normalize_title(title))
            if step is not None:
                self.summary.mark(step, "unchanged")
                continue
            order += 1
            step = ChecklistStep(paper=paper)
            self.save(step, {"order": order, "title": title, "body": body})
            known[normalize_title(title)] = step

    def import_quiz(self, paper: Paper, section: parser.PaperSection) -> None:
        title = f"{paper.title} 퀴즈"[:200]
        quiz = (
            Quiz.objects.filter(paper=paper, slug=paper.slug).first()
            or Quiz.objects.filter(paper=paper, title=title).first()
        )
        if quiz is None:
            quiz = Quiz(
                paper=paper,
                slug=unique_slug(paper.slug, lambda s: Quiz.objects.filter(slug=s).exists(), max_length=120),
            )
            self.save(quiz, {"title": title}, line=section.line)
        else:
            self.summary.mark(quiz, "unchanged")
        current = list(quiz.questions.order_by("order", "pk").prefetch_related("answers"))
        parsed = section.questions + section.essays
        rows = self.sync_ordered(
            current,
            [
                {
                    "qtype": Question.Type(q.qtype).value,
                    "text": q.text,
                    "model_answer": q.model_answer,
                    "general_feedback": q.general_feedback,
                }
                for q in parsed
            ],
            make=lambda order: Question(quiz=quiz, order=order),
            line=section.line,
        )
        for row, question in zip(rows, parsed, strict=True):
            answers = sorted(row.answers.all(), key=lambda a: (a.order, a.pk)) if row in current else []
            self.sync_ordered(
                answers,
                [
                    {
                        "text": a.text,
                        "fraction": a.fraction,
                        "feedback": a.feedback,
                        "value": a.value,
                        "tolerance": a.tolerance,
                    }
                    for a in question.answers
                ],
                make=lambda order, row=row: Answer(question=row, order=order),
                line=question.line,
            )

    # -- glossary

    def import_terms(self, paper: Paper, entries: list[parser.Term]) -> None:
        linked = set(paper.terms.values_list("pk", flat=True))
        wanted = set()
        for entry in entries:
            term = self.import_term(entry)
            wanted.add(term.pk)
            if term.pk not in linked:
                term.papers.add(paper)
                self.summary.mark(term, "updated")
        stale = linked - wanted
        if stale:
            paper.terms.remove(*stale)
            for term in Term.objects.filter(pk__in=stale):
                self.summary.mark(term, "updated")

    def import_term(self, entry: parser.Term) -> Term:
        term = Term.objects.match(entry.names)
        if term is None:
            english = entry.name_en or entry.abbreviation
            term = Term(
                slug=unique_slug(
                    english or entry.name_ko,
                    lambda s: s in RESERVED_SLUGS or Term.objects.filter(slug=s).exists(),
                    max_length=120,
                    allow_unicode=not english,
                )
            )
            values = {
                "name_ko": entry.name_ko,
                "name_en": entry.name_en,
                "abbreviation": entry.abbreviation,
                "aliases": "; ".join(entry.aliases),
                "definition": entry.definition,
            }
        else:
            values = self.merged_names(term, entry)
            values["definition"] = entry.definition
        seen = self.terms_seen.get(term.pk) if term.pk else None
        if seen is not None and seen.definition != entry.definition:
            raise self.error(
                entry.line,
                f"“{entry.names[0]}” is the same term as on line {seen.line} but with another definition; "
                "give one definition",
            )
        self.save(term, values, line=entry.line)
        self.terms_seen[term.pk] = entry
        return term

    def merged_names(self, term: Term, entry: parser.Term) -> dict:
        """Fill empty name fields; a name the term does not have yet becomes another alias."""
        values = {}
        aliases = [a.strip() for a in term.aliases.split(";") if a.strip()]
        keys = term.name_keys()
        extra = list(entry.aliases)
        for name in ("name_ko", "name_en", "abbreviation"):
            new = getattr(entry, name)
            if not new:
                continue
            if not getattr(term, name):
                values[name] = new
                aliases = [a for a in aliases if normalize_name(a) != normalize_name(new)]
            elif normalize_name(new) not in keys:
                extra.append(new)
        for alias in extra:
            key = normalize_name(alias)
            if (
                key not in keys
                and key not in {normalize_name(a) for a in aliases}
                and key not in {normalize_name(v) for v in values.values()}
            ):
                aliases.append(alias)
        joined = "; ".join(aliases)
        if joined != term.aliases:
            if len(joined) > 500:
                raise self.error(entry.line, f"too many other names for “{term}”")
            values["aliases"] = joined
        return values
