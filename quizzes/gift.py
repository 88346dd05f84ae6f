"""GIFT, Moodle's question text format: parser → dataclasses, importer, exporter.

The parser follows Moodle's own (`question/format/gift/format.php`): questions
are separated by blank lines, `//` lines are comments, `\\` escapes `~ = # { }
:` and `\\n` is a newline; the shape of the `{…}` block decides the type.
Where Moodle would guess on a broken question, this parser stops and names the
line, and the importer writes nothing.

Types that have no counterpart here (matching, description) are reported as
skipped, with their line, never dropped silently.

Project extensions, kept in comments so that the file stays valid GIFT:
`// qtype: model` makes an essay a model-answer question, `// model_answer: …`
carries its model answer and `// points: 2` the question's points.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from quizzes.models import Answer, Question, Quiz

QT = Question.Type

# Escaped characters become private-use placeholders while parsing.
_ESCAPES = {":": "\ue010", "#": "\ue011", "=": "\ue012", "{": "\ue013", "}": "\ue014", "~": "\ue015", "n": "\ue016"}
_BACKSLASH = "\ue017"
_WEIGHT_RE = re.compile(r"^%(-?\d{1,3}(?:\.\d+)?)%")
_LOOKS_LIKE_WEIGHT_RE = re.compile(r"^%[^%\s]{0,12}%")
_META_RE = re.compile(r"^//\s*(qtype|model_answer|points)\s*:\s?(.*)$")
_FORMATS = {"html", "markdown", "plain", "moodle"}
_TRUE, _FALSE = {"T", "TRUE"}, {"F", "FALSE"}
_HUNDRED = Decimal(100)
_FRACTION_Q = Decimal("0.00001")


class GiftError(ValueError):
    """A malformed file; nothing was imported."""

    def __init__(self, line: int | None, message: str):
        self.line, self.message = line, message
        if line is None:
            super().__init__(message)
        else:
            super().__init__(_("GIFT %(line)d행: %(message)s") % {"line": line, "message": message})


@dataclass
class GiftAnswer:
    text: str = ""
    fraction: Decimal = Decimal(0)
    feedback: str = ""
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)


@dataclass
class GiftQuestion:
    line: int
    qtype: str
    text: str  # Markdown source (HTML kept as written; sanitized when rendered)
    name: str = ""
    general_feedback: str = ""
    answers: list[GiftAnswer] = field(default_factory=list)
    category: str = ""
    model_answer: str = ""
    points: Decimal | None = None


@dataclass
class GiftSkipped:
    line: int
    name: str
    reason: str


@dataclass
class GiftDocument:
    questions: list[GiftQuestion] = field(default_factory=list)
    skipped: list[GiftSkipped] = field(default_factory=list)


# ---------------------------------------------------------------- parsing


def _protect(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text


def _restore(text: str) -> str:
    for char, placeholder in _ESCAPES.items():
        text = text.replace(placeholder, "\n" if char == "n" else char)
    return text.replace(_BACKSLASH, "\\")


def _to_markdown(text: str, fmt: str) -> str:
    """Stored sources are Markdown: HTML passes through (and is sanitized on render), plain text is escaped."""
    if fmt == "plain":
        return re.sub(r"([\\`*_\[\]#!|])", r"\\\1", html.escape(text, quote=False))
    return text


def _with_format(raw: str, default: str) -> tuple[str, str]:
    """`[html]text` → ("html", text); an unknown `[word]` is text (as in Moodle)."""
    raw = raw.strip()
    fmt = default
    if raw.startswith("["):
        end = raw.find("]")
        if end > 0 and raw[1:end] in _FORMATS:
            fmt, raw = raw[1:end], raw[end + 1 :]
    return fmt, _restore(raw).strip()


def _formatted(raw: str, default: str) -> str:
    fmt, text = _with_format(raw, default)
    return _to_markdown(text, fmt)


def _split_feedback(raw: str, default: str) -> tuple[str, str]:
    """`answer # feedback` → (answer, feedback), both still in GIFT text form."""
    answer, _sep, feedback = raw.partition("#")
    return answer, _formatted(feedback, default) if _sep else ""


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if current:
                yield start, current
                current = []
        else:
            if not current:
                start = number
            current.append(line)
    if current:
        yield start, current


class _Block:
    """One question's text with a way to turn positions back into file lines."""

    def __init__(self, first_line: int, text: str):
        self.first_line = first_line
        self.text = text

    def line_at(self, position: int) -> int:
        return self.first_line + self.text[: max(0, position)].count("\n")


