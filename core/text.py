"""Text normalization shared by importers and matchers."""

import re
import unicodedata

from django.utils.text import slugify


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def normalize_title(title: str) -> str:
    """Key for matching paper titles: case, spacing and punctuation ignored."""
    text = nfkc(title).casefold()
    return re.sub(r"[\W_]+", "", text)


def normalize_name(name: str) -> str:
    """Key for matching glossary names: case, spaces and hyphens ignored ("Word-piece" = "WordPiece")."""
    text = nfkc(name).casefold()
    return re.sub(r"[\s\-‐‑‒–—_]+", "", text)


def unique_slug(base: str, exists, *, max_length: int = 100, allow_unicode: bool = False) -> str:
    """A slug from `base` that `exists(slug)` says is free."""
    root = slugify(base, allow_unicode=allow_unicode)[:max_length].strip("-") or "item"
    slug, n = root, 2
    while exists(slug):
        suffix = f"-{n}"
        slug = root[: max_length - len(suffix)] + suffix
        n += 1
    return slug
