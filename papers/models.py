"""The catalog: categories, papers, the reading method and reading checklists."""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from core.models import RenderedMarkdownModel
from core.text import nfkc, normalize_title
from core.urls import reverse_one

SEARCH_MAX_LENGTH = 100
SEARCH_MAX_TERMS = 8


class ReadingStatus(models.TextChoices):
    """A learner's reading status, computed from ticked checklist steps."""

    NOT_STARTED = "not_started", _("읽기 전")
    READING = "reading", _("읽는 중")
    READ = "read", _("읽음")

    @classmethod
    def from_counts(cls, done: int, total: int) -> ReadingStatus:
        if not done:
            return cls.NOT_STARTED
        if total and done >= total:
            return cls.READ
        return cls.READING

    @property
    def badge_class(self) -> str:
        return {"not_started": "badge", "reading": "badge badge-warn", "read": "badge badge-ok"}[self.value]


class Category(models.Model):
    name_ko = models.CharField(_("Korean name"), max_length=120, help_text=_("카테고리의 한국어 이름."))
    name_en = models.CharField(
        _("English name"), max_length=120, blank=True, help_text=_("English name; left blank, the Korean one is shown.")
    )
    slug = models.SlugField(
        verbose_name=_("slug"), unique=True, allow_unicode=True, help_text=_("URL part, e.g. `cnn`.")
    )
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Smaller numbers come first."))

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name_ko

    @property
    def display_name(self) -> str:
        if self.name_en and self.name_en.casefold() not in self.name_ko.casefold():
            return f"{self.name_ko} ({self.name_en})"
        return self.name_ko


class Lesson(RenderedMarkdownModel):
    """One imported lesson document; its introduction is kept with it.

    The lesson marked `is_reading_method` provides the `/guide/` page and the
    default reading checklist (its `MethodStep` rows).
    """

    MARKDOWN_FIELDS = {"intro": "intro_html"}

    title = models.CharField(_("title"), max_length=200, help_text=_("From the document's front matter."))
    slug = models.SlugField(
        verbose_name=_("slug"), unique=True, allow_unicode=True, max_length=200, help_text=_("URL part.")
    )
    source_name = models.CharField(
        _("source file"), max_length=255, blank=True, help_text=_("File name of the imported document.")
    )
    intro_heading = models.CharField(
        _("introduction heading"), max_length=255, blank=True, help_text=_("Section 1 heading.")
    )
    intro = MarkdownxField(_("introduction"), blank=True, help_text=_("Section 1 of the document, in Markdown."))
    intro_html = models.TextField(editable=False, blank=True)
    is_reading_method = models.BooleanField(
        _("is the reading method"),
        default=False,
        help_text=_("Its introduction is the site's /guide/ page and its steps the default checklist."),
    )
    front_matter = models.JSONField(
        verbose_name=_("front matter"), default=dict, blank=True, help_text=_("Front matter as imported.")
    )
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("lesson document")
        verbose_name_plural = _("lesson documents")
        constraints = [
            models.UniqueConstraint(
                fields=["is_reading_method"], condition=Q(is_reading_method=True), name="one_reading_method"
            )
        ]

    def __str__(self):
        return self.title


class MethodStep(RenderedMarkdownModel):
    """A step of the reading method, copied into every paper's checklist."""

    MARKDOWN_FIELDS = {"body": "body_html"}

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson document"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveIntegerField(verbose_name=_("order"), default=0, help_text=_("Position in the method."))
    title = models.CharField(_("title"), max_length=200, help_text=_("Short imperative, e.g. '구조적 접근하기'."))
    body = MarkdownxField(_("details"), blank=True, help_text=_("Markdown shown under the step."))
    body_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("reading method step")
        verbose_name_plural = _("reading method steps")

    def __str__(self):
        return self.title


class PaperQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Paper.Status.PUBLISHED)

    def visible_to(self, user):
        """Learners see published papers; instructors also see drafts."""
        from core.permissions import is_instructor

        return self if is_instructor(user) else self.published()

    @staticmethod
    def search_terms(query: str | None) -> list[str]:
        """Whitespace-separated terms of a search box value, NFKC-normalized and bounded."""
        text = nfkc(query or "").strip()[:SEARCH_MAX_LENGTH]
        return text.split()[:SEARCH_MAX_TERMS]

    def search(self, query: str | None):
        """Papers matching every term in title, authors, year, venue, ids, summary, keywords or category.

        Korean and English both work: each term is matched against the Korean
        and the English fields, and against the punctuation-free title
        ("autoencoding" finds "Auto-Encoding"). One query, no per-row work.
        """
        terms = self.search_terms(query)
        qs = self
        for term in terms:
            condition = (
                Q(title__icontains=term)
                | Q(authors__icontains=term)
                | Q(venue__icontains=term)
                | Q(summary__icontains=term)
                | Q(keywords__icontains=term)
                | Q(doi__icontains=term)
                | Q(arxiv_id__icontains=term)
                | Q(category__name_ko__icontains=term)
                | Q(category__name_en__icontains=term)
            )
            key = normalize_title(term)
            if key:
                condition |= Q(normalized_title__contains=key)
            if term.isdigit() and len(term) == 4:
                condition |= Q(year=int(term))
            qs = qs.filter(condition)
        return qs


