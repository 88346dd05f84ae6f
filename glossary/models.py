"""Glossary terms and the learner's spaced-repetition flashcards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from core.models import RenderedMarkdownModel
from core.text import normalize_name
from papers.models import Paper


class Term(RenderedMarkdownModel):
    MARKDOWN_FIELDS = {"definition": "definition_html"}

    name_ko = models.CharField(_("Korean name"), max_length=200, blank=True, help_text=_("e.g. 역전파"))
    name_en = models.CharField(_("English name"), max_length=200, blank=True, help_text=_("e.g. Back-propagation"))
    abbreviation = models.CharField(_("abbreviation"), max_length=50, blank=True, help_text=_("e.g. RNN, BPE"))
    aliases = models.CharField(
        _("other names"),
        max_length=500,
        blank=True,
        help_text=_("Other names separated by `;`, e.g. 'Intra-Attention; 결정적 시기 (Critical Period)'."),
    )
    slug = models.SlugField(unique=True, max_length=120, allow_unicode=True, help_text=_("URL part."))
    definition = MarkdownxField(_("definition"), help_text=_("Markdown; other terms in it are linked automatically."))
    definition_html = models.TextField(editable=False, blank=True)
    summary = models.CharField(
        max_length=300, editable=False, blank=True, help_text=_("Plain-text start of the definition for previews.")
    )
    related = models.ManyToManyField("self", blank=True, help_text=_("See-also terms (both ways)."))
    papers = models.ManyToManyField(Paper, blank=True, related_name="terms", help_text=_("Papers whose glossary has it."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_ko", "name_en"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name_ko and self.name_en:
            return f"{self.name_ko} ({self.name_en})"
        return self.name_ko or self.name_en

    def get_absolute_url(self):
        return reverse("glossary:term_detail", args=[self.slug])

    def markdown_context(self) -> dict:
        return {"exclude_term_id": self.pk}

    def all_names(self) -> list[str]:
        names = [self.name_ko, self.name_en, self.abbreviation]
        names += [a.strip() for a in self.aliases.split(";")]
        return [n for n in dict.fromkeys(names) if n]

    def name_keys(self) -> set[str]:
        return {normalize_name(n) for n in self.all_names()} - {""}


class TermName(models.Model):
    """Every name of a term, normalized, so that one name finds one term."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=200)
    key = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name = _("term name")
        verbose_name_plural = _("term names")

    def __str__(self):
        return self.name


class Card(models.Model):
    class Direction(models.TextChoices):
        DEFINITION = "definition", _("Term → definition")
        KO_EN = "ko_en", _("Korean → English")
        EN_KO = "en_ko", _("English → Korean")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="cards")
    direction = models.CharField(max_length=12, choices=Direction.choices)
    fsrs = models.JSONField(default=dict, help_text=_("The FSRS card state (Card.to_dict())."))
    due = models.DateTimeField(db_index=True)
    state = models.PositiveSmallIntegerField(default=1)
    reps = models.PositiveIntegerField(default=0)
    last_review = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("flashcard")
        verbose_name_plural = _("flashcards")
        constraints = [models.UniqueConstraint(fields=["user", "term", "direction"], name="unique_card")]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self):
        return f"{self.user} · {self.term} · {self.direction}"


class ReviewLog(models.Model):
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_reviews")
    rating = models.PositiveSmallIntegerField()
    reviewed_at = models.DateTimeField(db_index=True)
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField()
    log = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [models.Index(fields=["user", "reviewed_at"])]

    def __str__(self):
        return f"{self.card} · {self.rating}"
