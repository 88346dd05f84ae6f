"""Lesson documents (docs/lesson-format.md) → plain dataclasses, with line numbers.

The parser never touches the database: it turns bytes into a `Document` or
raises `LessonError(path, line, message)`. Matching against existing rows
(papers by title, terms by name) is the importer's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.text import normalize_title


class LessonError(Exception):
    """A document that cannot be understood, pointing at the line."""

    def __init__(self, path: str, line: int, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


# --- results ------------------------------------------------------------------


@dataclass
class Category:
    heading: str
    name_ko: str
    name_en: str
    order: int
    line: int


@dataclass
class CatalogEntry:
    title: str
    year: int | None
    authors: str
    summary: str
    category: Category
    position: int
    line: int


@dataclass
class MethodStep:
    title: str
    body: str


@dataclass
class Intro:
    heading: str
    body: str
    steps: list[MethodStep]
    line: int

    @property
    def is_reading_method(self) -> bool:
        return any(words in self.heading for words in READING_METHOD_WORDS)


@dataclass
class Answer:
    text: str = ""
    fraction: Decimal = Decimal("0")
    feedback: str = ""
    value: Decimal | None = None
    tolerance: Decimal = Decimal("0")


@dataclass
class Question:
    qtype: str
    text: str
    line: int
    model_answer: str = ""
    general_feedback: str = ""
    answers: list[Answer] = field(default_factory=list)


@dataclass
class Term:
    name_ko: str
    name_en: str
    abbreviation: str
    aliases: list[str]
    definition: str
    line: int

    @property
    def names(self) -> list[str]:
        return [n for n in [self.name_ko, self.name_en, self.abbreviation, *self.aliases] if n]


@dataclass
class Reference:
    title: str
    line: int


@dataclass
class PaperSection:
    title: str
    year: int | None
    authors: str
    line: int
    paper_url: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # authors, venue, arxiv_id, doi, code_url
    prerequisites: list[Reference] | None = None
    guide: str | None = None
    checklist: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    essays: list[Question] = field(default_factory=list)
    terms: list[Term] | None = None
    has_content: bool = False

    @property
    def has_quiz(self) -> bool:
        return bool(self.questions or self.essays)


@dataclass
class Document:
    path: str
    title: str
    front_matter: dict
    intro: Intro | None
    categories: list[Category]
    entries: list[CatalogEntry]
    sections: list[PaperSection]


# --- the question types (values of quizzes.models.Question.Type) -------------

MODEL_ANSWER = "model"
ESSAY = "essay"
SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "truefalse"
SHORT = "short"
NUMERICAL = "numerical"
PENDING = ""  # a quiz question whose answer may still come from a `퀴즈 정답` section

READING_METHOD_WORDS = ("논문 읽기 방법", "읽는 방법")
CATALOG_WORDS = "읽을 만한 논문"
TRUE_WORDS = {"참", "o", "true", "t", "예"}
FALSE_WORDS = {"거짓", "x", "false", "f", "아니오"}
FRACTION_PLACES = Decimal("0.00001")

META_KEYS = {
    "저자": "authors",
    "학회": "venue",
    "arxiv": "arxiv_id",
    "doi": "doi",
    "코드": "code_url",
    "선수 논문": "prerequisites",
}

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_H2 = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_H3 = re.compile(r"^###(?!#)\s*(.*?)\s*$")
_NUMBER_PREFIX = re.compile(r"^\d+(?:\.\d+)*\.?\s*")
_NUMBERED = re.compile(r"^ ?(\d+)[.)]\s*(.*)$")
_SUB_ITEM = re.compile(r"^(\s+)[-*+]\s+(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_ENTRY = re.compile(r"^[-*+]\s+\*\*(?P<inner>.+?)\*\*\s*(?P<rest>.*)$")
_LINK = re.compile(r"^\[(?P<title>[^\]]+)\]\(\s*(?P<url>[^)\s]+)\s*\)$")
_CITATION = re.compile(r"\(([^()]*)\)\s*$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)[a-z]?$")
_META = re.compile(r"^(?P<key>저자|학회|arxiv|doi|코드|선수\s*논문)\s*[:：]\s*(?P<value>.*)$", re.IGNORECASE)
_CHOICE = re.compile(r"^(?P<mark>\([ xX]?\)|\[[ xX]?\])\s*(?P<text>.*)$")
_KEYED = re.compile(r"^(?P<key>수치\s*정답|정답|해설)\s*[:：]\s*(?P<value>.*)$")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMERIC = re.compile(rf"^(?P<value>{_NUMBER})\s*(?:(?:±|\+/-|\+-)\s*(?P<tolerance>{_NUMBER}))?$")
_OR = re.compile(r"\s+또는\s+")
_NAME_PAIR = re.compile(r"^(?P<a>.+?)\s*\((?P<b>[^()]+)\)$")


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


def is_abbreviation(name: str) -> bool:
    """Short, mostly upper-case and without spaces: RNN, BPE, ReLU, SQuAD."""
    letters = [c for c in name if c.isalpha()]
    if not letters or len(name) > 10 or re.search(r"\s", name) or has_hangul(name):
        return False
    upper = sum(1 for c in letters if c.isupper())
    return upper >= 2 and upper * 2 >= len(letters) and name[0].isupper()


def clean_heading(text: str) -> str:
    """`3. **Title (2012, X)**` → `Title (2012, X)`; `**7.1 퀴즈**` → `퀴즈`."""
    text = text.replace("**", "").strip()
    return _NUMBER_PREFIX.sub("", text).strip()


def heading_number(text: str) -> int | None:
    """The last part of the heading's number: `2.3 NLP` → 3."""
    match = _NUMBER_PREFIX.match(text.replace("**", "").strip())
    if not match:
        return None
    return int(match.group(0).strip().rstrip(".").split(".")[-1])


