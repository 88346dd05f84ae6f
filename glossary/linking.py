"""Auto-linking: glossary term names in rendered HTML become links to the term.

The linker is a `core.markdown` post-processor, so it runs when content is
saved, never per request. When terms change, every stored Markdown field is
re-rendered once after the transaction commits (or once at the end of a
`relinking_paused()` block), and the glossary's cached pages are invalidated
(`glossary.caching`) both when the terms change and after the re-rendering.

Matching rules: names are compared ignoring case, spaces and hyphens (as
`core.text.normalize_name` does); the longest name wins; names that begin or
end with a Latin letter or digit must sit on word boundaries there, Hangul
names match inside words (particles attach: "은닉층은"); nothing inside code,
pre, links, headings or math is linked; each term is linked at its first
occurrence only; the document's own term (`exclude_term_id`) is never linked.
"""

from __future__ import annotations

import contextvars
import html
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser

from django.db import transaction
from django.urls import reverse

from core.text import nfkc
from glossary import caching

MIN_KEY_LENGTH = 2
_REMOVED = set(" \t\n\r\f\v\u00a0\u3000-‐‑‒–—_")
SKIP_TAGS = {
    "a", "code", "pre", "kbd", "samp", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style", "textarea", "button",
}  # fmt: skip
SKIP_CLASSES = {"math", "math-display", "math-inline"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
RAW_TEXT_TAGS = {"script", "style"}


@dataclass(frozen=True)
class Entry:
    key: str
    term_id: int
    slug: str
    url: str
    summary: str
    bound_start: bool
    bound_end: bool


@dataclass
class NameIndex:
    """Normalized name → term, grouped by the first two characters, longest first."""

    stamp: tuple = ()
    by_prefix: dict[str, list[Entry]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_prefix)

    def lookup(self, key: str) -> Entry | None:
        for entry in self.by_prefix.get(key[:MIN_KEY_LENGTH], ()):
            if entry.key == key:
                return entry
        return None


def is_latin_word_char(char: str) -> bool:
    if not char.isalnum():
        return False
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN")


# --- the index ------------------------------------------------------------

_lock = threading.Lock()
_cached = NameIndex(stamp=("none",))
_pinned: contextvars.ContextVar[NameIndex | None] = contextvars.ContextVar("glossary_pinned_index", default=None)
_generation = 0


def _current_stamp() -> tuple:
    """What the index depends on, read cheaply (one query) so every process notices changes."""
    from django.db.models import Count, Max

    from glossary.models import Term

    state = Term.objects.order_by().aggregate(n=Count("id"), last=Max("updated_at"))
    return (_generation, state["n"], state["last"])


def build_index(*, stamp: tuple = ()) -> NameIndex:
    from glossary.models import TermName

    urls: dict[str, str] = {}
    by_prefix: dict[str, list[Entry]] = {}
    rows = TermName.objects.order_by().values_list("key", "term_id", "term__slug", "term__summary")
    for key, term_id, slug, summary in rows:
        if len(key) < MIN_KEY_LENGTH:
            continue
        if slug not in urls:
            urls[slug] = reverse("glossary:term_detail", args=[slug])
        entry = Entry(
            key=key,
            term_id=term_id,
            slug=slug,
            url=urls[slug],
            summary=summary,
            bound_start=is_latin_word_char(key[0]),
            bound_end=is_latin_word_char(key[-1]),
        )
        by_prefix.setdefault(key[:MIN_KEY_LENGTH], []).append(entry)
    for entries in by_prefix.values():
        entries.sort(key=lambda e: (-len(e.key), e.key))
    return NameIndex(stamp=stamp, by_prefix=by_prefix)


def get_index() -> NameIndex:
    """The current name index, rebuilt only when terms changed (versioned by a stamp)."""
    global _cached
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    stamp = _current_stamp()
    cached = _cached
    if cached.stamp == stamp:
        return cached
    index = build_index(stamp=stamp)
    with _lock:
        _cached = index
    return index


@contextmanager
def pinned_index(index: NameIndex | None = None) -> Iterator[NameIndex]:
    """Use one index for many renders (a bulk re-render) without re-checking the stamp."""
    index = index if index is not None else build_index(stamp=_current_stamp())
    token = _pinned.set(index)
    try:
        yield index
    finally:
        _pinned.reset(token)


# --- linking one document ---------------------------------------------------


class _Tokenizer(HTMLParser):
    """Splits sanitized HTML into raw markup and text nodes, noting which text may be linked."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, str]] = []  # ("raw", markup) | ("text", text) | ("skip", text)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping)

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        self.parts.append(("raw", self.get_starttag_text() or ""))
        if tag in VOID_TAGS:
            return
        classes = set()
        for name, value in attrs:
            if name == "class" and value:
                classes.update(value.split())
        skip = self.skipping or tag in SKIP_TAGS or bool(classes & SKIP_CLASSES)
        self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.parts.append(("raw", self.get_starttag_text() or ""))

    def handle_endtag(self, tag):
        self.parts.append(("raw", f"</{tag}>"))
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] in RAW_TEXT_TAGS:
            self.parts.append(("raw", data))
            return
        kind = "skip" if self.skipping else "text"
        if self.parts and self.parts[-1][0] == kind:
            self.parts[-1] = (kind, self.parts[-1][1] + data)
        else:
            self.parts.append((kind, data))

    def handle_comment(self, data):
        self.parts.append(("raw", f"<!--{data}-->"))

    def handle_decl(self, decl):
        self.parts.append(("raw", f"<!{decl}>"))

    def handle_pi(self, data):
        self.parts.append(("raw", f"<?{data}>"))

    def unknown_decl(self, data):
        self.parts.append(("raw", f"<![{data}]>"))


def _normalized(text: str) -> tuple[str, list[int]]:
    """`text` folded like `normalize_name`, with each folded char's index in `text`."""
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if char in _REMOVED:
            continue
        for folded in nfkc(char).casefold():
            if folded in _REMOVED:
                continue
            chars.append(folded)
            origin.append(i)
    return "".join(chars), origin


@dataclass(frozen=True)
class _Match:
    part: int
    start: int  # in the original text
    end: int
    entry: Entry


def _find_matches(part: int, text: str, index: NameIndex) -> list[_Match]:
    norm, origin = _normalized(text)
    found: list[_Match] = []
    for i in range(len(norm) - MIN_KEY_LENGTH + 1):
        entries = index.by_prefix.get(norm[i : i + MIN_KEY_LENGTH])
        if not entries:
            continue
        for entry in entries:
            if not norm.startswith(entry.key, i):
                continue
            start = origin[i]
            end = origin[i + len(entry.key) - 1] + 1
            # A multi-char fold (e.g. "ß" → "ss") must not be cut in half.
            if i > 0 and origin[i - 1] == start:
                continue
            last = i + len(entry.key)
            if last < len(origin) and origin[last] == end - 1:
                continue
            if entry.bound_start and start > 0 and is_latin_word_char(text[start - 1]):
                continue
            if entry.bound_end and end < len(text) and is_latin_word_char(text[end]):
                continue
            found.append(_Match(part, start, end, entry))
    return found


def link_terms(html_text: str, *, exclude_term_id: int | None = None, index: NameIndex | None = None) -> str:
    """Link the first occurrence of every term name in `html_text` (sanitized HTML)."""
    if not html_text:
        return html_text
    index = index if index is not None else get_index()
    if not index:
        return html_text
    tokenizer = _Tokenizer()
    tokenizer.feed(html_text)
    tokenizer.close()
    parts = tokenizer.parts

    candidates: list[_Match] = []
    for n, (kind, text) in enumerate(parts):
        if kind == "text":
            candidates.extend(_find_matches(n, text, index))
    if not candidates:
        return html_text

    # Longest names claim their text first; shorter names cannot link inside them.
    candidates.sort(key=lambda m: (-len(m.entry.key), m.part, m.start))
    taken: dict[int, bytearray] = {}
    kept: list[_Match] = []
    for match in candidates:
        used = taken.setdefault(match.part, bytearray(len(parts[match.part][1])))
        if any(used[match.start : match.end]):
            continue
        used[match.start : match.end] = b"\x01" * (match.end - match.start)
        kept.append(match)

    kept.sort(key=lambda m: (m.part, m.start))
    linked_terms: set[int] = set()
    by_part: dict[int, list[_Match]] = {}
    for match in kept:
        term_id = match.entry.term_id
        if term_id == exclude_term_id or term_id in linked_terms:
            continue
        linked_terms.add(term_id)
        by_part.setdefault(match.part, []).append(match)
    if not by_part:
        return html_text

    out: list[str] = []
    for n, (kind, text) in enumerate(parts):
        if kind == "raw":
            out.append(text)
            continue
        pos = 0
        for match in by_part.get(n, ()):
            out.append(html.escape(text[pos : match.start], quote=False))
            out.append(_link(text[match.start : match.end], match.entry))
            pos = match.end
        out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _link(label: str, entry: Entry) -> str:
    return (
        f'<a href="{html.escape(entry.url)}" class="term-link" data-term="{html.escape(entry.slug)}">'
        f"{html.escape(label, quote=False)}</a>"
    )


def postprocess(html_text: str, context: dict) -> str:
    """The `core.markdown` post-processor (registered in `GlossaryConfig.ready`)."""
    return link_terms(html_text, exclude_term_id=context.get("exclude_term_id"))


# --- re-rendering when terms change -------------------------------------------

_paused: contextvars.ContextVar[int] = contextvars.ContextVar("glossary_relinking_paused", default=0)
_relinked_generation = -1


def relink_all() -> int:
    """Re-render every stored Markdown field with the current terms; returns rows changed."""
    global _relinked_generation
    from core.models import rerender_all_markdown

    _relinked_generation = _generation
    with transaction.atomic(), pinned_index():
        changed = rerender_all_markdown()
        # The re-render rewrote term definitions with bulk_update (no signals, no updated_at).
        caching.content_changed()
        return changed


def _relink_after_commit(generation: int, *, force: bool = False) -> None:
    # Many term saves in one transaction schedule many callbacks: the first does the work.
    if not force and _relinked_generation >= generation:
        return
    relink_all()


def terms_changed() -> None:
    """Called when a term is saved or deleted: invalidate the index and re-link after commit."""
    global _generation
    _generation += 1
    if _paused.get():
        return  # relinking_paused() bumps once at the end
    caching.content_changed()
    transaction.on_commit(partial(_relink_after_commit, _generation))


def is_paused() -> bool:
    return _paused.get() > 0


@contextmanager
def relinking_paused() -> Iterator[None]:
    """Save many terms without re-rendering content after each; re-render once at the end (after commit)."""
    depth = _paused.get()
    token = _paused.set(depth + 1)
    generation_before = _generation
    try:
        yield
    finally:
        _paused.reset(token)
        # Content saved while paused was linked against the terms of that moment;
        # only if a term changed since does everything need linking again.
        if depth == 0 and _generation != generation_before:
            caching.content_changed()
            transaction.on_commit(partial(_relink_after_commit, _generation, force=True))
