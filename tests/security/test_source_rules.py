"""Static rules over templates and source that keep the CSP and the sanitizer meaningful.

Cheap guards that fail the moment someone adds an inline script, an inline
event handler, `|safe` on something that was not sanitized, or an escape
hatch around CSRF or the ORM.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))
APPS = ["core", "accounts", "papers", "quizzes", "glossary", "progress", "lessons", "config"]
SOURCES = sorted(p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)

# Only stored, sanitized HTML (`*_html`), server-built SVG whose text is escaped (`*_svg`) and
# Django's own form help texts may be marked safe.
SAFE_OK = re.compile(r"\{\{\s*[\w.]*(_html|_svg|field\.help_text)\s*\|safe\s*\}\}")


def _lines(paths, pattern: re.Pattern) -> list[str]:
    found = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    return found


def test_templates_exist():
    assert len(TEMPLATES) > 10


def test_no_inline_scripts_in_templates():
    assert not _lines(TEMPLATES, re.compile(r"<script(?![^>]*\bsrc=)", re.I))


def test_no_inline_event_handlers_or_hx_on_in_templates():
    assert not _lines(TEMPLATES, re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:\w-]*|data-hx-on[:\w-]*)\s*=", re.I))


def test_no_script_urls_in_templates():
    assert not _lines(TEMPLATES, re.compile(r"(javascript|vbscript):", re.I))


def test_safe_only_on_sanitized_html():
    unsafe = []
    for line in _lines(TEMPLATES, re.compile(r"\|\s*safe\b|safeseq")):
        remaining = SAFE_OK.sub("", line.split(": ", 1)[1])
        if re.search(r"\|\s*safe\b|safeseq", remaining):
            unsafe.append(line)
    assert not unsafe, "only *_html / *_svg may be |safe: " + "; ".join(unsafe)
    assert not _lines(TEMPLATES, re.compile(r"\{%\s*autoescape\s+off"))


def test_no_csrf_exemptions_or_unescaped_strings_in_code():
    assert not _lines(SOURCES, re.compile(r"csrf_exempt"))
    # core/cache.py hands back fragments that our own templates rendered (and escaped)
    # before they were stored: the one place that marks text safe again.
    marked = _lines(SOURCES, re.compile(r"mark_safe\(|SafeString\("))
    assert marked and all(line.startswith("core/cache.py:") for line in marked), marked


# The hot paths' hand-written statements live in one module per app: values are always
# bound parameters, only quoted table/column names are formatted in (tests/progress/test_sql.py
# checks that every progress statement is a constant).
RAW_SQL_MODULES = ("progress/sql.py:", "quizzes/sql.py:", "glossary/sql.py:", "papers/sql.py:")


def test_no_raw_sql_built_from_strings():
    risky = _lines(SOURCES, re.compile(r"\.raw\(|\.extra\(|RawSQL\(|cursor\.execute\((?!\"SELECT 1\"\))"))
    assert not [line for line in risky if not line.startswith(RAW_SQL_MODULES)]


def test_no_unsafe_deserialization_or_eval():
    assert not _lines(SOURCES, re.compile(r"\bpickle\b|yaml\.load\(|\beval\(|\bexec\(|shell=True"))