def split_citation(text: str) -> tuple[str, int | None, str]:
    """`"Title" (2012, Krizhevsky et al.)` → (title, 2012, authors); the year may come last or be absent."""
    text = text.strip()
    title, citation = text, ""
    if text[:1] in '"“' and (end := _closing_quote(text)) > 0:
        title, citation = text[1:end], text[end + 1 :].strip()
        if citation.startswith("(") and citation.endswith(")"):
            citation = citation[1:-1]
    elif match := _CITATION.search(text):
        parts = [p.strip() for p in match.group(1).split(",")]
        if any(_YEAR.match(p) for p in parts):
            title, citation = text[: match.start()], match.group(1)
    year, authors = None, []
    for part in (p.strip() for p in citation.split(",")):
        if not part:
            continue
        if year is None and _YEAR.match(part):
            year = int(part[:4])
        else:
            authors.append(part)
    return title.strip().strip('"“”').strip(), year, ", ".join(authors)


def _closing_quote(text: str) -> int:
    for i, char in enumerate(text[1:], start=1):
        if char in '"”':
            return i
    return -1


def split_names(text: str) -> tuple[str, str]:
    """`한국어 (English)` or `English (한국어)` → (korean-or-first, english-or-second) by script."""
    match = _NAME_PAIR.match(text.strip())
    if not match:
        return (text.strip(), "") if has_hangul(text) else ("", text.strip())
    a, b = match.group("a").strip(), match.group("b").strip()
    if has_hangul(a) and not has_hangul(b):
        return a, b
    if has_hangul(b) and not has_hangul(a):
        return b, a
    return a, b


def parse_category(heading: str, *, line: int, position: int) -> Category:
    name = clean_heading(heading)
    match = _NAME_PAIR.match(name)
    name_ko, name_en = name, ""
    if match:
        a, b = match.group("a").strip(), match.group("b").strip()
        if has_hangul(a) and not has_hangul(b):
            name_ko, name_en = a, b
        elif has_hangul(b) and not has_hangul(a):
            name_ko, name_en = b, a
        else:
            name_ko, name_en = name, b
    elif not has_hangul(name):
        name_en = name
    return Category(
        heading=name, name_ko=name_ko, name_en=name_en, order=heading_number(heading) or position, line=line
    )