def _weight(answer: str, line: int) -> tuple[Decimal | None, str]:
    match = _WEIGHT_RE.match(answer)
    if match:
        weight = Decimal(match.group(1))
        if not -_HUNDRED <= weight <= _HUNDRED:
            raise GiftError(line, _("가중치 %(weight)s%%는 -100%%에서 100%% 사이여야 합니다.") % {"weight": weight})
        return (weight / _HUNDRED).quantize(_FRACTION_Q), answer[match.end() :]
    if _LOOKS_LIKE_WEIGHT_RE.match(answer):
        raise GiftError(line, _("가중치 %(text)s를 읽을 수 없습니다 (예: %%50%%).") % {"text": answer.split("%")[1]})
    return None, answer


def _number(text: str, line: int) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise GiftError(line, _("'%(text)s'는 숫자가 아닙니다.") % {"text": _restore(text.strip())})
    return value


def _split_answers(body: str, separators: str) -> list[tuple[int, str]]:
    """Split an answer block before each separator character, keeping it and the offset."""
    parts, start = [], 0
    for i, char in enumerate(body):
        if char in separators and i > start:
            parts.append((start, body[start:i]))
            start = i
    parts.append((start, body[start:]))
    return [(offset, part) for offset, part in parts if part.strip()]


def _parse_question(block: _Block, *, category: str, meta: dict, doc: GiftDocument) -> None:
    text = block.text
    name = ""
    offset = 0
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise GiftError(block.first_line, _("문항 제목이 '::'로 닫히지 않았습니다."))
        name = _restore(text[2:end]).strip()
        offset = end + 2
    start = text.find("{", offset)
    finish = text.find("}", offset)
    if start < 0 and finish < 0:
        doc.skipped.append(
            GiftSkipped(block.first_line, name, _("답 블록 {…}이 없는 설명(description) 문항은 지원하지 않습니다."))
        )
        return
    if start < 0 or finish < 0 or finish < start:
        position = finish if start < 0 or finish < start else start
        raise GiftError(block.line_at(position), _("답 블록의 '{' 또는 '}'가 빠졌습니다."))
    if "{" in text[start + 1 : finish]:
        raise GiftError(block.line_at(text.find("{", start + 1)), _("답 블록 안에 '{'가 또 있습니다 (\\{로 쓰세요)."))
    after = text[finish + 1 :]
    if "{" in after or "}" in after:
        stray = finish + 1 + min(i for i in (after.find("{"), after.find("}")) if i >= 0)
        raise GiftError(block.line_at(stray), _("한 문항에는 답 블록 {…}이 하나만 있어야 합니다."))

    answer_line = block.line_at(start)
    body = text[start + 1 : finish]
    if after.strip():
        question_raw = text[offset:start] + "_____" + after  # Moodle's missing-word format
    else:
        question_raw = text[offset:start]
    general_raw = ""
    separator = body.rfind("####")
    if separator >= 0:
        general_raw, body = body[separator + 4 :], body[:separator]
    body_offset = start + 1 + (len(body) - len(body.lstrip()))
    body = body.strip()

    fmt, question_text = _with_format(question_raw, "moodle")
    question = GiftQuestion(
        line=block.first_line,
        qtype="",
        text=_to_markdown(question_text, fmt),
        name=name,
        general_feedback=_formatted(general_raw, fmt),
        category=category,
        model_answer=meta.get("model_answer", ""),
        points=meta.get("points"),
    )
    if not question.text:
        raise GiftError(block.first_line, _("문항 내용이 비어 있습니다."))

    def line_of(relative: int) -> int:
        return block.line_at(body_offset + relative)

    if body == "":
        question.qtype = QT.MODEL_ANSWER if meta.get("qtype") == "model" else QT.ESSAY
    elif body.startswith("#"):
        question.qtype = QT.NUMERICAL
        question.answers = _numerical_answers(body[1:], fmt, line_of)
    elif "~" in body:
        question.qtype = QT.SINGLE if "=" in body else QT.MULTIPLE
        question.answers = _choice_answers(body, fmt, line_of)
        if len(question.answers) < 2:
            raise GiftError(answer_line, _("선택형 문항에는 선택지가 두 개 이상 있어야 합니다."))
    elif "=" in body and "->" in body:
        doc.skipped.append(
            GiftSkipped(block.first_line, name, _("짝짓기(matching) 문항은 지원하지 않아 건너뛰었습니다."))
        )
        return
    elif body.partition("#")[0].strip().upper() in _TRUE | _FALSE:
        question.qtype = QT.TRUE_FALSE
        question.answers = _true_false_answers(body, fmt)
    else:
        question.qtype = QT.SHORT
        question.answers = _short_answers(body, fmt, line_of)
    doc.questions.append(question)


