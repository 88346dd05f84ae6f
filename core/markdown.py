"""The one place where Markdown becomes HTML.

`render_markdown` renders and sanitizes; everything stored as `*_html` and the
admin's live preview go through it. Other apps may register HTML
post-processors (the glossary's auto-linker) that run on the sanitized output,
so that `papers` does not need to import `glossary`.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Only these class values survive: highlighting, math and a few layout hooks.
_CLASS_RE = re.compile(r"^(language-[\w+-]+|math|math-display|math-inline|codehilite|footnote[\w-]*)$")

_MATH_RE = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_PLACEHOLDER = "\ue000MATH{}\ue001"

Postprocessor = Callable[[str, dict], str]
_postprocessors: list[Postprocessor] = []


def register_postprocessor(func: Postprocessor) -> Postprocessor:
    """Add a function `(html, context) -> html` run after sanitizing."""
    if func not in _postprocessors:
        _postprocessors.append(func)
    return func


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        kept = [c for c in value.split() if _CLASS_RE.match(c)]
        return " ".join(kept) or None
    return value


def sanitize_html(raw: str) -> str:
    """Strip everything that is not plain, safe document markup."""
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_local = threading.local()


def _markdown_converter() -> markdown.Markdown:
    """One converter per thread: building one costs more than converting a page."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return converter


_LIST_ITEM_RE = re.compile(r"^( +)([-*+]|\d+[.)]) ")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")


def normalize_list_indent(text: str) -> str:
    """Round nested list markers up to 4-space steps.

    Authors (and the seed) nest lists with 2–3 spaces, which Python-Markdown
    would flatten into the parent item's text.
    """
    out, in_fence = [], False
    for line in text.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            match = _LIST_ITEM_RE.match(line)
            if match and len(match.group(1)) % 4:
                width = -(-len(match.group(1)) // 4) * 4
                line = " " * width + line[len(match.group(1)) :]
        out.append(line)
    return "\n".join(out)


def render_markdown(text: str | None, **context) -> str:
    """Markdown → sanitized HTML (+ registered post-processors).

    `$$…$$` math is taken out before Markdown sees it (so `_` and `\\` inside
    stay as written) and put back as an escaped `<span class="math">` that the
    front end typesets with KaTeX.
    """
    if not text:
        return ""
    maths: list[str] = []

    def stash(match: re.Match) -> str:
        maths.append(match.group(1))
        return _PLACEHOLDER.format(len(maths) - 1)

    source = normalize_list_indent(_MATH_RE.sub(stash, text))
    rendered = _markdown_converter().reset().convert(source)
    clean = sanitize_html(rendered)

    def unstash(match: re.Match) -> str:
        return f'<span class="math">$${html.escape(maths[int(match.group(1))])}$$</span>'

    clean = re.sub("\ue000MATH(\\d+)\ue001", unstash, clean)
    # Wide code blocks scroll; tabindex lets keyboard users scroll them too.
    clean = clean.replace("<pre>", '<pre tabindex="0">')
    if context.get("postprocess", True):
        for func in _postprocessors:
            clean = func(clean, context)
    return clean


def render_plain(text: str | None) -> str:
    """Sanitized Markdown without post-processors (for short labels)."""
    return render_markdown(text, postprocess=False)