def parse_term_names(text: str) -> tuple[str, str, str, list[str]]:
    """Glossary names → (name_ko, name_en, abbreviation, aliases)."""
    groups = [g.strip() for g in _OR.split(text.strip()) if g.strip()]
    name_ko = name_en = abbreviation = ""
    aliases: list[str] = []
    first = groups[0]
    match = _NAME_PAIR.match(first)
    if match:
        a, b = match.group("a").strip(), match.group("b").strip()
        if has_hangul(a):
            name_ko = a
            if is_abbreviation(b):
                abbreviation = b
            elif has_hangul(b):
                aliases.append(b)
            else:
                name_en = b
        elif has_hangul(b):
            name_en, name_ko = a, b
        elif is_abbreviation(b):
            name_en, abbreviation = a, b
        else:
            name_en = a
            aliases.append(b)
    elif has_hangul(first):
        name_ko = first
    else:
        name_en = first
    for group in groups[1:]:
        match = _NAME_PAIR.match(group)
        for name in (match.group("a").strip(), match.group("b").strip()) if match else (group,):
            if not abbreviation and is_abbreviation(name):
                abbreviation = name
            else:
                aliases.append(name)
    return name_ko, name_en, abbreviation, aliases


# --- reading bytes --------------------------------------------------------------


def decode(data: bytes, *, path: str) -> str:
    """UTF-8 text without BOM and with \\n line ends; binary or other encodings are errors."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise LessonError(path, line, "binary file (NUL byte); a lesson document is UTF-8 Markdown text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LessonError(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the document as UTF-8") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_bytes(data: bytes, *, path: str) -> Document:
    return parse_text(decode(data, path=path), path=path)


def parse_text(text: str, *, path: str) -> Document:
    return _Parser(text, path=path).parse()


# --- the parser -------------------------------------------------------------------


@dataclass
class _Line:
    number: int
    text: str
    fenced: bool  # inside (or opening/closing) a fenced code block

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip(" "))

    @property
    def blank(self) -> bool:
        return not self.text.strip()


class _Parser:
    def __init__(self, text: str, *, path: str):
        self.path = path
        self.lines: list[_Line] = []
        fence = ""
        for number, raw in enumerate(text.split("\n"), start=1):
            raw = raw.replace("\t", "    ").rstrip()
            match = _FENCE.match(raw)
            if fence:
                self.lines.append(_Line(number, raw, True))
                if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                    fence = ""
            elif match:
                fence = match.group(1)
                self.lines.append(_Line(number, raw, True))
            else:
                self.lines.append(_Line(number, raw, False))

    def error(self, line: int | _Line, message: str) -> LessonError:
        return LessonError(self.path, line.number if isinstance(line, _Line) else line, message)

    # -- document level

    def parse(self) -> Document:
        front_matter, body = self.front_matter()
        title = str(front_matter.get("title") or PurePath(self.path).stem)
        sections = self.split(body, _H2)
        intro = None
        categories: list[Category] = []
        entries: list[CatalogEntry] = []
        papers: list[PaperSection] = []
        first = True
        for heading, lines in sections:
            if heading is None:
                self.expect_blank(lines, "text before the first `##` section")
                continue
            text = _H2.match(heading.text).group(1)
            name = clean_heading(text)
            if "**" in text:
                papers.append(self.paper_section(heading, name, lines))
            elif CATALOG_WORDS in name or self.looks_like_catalog(lines):
                found_categories, found_entries = self.catalog(lines, start=len(categories))
                categories += found_categories
                entries += found_entries
            elif first:
                intro = self.intro(heading, name, lines)
            else:
                papers.append(self.paper_section(heading, name, lines))
            first = False
        if intro is None and not entries and not papers:
            raise self.error(1, "nothing to import: no introduction, catalog (`## N. 읽을 만한 논문`) or paper section")
        seen: dict[str, int] = {}
        for entry in entries:
            key = normalize_title(entry.title)
            if key in seen:
                raise self.error(entry.line, f"paper “{entry.title}” is already listed on line {seen[key]}")
            seen[key] = entry.line
        return Document(self.path, title, front_matter, intro, categories, entries, papers)

    def front_matter(self) -> tuple[dict, list[_Line]]:
        lines = self.lines
        if not lines or lines[0].text.strip() != "---":
            return {}, lines
        data: dict = {}
        key = None
        for i, line in enumerate(lines[1:], start=1):
            stripped = line.text.strip()
            if stripped in ("---", "..."):
                return data, lines[i + 1 :]
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("- ") and key is not None:
                if not isinstance(data.get(key), list):
                    data[key] = []
                data[key].append(_yaml_scalar(stripped[2:]))
                continue
            match = re.match(r"^([\w-]+)\s*:\s*(.*)$", stripped)
            if not match or line.indent:
                raise self.error(line, "front matter lines are `key: value` or `  - item`")
            key, value = match.group(1), match.group(2)
            data[key] = _yaml_scalar(value) if value.strip() else []
        raise self.error(1, "front matter is not closed by a `---` line")

    @staticmethod
    def split(lines: list[_Line], pattern: re.Pattern) -> list[tuple[_Line | None, list[_Line]]]:
        sections: list[tuple[_Line | None, list[_Line]]] = [(None, [])]
        for line in lines:
            if not line.fenced and pattern.match(line.text):
                sections.append((line, []))
            else:
                sections[-1][1].append(line)
        if not sections[0][1] and len(sections) > 1:
            sections.pop(0)
        return sections

    def expect_blank(self, lines: list[_Line], what: str) -> None:
        for line in lines:
            if not line.blank:
                raise self.error(line, f"unexpected {what}: {line.text.strip()[:60]}")

    # -- section 1

    def intro(self, heading: _Line, name: str, lines: list[_Line]) -> Intro:
        """Section 1; its numbered items at the left margin are the reading method's steps."""
        steps: list[tuple[str, list[_Line]]] = []
        in_step = False
        for line in lines:
            match = _NUMBERED.match(line.text) if not line.fenced and line.indent == 0 else None
            if match:
                steps.append((match.group(2), []))
                in_step = True
            elif in_step and not line.blank and line.indent == 0:
                in_step = False  # a paragraph after the list ends the last step
            elif in_step:
                steps[-1][1].append(line)
        return Intro(
            heading=name,
            body=_block(lines),
            steps=[_method_step(title, step_lines) for title, step_lines in steps],
            line=heading.number,
        )

    # -- the catalog

    @staticmethod
    def looks_like_catalog(lines: list[_Line]) -> bool:
        in_category = False
        for line in lines:
            if line.fenced:
                continue
            if _H3.match(line.text):
                in_category = True
            elif in_category and (m := _ENTRY.match(line.text)) and not m.group("rest"):
                return True
        return False

    def catalog(self, lines: list[_Line], *, start: int) -> tuple[list[Category], list[CatalogEntry]]:
        categories: list[Category] = []
        entries: list[CatalogEntry] = []
        category: Category | None = None
        entry: CatalogEntry | None = None
        position = 0
        for line in lines:
            if line.blank:
                continue
            if line.fenced:
                raise self.error(line, "code blocks are not allowed in the paper catalog")
            if heading := _H3.match(line.text):
                category = parse_category(heading.group(1), line=line.number, position=start + len(categories) + 1)
                if not category.name_ko:
                    raise self.error(line, "category heading without a name")
                if max(len(category.name_ko), len(category.name_en)) > 120:
                    raise self.error(line, "category name longer than 120 characters")
                categories.append(category)
                entry, position = None, 0
                continue
            if line.indent == 0 and (match := _ENTRY.match(line.text)):
                if category is None:
                    raise self.error(line, "paper listed before any `### N.x` category heading")
                title, year, authors = split_citation(match.group("inner"))
                if not title:
                    raise self.error(line, "catalog entry without a title")
                self.check_citation(line, title, authors)
                position += 1
                entry = CatalogEntry(title, year, authors, "", category, position, line.number)
                entries.append(entry)
                entry.summary = match.group("rest").lstrip("-–—:： ").strip()
                if len(entry.summary) > 500:
                    raise self.error(line, "paper description longer than 500 characters")
                continue
            if line.indent > 0 and entry is not None:
                text = _BULLET.sub(r"\2", line.text).strip()
                entry.summary = f"{entry.summary} {text}".strip()
                if len(entry.summary) > 500:
                    raise self.error(line, "paper description longer than 500 characters")
                continue
            raise self.error(line, 'not a catalog line: expected `### N.x Category` or `- **"Title" (year, Authors)**`')
        return categories, entries

    # -- one paper

    def paper_section(self, heading: _Line, name: str, lines: list[_Line]) -> PaperSection:
        title, year, authors = split_citation(name)
        if not title:
            raise self.error(heading, "paper section without a title")
        self.check_citation(heading, title, authors)
        section = PaperSection(title=title, year=year, authors=authors, line=heading.number)
        open_quiz: list[Question] | None = None  # the `퀴즈` section right before, waiting for its `퀴즈 정답`
        for sub_heading, sub_lines in self.split(lines, _H3):
            if sub_heading is None:
                self.metadata(section, sub_lines)
            else:
                open_quiz = self.subsection(section, sub_heading, sub_lines, open_quiz=open_quiz)
        for question in section.questions:
            if question.qtype == PENDING:
                raise self.error(
                    question.line,
                    "question without an answer: add an indented `- ` answer line under it "
                    "or a `퀴즈 정답` section right after the quiz",
                )
        return section

    def metadata(self, section: PaperSection, lines: list[_Line]) -> None:
        for line in lines:
            if line.blank:
                continue
            text = _BULLET.sub(r"\2", line.text).strip() if not line.fenced else line.text.strip()
            if match := _LINK.match(text):
                self.check_url(line, match.group("url"))
                section.paper_url = match.group("url")
            elif match := _META.match(text):
                key = META_KEYS[re.sub(r"\s+", " ", match.group("key").lower())]
                value = match.group("value").strip()
                if not value:
                    raise self.error(line, f"`{match.group('key')}:` without a value")
                if key == "prerequisites":
                    section.prerequisites = [
                        Reference(title=t.strip().strip('"“”'), line=line.number) for t in value.split(";") if t.strip()
                    ]
                    continue
                if key == "code_url":
                    link = re.match(r"^\[[^\]]*\]\(([^)\s]+)\)$", value)
                    value = link.group(1) if link else value.strip("<>")
                    self.check_url(line, value)
                elif key == "arxiv_id":
                    value = re.sub(r"^(?:https?://arxiv\.org/abs/|arxiv:)", "", value, flags=re.IGNORECASE)
                elif key == "doi":
                    value = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", value, flags=re.IGNORECASE)
                limits = {"authors": 500, "venue": 200, "arxiv_id": 50, "doi": 200, "code_url": 500}
                if len(value) > limits[key]:
                    raise self.error(line, f"`{match.group('key')}` is longer than {limits[key]} characters")
                section.meta[key] = value
            else:
                raise self.error(
                    line,
                    "expected a metadata line under the paper heading: `- [Title](URL)`, "
                    "`- 저자:`, `- 학회:`, `- arXiv:`, `- DOI:`, `- 코드:` or `- 선수 논문:`",
                )
            section.has_content = True

    def check_citation(self, line: _Line, title: str, authors: str) -> None:
        if len(title) > 300:
            raise self.error(line, "paper title longer than 300 characters")
        if len(authors) > 500:
            raise self.error(line, "author list longer than 500 characters")

    def check_url(self, line: _Line, url: str) -> None:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise self.error(line, f"not a valid http(s) URL: {url}") from None
        if len(url) > 500:
            raise self.error(line, "URL is longer than 500 characters")

    def subsection(
        self, section: PaperSection, heading: _Line, lines: list[_Line], *, open_quiz: list[Question] | None
    ) -> list[Question] | None:
        """Parse one `###` part; returns the quiz questions a following `퀴즈 정답` section answers."""
        name = clean_heading(_H3.match(heading.text).group(1))
        section.has_content = True
        if "퀴즈" in name and "정답" in name:
            if not open_quiz:
                raise self.error(heading, "`퀴즈 정답` section without its `퀴즈` section right before it")
            self.answers(open_quiz, heading, lines)
        elif "퀴즈" in name:
            questions = self.questions(heading, lines, essay=False)
            section.questions += questions
            return questions
        elif "읽기 가이드" in name:
            section.guide = _block(lines)
        elif "읽기 체크리스트" in name:
            section.checklist += self.checklist(lines)
        elif "에세이" in name or "논술" in name:
            section.essays += self.questions(heading, lines, essay=True)
        elif "용어집" in name or "용어 해설" in name:
            section.terms = (section.terms or []) + self.glossary(lines)
        else:
            raise self.error(
                heading,
                f"unknown subsection “{name}”: expected 읽기 가이드, 읽기 체크리스트, 퀴즈, 퀴즈 정답, "
                "에세이/논술 or 용어집/용어 해설",
            )
        return None

    def checklist(self, lines: list[_Line]) -> list[str]:
        items: list[str] = []
        for line in lines:
            if line.blank:
                continue
            match = _BULLET.match(line.text)
            if match and len(match.group(1)) <= 1:
                items.append(match.group(2).strip())
            elif items and line.indent > 0:
                items[-1] = f"{items[-1]} {line.text.strip()}"
            else:
                raise self.error(line, "a checklist item is a `- ` line")
        return items

    # -- questions

    def questions(self, heading: _Line, lines: list[_Line], *, essay: bool) -> list[Question]:
        kind = "essay" if essay else "quiz"
        items = self.numbered_items(lines, kind=kind)
        if not items:
            raise self.error(heading, f"{kind} section without questions (numbered `1.` items)")
        questions = []
        for first, text_lines, sub_items in items:
            text = _dedent("\n".join(text_lines)).strip()
            if not text:
                raise self.error(first, "question without text")
            questions.append(self.question(first, text, sub_items, essay=essay))
        return questions

    def numbered_items(self, lines: list[_Line], *, kind: str):
        """Numbered items at the left margin: (line, text lines, [(line, sub-item lines)])."""
        items: list[tuple[_Line, list[str], list[tuple[_Line, list[str]]]]] = []
        item_indent = 0
        blanks = 0
        for line in lines:
            if line.blank:
                blanks += 1
                continue
            match = _NUMBERED.match(line.text) if not line.fenced else None
            if match:
                items.append((line, [match.group(2)], []))
                blanks = 0
                continue
            if not items:
                raise self.error(line, f"expected a numbered {kind} item (`1. …`)")
            _first, text_lines, sub_items = items[-1]
            sub = _SUB_ITEM.match(line.text) if not line.fenced else None
            if sub and (not sub_items or len(sub.group(1)) <= item_indent):
                item_indent = len(sub.group(1))
                sub_items.append((line, [sub.group(2)]))
            elif sub_items:
                if line.indent <= item_indent and not line.fenced:
                    raise self.error(
                        line, "unexpected text after the answer items; indent it to continue the item above"
                    )
                sub_items[-1][1].extend([""] * blanks + [_strip_indent(line.text, item_indent + 2)])
            else:
                text_lines.extend([""] * blanks + [_strip_indent(line.text, 3)])
            blanks = 0
        return items

    def question(self, line: _Line, text: str, sub_items, *, essay: bool) -> Question:
        question = Question(qtype=ESSAY if essay else PENDING, text=text, line=line.number)
        choices: list[tuple[_Line, bool, str, str, str]] = []  # line, correct, text, feedback, kind
        plain: list[str] = []
        for item_line, item_lines in sub_items:
            item = _dedent_tail(item_lines)
            if essay:
                if keyed := _KEYED.match(item):
                    if keyed.group("key") != "해설":
                        raise self.error(item_line, "essay questions are graded by an instructor: no `정답`")
                    question.general_feedback = keyed.group("value").strip()
                else:
                    plain.append(item)
                continue
            if choice := _CHOICE.match(item):
                mark = choice.group("mark")
                body, _sep, feedback = choice.group("text").partition(" // ")
                if not body.strip():
                    raise self.error(item_line, "choice without text")
                kind = SINGLE if mark.startswith("(") else MULTIPLE
                choices.append((item_line, "x" in mark.lower(), body.strip(), feedback.strip(), kind))
            elif keyed := _KEYED.match(item):
                key, value = re.sub(r"\s+", " ", keyed.group("key")), keyed.group("value").strip()
                if key == "해설":
                    question.general_feedback = value
                elif question.qtype != PENDING:
                    raise self.error(item_line, "a question has one `정답:` or `수치 정답:` line")
                elif key == "수치 정답":
                    question.qtype = NUMERICAL
                    question.answers = [self.numeric(item_line, value)]
                elif value.casefold() in TRUE_WORDS or value.casefold() in FALSE_WORDS:
                    question.qtype = TRUE_FALSE
                    correct = value.casefold() in TRUE_WORDS
                    question.answers = [
                        Answer(text="참", fraction=Decimal(int(correct))),
                        Answer(text="거짓", fraction=Decimal(int(not correct))),
                    ]
                else:
                    accepted = [a.strip() for a in value.split("|") if a.strip()]
                    if not accepted:
                        raise self.error(item_line, "`정답:` without an accepted answer")
                    question.qtype = SHORT
                    question.answers = [Answer(text=a, fraction=Decimal("1")) for a in accepted]
            else:
                plain.append(item)
        if essay:
            question.model_answer = "\n\n".join(plain)
            return question
        if choices:
            kinds = {c[4] for c in choices}
            if len(kinds) > 1:
                raise self.error(
                    choices[0][0], "a question mixes `( )` single-choice and `[ ]` multiple-response marks"
                )
            if question.qtype != PENDING:
                raise self.error(choices[0][0], "choices and a `정답:` line in the same question")
            kind = kinds.pop()
            correct = sum(1 for c in choices if c[1])
            if kind == SINGLE and correct != 1:
                raise self.error(line, f"single-choice question needs exactly one `(x)` choice, found {correct}")
            if kind == MULTIPLE and correct < 1:
                raise self.error(line, "multiple-response question needs at least one `[x]` choice")
            share = (Decimal(1) / correct).quantize(FRACTION_PLACES, rounding=ROUND_HALF_UP)
            question.qtype = kind
            question.answers = [
                Answer(
                    text=text,
                    feedback=feedback,
                    fraction=(Decimal(1) if ok else Decimal(0)) if kind == SINGLE else (share if ok else -share),
                )
                for _line, ok, text, feedback, _kind in choices
            ]
        if plain:
            if question.qtype != PENDING:
                raise self.error(line, "an auto-graded question cannot also have a model answer line")
            question.qtype = MODEL_ANSWER
            question.model_answer = "\n\n".join(plain)
        return question

    def numeric(self, line: _Line, value: str):
        match = _NUMERIC.match(value.replace("−", "-").replace(" ", "").replace(",", ""))
        if not match:
            raise self.error(line, f"`수치 정답:` needs a number with an optional `± tolerance`, got “{value}”")
        try:
            number = Decimal(match.group("value"))
            tolerance = Decimal(match.group("tolerance") or "0")
        except InvalidOperation:
            raise self.error(line, f"not a number: {value}") from None
        if abs(number) >= Decimal("1e12") or tolerance < 0:
            raise self.error(line, f"number out of range: {value}")
        return Answer(value=number, tolerance=abs(tolerance), fraction=Decimal("1"))

    def answers(self, questions: list[Question], heading: _Line, lines: list[_Line]) -> None:
        items: list[tuple[_Line, int, list[str]]] = []
        for line in lines:
            match = _NUMBERED.match(line.text) if not line.fenced else None
            if match:
                items.append((line, int(match.group(1)), [match.group(2)]))
            elif items:
                items[-1][2].append(_strip_indent(line.text, 3))
            elif not line.blank:
                raise self.error(line, "expected a numbered answer (`1. …`)")
        if len(items) != len(questions):
            raise self.error(heading, f"{len(items)} answers for {len(questions)} questions: the counts must match")
        for question, (line, _number, answer_lines) in zip(questions, items, strict=True):
            if question.qtype != PENDING:
                raise self.error(
                    question.line, "question has answer items and also an answer in the `퀴즈 정답` section"
                )
            answer = _dedent("\n".join(answer_lines)).strip()
            if not answer:
                raise self.error(line, "empty answer")
            question.qtype = MODEL_ANSWER
            question.model_answer = answer

    # -- glossary

    def glossary(self, lines: list[_Line]) -> list[Term]:
        terms: list[Term] = []
        for line in lines:
            if line.blank:
                continue
            if line.indent >= 2 and terms and not _NUMBERED.match(line.text):
                terms[-1].definition += "\n" + line.text.strip()
                continue
            body = re.sub(r"^\s*(?:\d+[.)]|[-*+])\s*", "", line.text).strip()
            names, definition = _split_definition(body)
            if not names or not definition:
                raise self.error(line, "glossary entry must be `Name (Other name): definition`")
            name_ko, name_en, abbreviation, aliases = parse_term_names(names.replace("**", ""))
            for name in [name_ko, name_en, abbreviation, *aliases]:
                if len(name) > 200:
                    raise self.error(line, "term name longer than 200 characters")
            if len("; ".join(aliases)) > 500 or len(abbreviation) > 50:
                raise self.error(line, "term names too long")
            terms.append(Term(name_ko, name_en, abbreviation, aliases, definition, line.number))
        return terms