def _choice_answers(body: str, fmt: str, line_of) -> list[GiftAnswer]:
    answers = []
    for relative, raw in _split_answers(body, "~="):
        line = line_of(relative)
        # Like Moodle, text before the first marker is a wrong choice.
        marker, rest = (raw[0], raw[1:].strip()) if raw[0] in "~=" else ("~", raw.strip())
        weight, rest = _weight(rest, line)
        if weight is None:
            weight = Decimal(1) if marker == "=" else Decimal(0)
        choice, feedback = _split_feedback(rest, fmt)
        choice_text = _formatted(choice, fmt)
        if not choice_text:
            raise GiftError(line, _("비어 있는 선택지가 있습니다."))
        answers.append(GiftAnswer(text=choice_text, fraction=weight, feedback=feedback))
    return answers


def _true_false_answers(body: str, fmt: str) -> list[GiftAnswer]:
    parts = body.split("#", 2)
    truth = parts[0].strip().upper() in _TRUE
    wrong = _formatted(parts[1], fmt) if len(parts) > 1 else ""
    right = _formatted(parts[2], fmt) if len(parts) > 2 else ""
    return [
        GiftAnswer(text="참", value=Decimal(1), fraction=Decimal(truth), feedback=right if truth else wrong),
        GiftAnswer(text="거짓", value=Decimal(0), fraction=Decimal(not truth), feedback=wrong if truth else right),
    ]


def _short_answers(body: str, fmt: str, line_of) -> list[GiftAnswer]:
    answers = []
    for relative, raw in _split_answers(body, "="):
        line = line_of(relative)
        weight, rest = _weight(raw.removeprefix("=").strip(), line)
        accepted, feedback = _split_feedback(rest, fmt)
        accepted = _restore(accepted).strip()
        if not accepted:
            raise GiftError(line, _("비어 있는 정답이 있습니다."))
        answers.append(GiftAnswer(text=accepted, fraction=Decimal(1) if weight is None else weight, feedback=feedback))
    return answers


