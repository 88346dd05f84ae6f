"""Glossary terms and the learner's spaced-repetition flashcards."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import StrIndex
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField

from core.markdown import render_plain
from core.models import RenderedMarkdownModel
from core.text import nfkc, normalize_name
from core.urls import reverse_one
from glossary import linking
from papers.models import Paper

# Initial consonants in dictionary order; doubled ones are filed under the single one.
HANGUL_INITIALS = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
LATIN_INITIALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
OTHER_INITIAL = "#"
# The jump bar, in index order.
INDEX_INITIALS = (*HANGUL_INITIALS, *LATIN_INITIALS, OTHER_INITIAL)
# The same backwards: an initial's 1-based position in it (0 when absent, as SQL's
# STRPOS/INSTR), sorted descending, ranks initials in jump-bar order whatever the
# database's collation, and anything unknown last.
_INITIALS_REVERSED = "".join(reversed(INDEX_INITIALS))
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_FOLD = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}
SUMMARY_CHARS = 200
# First path segments under /glossary/ that are pages, not terms.
RESERVED_SLUGS = {"review", "deck"}


def initial_of(name: str) -> str:
    """The jump-bar group of a name: ㄱ…ㅎ, A–Z or '#'."""
    text = nfkc(name).strip()
    if not text:
        return OTHER_INITIAL
    char = text[0]
    code = ord(char)
    if 0xAC00 <= code <= 0xD7A3:
        char = _CHOSEONG[(code - 0xAC00) // 588]
    char = _FOLD.get(char, char)
    if char in HANGUL_INITIALS:
        return char
    base = unicodedata.normalize("NFKD", char)[0].upper()
    return base if base in LATIN_INITIALS else OTHER_INITIAL


def plain_summary(markdown_text: str, *, limit: int = SUMMARY_CHARS) -> str:
    """Plain-text start of a Markdown text (no links, no markup)."""
    text = html.unescape(strip_tags(render_plain(markdown_text)))
    text = " ".join(text.split())
    return Truncator(text).chars(limit)


class TermQuerySet(models.QuerySet):
    def match(self, names: Iterable[str]) -> Term | None:
        """The term owning any of these names (case, spaces and hyphens ignored), in one query."""
        keys = {normalize_name(n) for n in names if n} - {""}
        if not keys:
            return None
        return self.filter(names__key__in=keys).first()

    def search(self, query: str) -> TermQuerySet:
        """Terms with a name containing `query` (normalized like names are)."""
        key = normalize_name(query)
        if not key:
            return self
        return self.filter(pk__in=TermName.objects.filter(key__contains=key).values("term_id"))

    def in_index_order(self) -> TermQuerySet:
        """Hangul initials first, then A–Z, then the rest (as the jump bar); alphabetical within."""
        position = StrIndex(Value(_INITIALS_REVERSED), "initial")
        return self.annotate(initial_position=position).order_by("-initial_position", "initial", "sort_name", "pk")


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
    slug = models.SlugField(
        verbose_name=_("slug"), unique=True, max_length=120, allow_unicode=True, help_text=_("URL part.")
    )
    definition = MarkdownxField(_("definition"), help_text=_("Markdown; other terms in it are linked automatically."))
    definition_html = models.TextField(editable=False, blank=True)
    summary = models.CharField(
        verbose_name=_("summary"),
        max_length=300,
        editable=False,
        blank=True,
        help_text=_("Plain-text start of the definition for previews."),
    )
    related = models.ManyToManyField(
        "self", verbose_name=_("related terms"), blank=True, help_text=_("See-also terms (both ways).")
    )
    papers = models.ManyToManyField(
        Paper, blank=True, related_name="terms", help_text=_("Papers whose glossary has it.")
    )
    initial = models.CharField(
        max_length=1, editable=False, blank=True, db_index=True, help_text=_("Jump-bar group: ㄱ…ㅎ, A–Z or #.")
    )
    sort_name = models.CharField(
        max_length=200, editable=False, blank=True, help_text=_("Display name folded for sorting.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TermQuerySet.as_manager()

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
        return reverse_one("glossary:term_detail", self.slug)

    def markdown_context(self) -> dict:
        return {"exclude_term_id": self.pk}

    def all_names(self) -> list[str]:
        names = [self.name_ko, self.name_en, self.abbreviation]
        names += [a.strip() for a in self.aliases.split(";")]
        return [n for n in dict.fromkeys(names) if n]

    def name_keys(self) -> set[str]:
        return {normalize_name(n) for n in self.all_names()} - {""}

    def _name_fields(self) -> dict[str, str]:
        """name key → the form field it was typed in (for error messages)."""
        fields: dict[str, str] = {}
        for field in ("name_ko", "name_en", "abbreviation"):
            fields.setdefault(normalize_name(getattr(self, field)), field)
        for alias in self.aliases.split(";"):
            fields.setdefault(normalize_name(alias), "aliases")
        fields.pop("", None)
        return fields

    def name_conflicts(self) -> dict[str, list[str]]:
        """Errors by field for names that another term already owns."""
        fields = self._name_fields()
        taken = TermName.objects.filter(key__in=fields).select_related("term")
        if self.pk is not None:
            taken = taken.exclude(term_id=self.pk)
        errors: dict[str, list[str]] = {}
        for row in taken:
            errors.setdefault(fields[row.key], []).append(
                gettext("이름 ‘%(name)s’은(는) 이미 다른 용어 ‘%(term)s’이(가) 사용하고 있습니다.")
                % {"name": row.name, "term": row.term}
            )
        return errors

    def clean(self):
        super().clean()
        if not self.all_names():
            raise ValidationError(gettext("한국어 이름이나 영어 이름 중 하나는 입력해야 합니다."))
        if self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {"slug": gettext("‘%(slug)s’은(는) 예약된 주소라 쓸 수 없습니다.") % {"slug": self.slug}}
            )
        if errors := self.name_conflicts():
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if errors := self.name_conflicts():
            raise ValidationError(errors)
        self.summary = plain_summary(self.definition)
        self.initial = initial_of(self.name_ko or self.name_en or self.abbreviation)
        self.sort_name = nfkc(self.name_ko or self.name_en or self.abbreviation).casefold()[:200]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"summary", "initial", "sort_name", "updated_at"}
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.sync_names()
        linking.terms_changed()

    def sync_names(self) -> None:
        """Make the TermName rows match `all_names()` (one row per normalized key)."""
        wanted: dict[str, str] = {}
        for name in self.all_names():
            key = normalize_name(name)[:200]
            if key:
                wanted.setdefault(key, name[:200])
        current = {row.key: row for row in self.names.all()}
        stale = [row.pk for key, row in current.items() if key not in wanted]
        if stale:
            TermName.objects.filter(pk__in=stale).delete()
        TermName.objects.bulk_create(
            [TermName(term=self, key=key, name=name) for key, name in wanted.items() if key not in current]
        )
        renamed = [row for key, row in current.items() if key in wanted and row.name != wanted[key]]
        for row in renamed:
            row.name = wanted[row.key]
        if renamed:
            TermName.objects.bulk_update(renamed, ["name"])


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


class CardQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(due__lte=now or timezone.now())


class Card(models.Model):
    class Direction(models.TextChoices):
        DEFINITION = "definition", _("Term → definition")
        KO_EN = "ko_en", _("Korean → English")
        EN_KO = "en_ko", _("English → Korean")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="cards"
    )
    term = models.ForeignKey(Term, verbose_name=_("term"), on_delete=models.CASCADE, related_name="cards")
    direction = models.CharField(verbose_name=_("direction"), max_length=12, choices=Direction.choices)
    fsrs = models.JSONField(default=dict, help_text=_("The FSRS card state (Card.to_dict())."))
    due = models.DateTimeField(verbose_name=_("due"), db_index=True)
    state = models.PositiveSmallIntegerField(verbose_name=_("state"), default=1)
    reps = models.PositiveIntegerField(verbose_name=_("reviews"), default=0)
    last_review = models.DateTimeField(verbose_name=_("last review"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("flashcard")
        verbose_name_plural = _("flashcards")
        constraints = [models.UniqueConstraint(fields=["user", "term", "direction"], name="unique_card")]
        indexes = [models.Index(fields=["user", "due"])]

    def __str__(self):
        return f"{self.user} · {self.term} · {self.direction}"

    @property
    def prompt(self) -> str:
        """The front side."""
        if self.direction == self.Direction.KO_EN:
            return self.term.name_ko
        if self.direction == self.Direction.EN_KO:
            return self.term.name_en
        return self.term.display_name

    @property
    def answer_name(self) -> str:
        """The name asked for on name cards ('' for definition cards)."""
        if self.direction == self.Direction.KO_EN:
            return self.term.name_en
        if self.direction == self.Direction.EN_KO:
            return self.term.name_ko
        return ""

    @property
    def state_label(self) -> str:
        return {1: gettext("학습 중"), 2: gettext("복습"), 3: gettext("재학습")}.get(self.state, "")


class ReviewLog(models.Model):
    card = models.ForeignKey(Card, verbose_name=_("flashcard"), on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="card_reviews"
    )
    rating = models.PositiveSmallIntegerField(verbose_name=_("rating"))
    reviewed_at = models.DateTimeField(verbose_name=_("reviewed at"), db_index=True)
    due_before = models.DateTimeField(verbose_name=_("due before"), null=True, blank=True)
    due_after = models.DateTimeField(verbose_name=_("due after"))
    log = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [models.Index(fields=["user", "reviewed_at"])]

    def __str__(self):
        return f"{self.card} · {self.rating}"