# --- helpers ------------------------------------------------------------------------


def _yaml_scalar(value: str):
    value = re.sub(r"\s+#.*$", "", value).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _method_step(title: str, lines: list[_Line]) -> MethodStep:
    """`**구조적 접근하기**` + its indented sub-list → title and Markdown details."""
    bold = re.match(r"^\*\*(.+?)\*\*\s*[:：]?\s*(.*)$", title)
    step_title = bold.group(1).strip() if bold else title.strip()
    extra = bold.group(2).strip() if bold else ""
    details = _dedent(_block(lines))
    return MethodStep(title=step_title[:200], body="\n".join(filter(None, [extra, details])))


def _block(lines: list[_Line]) -> str:
    text = "\n".join(line.text for line in lines)
    return text.strip("\n").rstrip()


def _dedent(text: str) -> str:
    lines = text.split("\n")
    indents = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
    cut = min(indents, default=0)
    return "\n".join(x[cut:] for x in lines)


def _dedent_tail(lines: list[str]) -> str:
    """First line as is; the continuation lines dedented together."""
    head, tail = lines[0], _dedent("\n".join(lines[1:])) if len(lines) > 1 else ""
    return "\n".join([head, tail]).strip() if tail else head.strip()


def _strip_indent(text: str, most: int) -> str:
    indent = len(text) - len(text.lstrip(" "))
    return text[min(indent, most) :]


def _split_definition(text: str) -> tuple[str, str]:
    """Split `names: definition` at the first colon outside parentheses."""
    depth = 0
    for i, char in enumerate(text):
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
        elif char in ":：" and depth == 0 and (i + 1 == len(text) or text[i + 1] == " "):
            return text[:i].strip(), text[i + 1 :].strip()
    return "", ""


def format_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