def _numerical_answers(body: str, fmt: str, line_of) -> list[GiftAnswer]:
    wrong_feedback = None
    tilde = body.find("~")
    if tilde >= 0:
        wrong_feedback = _split_feedback(body[tilde + 1 :], fmt)[1]
        body = body[:tilde]
    answers = []
    for relative, raw in _split_answers(body, "="):
        line = line_of(relative + 1)
        raw = raw[1:] if raw.startswith("=") else raw
        weight, rest = _weight(raw.strip(), line)
        number, feedback = _split_feedback(rest, fmt)
        number = number.strip().replace(_ESCAPES[":"], ":")
        if number == "*":
            answers.append(GiftAnswer(text="*", fraction=weight or Decimal(0), feedback=feedback))
            continue
        if ".." in number[1:]:
            low, high = number.split("..", 1)
            low, high = _number(low, line), _number(high, line)
            value, tolerance = (low + high) / 2, abs(high - low) / 2
        elif ":" in number[1:]:
            value_text, tolerance_text = number.split(":", 1)
            value, tolerance = _number(value_text, line), abs(_number(tolerance_text, line))
        else:
            value, tolerance = _number(number, line), Decimal(0)
        answers.append(
            GiftAnswer(
                value=value,
                tolerance=tolerance,
                fraction=Decimal(1) if weight is None else weight,
                feedback=feedback,
            )
        )
    if not answers:
        raise GiftError(line_of(0), _("수치형 문항에 정답 숫자가 없습니다."))
    if wrong_feedback is not None:
        answers.append(GiftAnswer(text="*", fraction=Decimal(0), feedback=wrong_feedback))
    return answers


def parse_gift(text: str) -> GiftDocument:
    """Read a whole GIFT file. Raises GiftError naming the line of the first problem."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    doc = GiftDocument()
    category = ""
    for first_line, lines in _blocks(text):
        meta: dict = {}
        content: list[str] = []
        start_line = None
        for number, raw in enumerate(lines, start=first_line):
            line = raw.strip()
            if line.startswith("//"):
                match = _META_RE.match(line)
                if match:
                    key, value = match.group(1), match.group(2).strip()
                    if key == "points":
                        try:
                            meta[key] = Decimal(value)
                        except InvalidOperation:
                            raise GiftError(
                                number, _("points 값 '%(value)s'는 숫자가 아닙니다.") % {"value": value}
                            ) from None
                    elif key == "model_answer":
                        meta[key] = _restore(_protect(value))
                    else:
                        meta[key] = value.lower()
                line = ""
            if line and start_line is None:
                start_line = number
            if start_line is not None:
                content.append(line)
        if start_line is None:
            continue  # only comments
        body = _protect("\n".join(content).rstrip())
        if body.startswith("$CATEGORY:"):
            first, _newline, rest = body.partition("\n")
            category = _restore(first[len("$CATEGORY:") :]).strip()
            leading = len(rest) - len(rest.lstrip())
            rest_line = start_line + 1 + rest[:leading].count("\n")
            body = rest.strip()
            start_line = rest_line
            if not body:
                continue
        _parse_question(_Block(start_line, body), category=category, meta=meta, doc=doc)
    return doc


# ---------------------------------------------------------------- importing


@dataclass
class ImportResult:
    created: list[Question]
    skipped: list[GiftSkipped]


def import_gift(*, quiz: Quiz, text: str, replace: bool = False) -> ImportResult:
    """Parse, then write every question in one transaction (all or nothing).

    `replace` deletes the quiz's questions first; refused once anyone has
    attempted the quiz, since their answers would go with them.
    """
    document = parse_gift(text)
    with transaction.atomic():
        if replace:
            if quiz.attempts.exists():
                raise GiftError(
                    None, _("이미 응시 기록이 있는 퀴즈의 문항은 바꿔 넣을 수 없습니다. 새 문항으로 추가하세요.")
                )
            quiz.questions.all().delete()
        next_order = (quiz.questions.aggregate(m=Max("order"))["m"] or 0) + 1
        created, answers = [], []
        for offset, parsed in enumerate(document.questions):
            question = Question(
                quiz=quiz,
                order=next_order + offset,
                qtype=parsed.qtype,
                name=parsed.name[:200],
                text=parsed.text,
                general_feedback=parsed.general_feedback,
                model_answer=parsed.model_answer,
                category=parsed.category[:255],
            )
            if parsed.points is not None:
                question.points = parsed.points
            question.save()
            created.append(question)
            for order, item in enumerate(parsed.answers, start=1):
                answer = Answer(
                    question=question,
                    order=order,
                    text=item.text,
                    fraction=item.fraction,
                    feedback=item.feedback,
                    value=item.value,
                    tolerance=item.tolerance,
                )
                answer.render_markdown_fields()
                answers.append(answer)
        Answer.objects.bulk_create(answers)
    return ImportResult(created=created, skipped=document.skipped)


# ---------------------------------------------------------------- exporting


def escape_gift(text: str) -> str:
    """Moodle's `repchar`: escape the reserved characters, newlines as `\\n`."""
    text = text.replace("\\", "\\\\")
    for char in "#=~{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _percent(fraction: Decimal) -> str:
    return _number_text(fraction * _HUNDRED)