class Paper(RenderedMarkdownModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    MARKDOWN_FIELDS = {"guide": "guide_html"}

    title = models.CharField(_("title"), max_length=300, help_text=_("The paper's title as published."))
    slug = models.SlugField(
        verbose_name=_("slug"), unique=True, max_length=120, help_text=_("URL part, e.g. `attention-is-all-you-need`.")
    )
    normalized_title = models.CharField(max_length=300, unique=True, editable=False)
    authors = models.CharField(
        _("authors"), max_length=500, blank=True, help_text=_("Author list, e.g. 'Vaswani, Shazeer, Parmar, …'.")
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, help_text=_("Year of publication."))
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("Journal or conference, e.g. 'NeurIPS 2017'.")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="papers",
        help_text=_("Where the paper is listed."),
        verbose_name=_("category"),
    )
    lesson = models.ForeignKey(
        Lesson,
        verbose_name=_("lesson document"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="papers",
        help_text=_("The lesson document this paper was last imported from."),
    )
    summary = models.CharField(_("one-line summary"), max_length=500, blank=True, help_text=_("Shown in the catalog."))
    keywords = models.CharField(
        _("search keywords"),
        max_length=300,
        blank=True,
        help_text=_("Other names learners may search for, in Korean or English, e.g. '트랜스포머; Transformer'."),
    )
    paper_url = models.URLField(_("paper URL"), max_length=500, blank=True, help_text=_("Link to the paper itself."))
    doi = models.CharField(_("DOI"), max_length=200, blank=True, help_text=_("e.g. 10.1038/323533a0"))
    arxiv_id = models.CharField(_("arXiv id"), max_length=50, blank=True, help_text=_("e.g. 1706.03762"))
    code_url = models.URLField(_("code URL"), max_length=500, blank=True, help_text=_("Official or reference code."))
    guide = MarkdownxField(_("reading guide"), blank=True, help_text=_("Markdown; rendered and sanitized on save."))
    guide_html = models.TextField(editable=False, blank=True)
    bibtex = models.TextField(
        _("BibTeX"), blank=True, help_text=_("Leave blank to have it generated from the fields above.")
    )
    prerequisites = models.ManyToManyField(
        "self",
        verbose_name=_("prerequisites"),
        symmetrical=False,
        blank=True,
        related_name="successors",
        help_text=_("Papers to read before this one."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        db_index=True,
        help_text=_("Draft papers are hidden from learners."),
    )
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Order within its category."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "order", "pk"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        indexes = [models.Index(fields=["status", "category", "order"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.normalized_title = normalize_title(self.title)
        if kwargs.get("update_fields") is not None:
            # updated_at too: cached cards are keyed by it (papers.pages).
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"normalized_title", "updated_at"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        key = normalize_title(self.title)
        if key and Paper.objects.filter(normalized_title=key).exclude(pk=self.pk).exists():
            raise ValidationError({"title": _("같은 제목의 논문이 이미 있습니다.")})

    def get_absolute_url(self):
        return reverse_one("papers:paper_detail", self.slug)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def get_bibtex(self) -> str:
        if self.bibtex.strip():
            return self.bibtex.strip()
        return generate_bibtex(self)

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{quote(self.arxiv_id.strip(), safe='/.')}" if self.arxiv_id.strip() else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{quote(self.doi.strip(), safe='/.()-_;:')}" if self.doi.strip() else ""

    @property
    def source_links(self) -> list[tuple[str, str]]:
        """(label, url) for the paper itself, its DOI and its code; only http(s) URLs survive."""
        links = [
            (_("논문 원문"), self.paper_url),
            (_("DOI"), self.doi_url),
            (_("코드"), self.code_url),
        ]
        return [(label, url) for label, url in links if _is_web_url(url)]

    @property
    def research_links(self) -> list[tuple[str, str]]:
        """Where to explore around the paper: search engines, citation graphs, arXiv."""
        title = quote_plus(self.title)
        links = [
            ("Semantic Scholar", f"https://www.semanticscholar.org/search?q={title}"),
            ("Connected Papers", f"https://www.connectedpapers.com/search?q={title}"),
            ("Google Scholar", f"https://scholar.google.com/scholar?q={title}"),
        ]
        if self.arxiv_url:
            links.append(("arXiv", self.arxiv_url))
        return links

    def ensure_checklist(self) -> int:
        """Give a paper without steps the default steps of the reading method."""
        if self.checklist_steps.exists():
            return 0
        method = MethodStep.objects.filter(lesson__is_reading_method=True).order_by("order")
        steps = [
            ChecklistStep(paper=self, order=i, title=step.title, body=step.body, body_html=step.body_html)
            for i, step in enumerate(method, start=1)
        ]
        ChecklistStep.objects.bulk_create(steps)
        if steps:  # bulk_create sends no post_save: the cached pages must learn of the new steps
            from papers.signals import catalog_changed

            catalog_changed()
        return len(steps)


def _is_web_url(url: str) -> bool:
    return (url or "").strip().lower().startswith(("https://", "http://"))


def generate_bibtex(paper: Paper) -> str:
    first_author = re.split(r"[,&]| and ", paper.authors or "anon")[0].strip().split(" ")[-1] or "anon"
    first_word = next((w for w in re.findall(r"[A-Za-z]+", paper.title) if len(w) > 3), "paper")
    key = f"{first_author}{paper.year or ''}{first_word}".lower()
    kind = "inproceedings" if paper.venue and not paper.doi.startswith("10.1038") else "article"
    fields = [("title", "{" + paper.title + "}"), ("author", paper.authors.replace(", ", " and "))]
    if paper.year:
        fields.append(("year", str(paper.year)))
    if paper.venue:
        fields.append(("booktitle" if kind == "inproceedings" else "journal", paper.venue))
    if paper.doi:
        fields.append(("doi", paper.doi))
    if paper.arxiv_id:
        fields.append(("eprint", paper.arxiv_id))
        fields.append(("archivePrefix", "arXiv"))
    if _is_web_url(paper.paper_url):
        fields.append(("url", paper.paper_url.strip()))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key},\n{body}\n}}"