def _feedback(answer: Answer) -> str:
    return "#" + escape_gift(answer.feedback) if answer.feedback else ""


def _truth_of(answer: Answer) -> bool:
    if answer.value is not None:
        return answer.value == 1
    return answer.text.strip().casefold() in {"참", "true", "t", "o", "예", "맞음"}


def _export_question(question: Question) -> str:
    answers = list(question.answers.all())
    lines = [f"// question: {question.pk}  name: {question.name}".rstrip()]
    if question.qtype == QT.MODEL_ANSWER:
        lines.append("// qtype: model")
    if question.model_answer and question.qtype in (QT.MODEL_ANSWER, QT.ESSAY):
        lines.append("// model_answer: " + escape_gift(question.model_answer))
    if question.points != 1:
        lines.append(f"// points: {_number_text(question.points)}")
    head = (f"::{escape_gift(question.name)}::" if question.name else "") + "[markdown]" + escape_gift(question.text)
    general = "####" + escape_gift(question.general_feedback) if question.general_feedback else ""

    qtype = question.qtype
    if qtype in (QT.ESSAY, QT.MODEL_ANSWER):
        lines.append(head + "{" + general + "}")
    elif qtype == QT.TRUE_FALSE:
        true_answer = next((a for a in answers if _truth_of(a)), None)
        false_answer = next((a for a in answers if a is not true_answer), None)
        truth = true_answer is not None and true_answer.fraction >= 1
        right, wrong = (true_answer, false_answer) if truth else (false_answer, true_answer)
        right_fb = escape_gift(right.feedback) if right else ""
        wrong_fb = escape_gift(wrong.feedback) if wrong else ""
        block = "TRUE" if truth else "FALSE"
        if wrong_fb or right_fb:
            block += "#" + wrong_fb
        if right_fb:
            block += "#" + right_fb
        lines.append(head + "{" + block + general + "}")
    else:
        lines.append(head + ("{#" if qtype == QT.NUMERICAL else "{"))
        catch_all = []
        for answer in answers:
            if qtype == QT.SINGLE and answer.fraction == 1:
                mark = "="
            elif qtype in (QT.SINGLE, QT.MULTIPLE):
                mark = "~" if answer.fraction == 0 else f"~%{_percent(answer.fraction)}%"
            elif qtype == QT.SHORT:
                mark = f"=%{_percent(answer.fraction)}%"
            elif answer.value is None:  # numerical catch-all: Moodle's `~#feedback`, always last
                catch_all.append("\t~" + (_feedback(answer) or "#"))
                continue
            else:
                mark = f"=%{_percent(answer.fraction)}%"
            if qtype == QT.NUMERICAL:
                body = f"{_number_text(answer.value)}:{_number_text(answer.tolerance)}"
            else:
                body = escape_gift(answer.text)
            lines.append("\t" + mark + body + _feedback(answer))
        lines.extend(catch_all)
        if general:
            lines.append("\t" + general)
        lines.append("}")
    return "\n".join(lines)


def export_gift(*, quiz: Quiz) -> str:
    """The quiz's questions as a GIFT file that Moodle (and `import_gift`) reads back."""
    questions = quiz.questions.prefetch_related("answers").order_by("order", "pk")
    blocks = [f"// {escape_gift(quiz.title)} ({quiz.slug})"]
    category = ""
    for question in questions:
        if question.category and question.category != category:
            category = question.category
            blocks.append(f"$CATEGORY: {category}")
        blocks.append(_export_question(question))
    return "\n\n".join(blocks) + "\n"