class ChecklistStep(RenderedMarkdownModel):
    MARKDOWN_FIELDS = {"body": "body_html"}

    paper = models.ForeignKey(Paper, verbose_name=_("paper"), on_delete=models.CASCADE, related_name="checklist_steps")
    order = models.PositiveIntegerField(_("order"), default=0, help_text=_("Position in the checklist."))
    title = models.CharField(
        _("step"), max_length=300, help_text=_("What the learner does, e.g. 'Figure 1을 먼저 보세요'.")
    )
    body = MarkdownxField(_("details"), blank=True, help_text=_("Optional Markdown details."))
    body_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("checklist step")
        verbose_name_plural = _("checklist steps")

    def __str__(self):
        return self.title

    @property
    def toggle_url(self) -> str:
        return reverse("papers:step_toggle", args=[self.paper.slug, self.pk])

    def set_done(self, user, done: bool, *, was_done: bool | None = None) -> bool:
        """Tick or untick this step for `user`; idempotent. Returns whether anything changed.

        `was_done`, when the caller has just read it, spares the read before a
        tick. Each write is one statement: an insert that ignores an existing
        tick (two clicks at once cannot fail), or a delete that reports what it
        deleted, both written out in papers.sql. (Nothing cascades from or
        listens to StepProgress.)
        """
        from papers import sql
        from papers.signals import reading_progress_changed, ticks_changed

        if done:
            if was_done is None:
                was_done = StepProgress.objects.filter(user=user, step=self).exists()
            changed = not was_done and sql.tick(user_id=user.pk, step_id=self.pk, now=timezone.now())
        else:
            changed = sql.untick(user_id=user.pk, step_id=self.pk)
        if changed:
            ticks_changed(user)
            reading_progress_changed.send(sender=Paper, user=user, paper=self.paper)
        return changed


class StepProgress(models.Model):
    """A learner ticked a checklist step."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="step_progress"
    )
    step = models.ForeignKey(
        ChecklistStep, verbose_name=_("checklist step"), on_delete=models.CASCADE, related_name="progress"
    )
    done_at = models.DateTimeField(verbose_name=_("ticked at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "step"], name="unique_step_progress")]
        verbose_name = _("ticked step")
        verbose_name_plural = _("ticked steps")

    def __str__(self):
        return f"{self.user} ✓ {self.step}"
