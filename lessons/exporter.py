"""Papers, quizzes and terms → a lesson document (docs/lesson-format.md).

Importing the output into an empty database gives back the same categories,
papers, questions, answers and terms. Quizzes are written in the inline layout
(answers indented under each question) whatever layout they came from.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch

from core.text import normalize_title
from glossary.models import Term
from lessons.parser import FALSE_WORDS, TRUE_WORDS, format_number, has_hangul, is_abbreviation
from papers.models import Category, Lesson, Paper
from quizzes.models import Answer, Question, Quiz

DEFAULT_FRONT_MATTER = {"categories": ["AI Research Papers"]}


def export_document(*, papers: Iterable[Paper] | None = None) -> str:
    """The whole catalog (with the reading method as section 1), or only `papers`."""
    everything = papers is None
    queryset = (
        Paper.objects.select_related("category", "lesson")
        .prefetch_related("prerequisites", "checklist_steps")
        .order_by("category__order", "category__pk", "order", "pk")
    )
    if not everything:
        queryset = queryset.filter(pk__in=[p.pk for p in papers])
    papers = list(queryset)
    method = Lesson.objects.filter(is_reading_method=True).prefetch_related("steps").first()
    lessons = {p.lesson_id for p in papers}
    if everything:
        lesson = method
    elif len(lessons) == 1 and papers[0].lesson is not None:
        lesson = papers[0].lesson
    else:
        lesson = None
    title = lesson.title if lesson else (papers[0].title if len(papers) == 1 else "논문 읽기 레슨")

    out: list[str] = [front_matter(lesson.front_matter if lesson else DEFAULT_FRONT_MATTER, title=title)]
    number = 0
    if lesson is not None and lesson.intro.strip() and (everything or not lesson.is_reading_method):
        number += 1
        out.append(f"## {number}. {lesson.intro_heading or lesson.title}\n{lesson.intro.strip()}\n")
    if papers:
        number += 1
        out.append(catalog(papers, number=number))
    method_titles = {normalize_title(step.title) for step in method.steps.all()} if method else set()
    quizzes = _quizzes(papers)
    terms: dict[int, list[Term]] = {}
    links = Term.papers.through.objects.filter(paper__in=papers).select_related("term").order_by("pk")
    for link in links:
        terms.setdefault(link.paper_id, []).append(link.term)
    for paper in papers:
        number += 1
        out.append(
            paper_section(
                paper,
                number=number,
                quiz=quizzes.get(paper.pk),
                terms=terms.get(paper.pk, []),
                method_titles=method_titles,
            )
        )
    return "\n".join(out).rstrip() + "\n"


def _quizzes(papers: list[Paper]) -> dict[int, Quiz]:
    """Each paper's lesson quiz (slug = paper slug, else titled '<title> 퀴즈'), with questions and answers."""
    questions = Prefetch(
        "questions",
        queryset=Question.objects.order_by("order", "pk").prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("order", "pk"))
        ),
    )
    found: dict[int, Quiz] = {}
    slugs = {p.pk: p.slug for p in papers}
    titles = {p.pk: f"{p.title} 퀴즈" for p in papers}
    for quiz in Quiz.objects.filter(paper__in=papers).prefetch_related(questions).order_by("pk"):
        if quiz.slug == slugs[quiz.paper_id]:
            found[quiz.paper_id] = quiz
        elif quiz.title == titles[quiz.paper_id]:
            found.setdefault(quiz.paper_id, quiz)
    return found


def front_matter(data: dict, *, title: str) -> str:
    data = {"title": title, **{k: v for k, v in (data or {}).items() if k != "title"}}
    lines = ["---"]
    for key, value in data.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  - {item}" for item in value]
        else:
            lines.append(f"{key}: {value}")
    lines.append("---\n")
    return "\n".join(lines)


def category_heading(category: Category) -> str:
    ko, en = category.name_ko, category.name_en
    if not en or en == ko or ko.endswith(f"({en})"):
        return ko
    return f"{ko} ({en})"


def citation(paper: Paper) -> str:
    if not paper.year:
        return ""
    return f" ({', '.join(str(part) for part in [paper.year, paper.authors] if part)})"


def catalog(papers: list[Paper], *, number: int) -> str:
    lines = [f"## {number}. 읽을 만한 논문"]
    category = None
    for index, paper in enumerate(papers):
        if paper.category_id != getattr(category, "pk", None):
            category = paper.category
            position = category.order or len({p.category_id for p in papers[:index]}) + 1
            lines.append(f"### {number}.{position} {category_heading(category)}")
        lines.append(f'- **"{paper.title}"{citation(paper)}**')
        if paper.summary:
            lines.append(f"  - {_one_line(paper.summary)}")
    return "\n".join(lines) + "\n"


def paper_section(paper: Paper, *, number: int, quiz: Quiz | None, terms: list[Term], method_titles: set[str]) -> str:
    lines = [f"## {number}. **{paper.title}{citation(paper)}**", ""]
    meta = []
    if paper.paper_url:
        meta.append(f"- [{paper.title}]({paper.paper_url})")
    for label, value in [
        ("저자", paper.authors),
        ("학회", paper.venue),
        ("arXiv", paper.arxiv_id),
        ("DOI", paper.doi),
        ("코드", paper.code_url),
    ]:
        if value:
            meta.append(f"- {label}: {_one_line(value)}")
    prerequisites = sorted(paper.prerequisites.all(), key=lambda p: p.pk)
    if prerequisites:
        meta.append(f"- 선수 논문: {'; '.join(p.title for p in prerequisites)}")
    if meta:
        lines += meta + [""]
    sub = 0

    def heading(name: str) -> None:
        nonlocal sub
        sub += 1
        lines.append(f"### {number}.{sub} {name}")

    if paper.guide.strip():
        heading("읽기 가이드")
        lines += ["", paper.guide.strip(), ""]
    hints = [step for step in paper.checklist_steps.all() if normalize_title(step.title) not in method_titles]
    if hints:
        heading("읽기 체크리스트")
        lines += [
            f"- {_one_line(step.body if step.title.endswith('…') and step.body else step.title)}" for step in hints
        ]
        lines.append("")
    questions = list(quiz.questions.all()) if quiz else []
    quiz_questions = [q for q in questions if q.qtype != Question.Type.ESSAY]
    essays = [q for q in questions if q.qtype == Question.Type.ESSAY]
    if quiz_questions:
        heading("퀴즈")
        lines.append("")
        for n, question in enumerate(quiz_questions, start=1):
            lines += question_lines(question, n) + [""]
    if essays:
        heading("에세이 형식 질문")
        lines.append("")
        for n, question in enumerate(essays, start=1):
            lines += question_lines(question, n) + [""]
    if terms:
        heading("용어집")
        lines.append("")
        for n, term in enumerate(terms, start=1):
            definition = [line.strip() for line in term.definition.strip().split("\n") if line.strip()]
            lines.append(f"{n}. {term_names(term)}: {definition[0] if definition else ''}")
            lines += [f"   {line}" for line in definition[1:]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _item(text: str, *, indent: int = 3) -> list[str]:
    first, *rest = text.strip().split("\n")
    pad = " " * (indent + 2)
    return [f"{' ' * indent}- {first}"] + [f"{pad}{line}" if line.strip() else "" for line in rest]


def question_lines(question: Question, number: int) -> list[str]:
    first, *rest = question.text.strip().split("\n")
    lines = [f"{number}. {first}"] + [f"   {line}" if line.strip() else "" for line in rest]
    answers = list(question.answers.all())
    qtype = question.qtype
    if qtype in (Question.Type.SINGLE, Question.Type.MULTIPLE):
        for answer in answers:
            right = answer.fraction > 0
            mark = ("(x)" if right else "( )") if qtype == Question.Type.SINGLE else ("[x]" if right else "[ ]")
            feedback = f" // {_one_line(answer.feedback)}" if answer.feedback.strip() else ""
            lines.append(f"   - {mark} {_one_line(answer.text)}{feedback}")
    elif qtype == Question.Type.TRUE_FALSE:
        right = next((a for a in answers if a.fraction > 0), None)
        is_true = right is not None and right.text.strip().casefold() in TRUE_WORDS
        if right is not None and right.text.strip().casefold() not in TRUE_WORDS | FALSE_WORDS:
            is_true = answers.index(right) == 0
        lines.append(f"   - 정답: {'참' if is_true else '거짓'}")
    elif qtype == Question.Type.SHORT:
        accepted = [_one_line(a.text) for a in answers if a.fraction > 0 and a.text.strip()]
        lines.append(f"   - 정답: {' | '.join(accepted)}")
    elif qtype == Question.Type.NUMERICAL:
        answer = next((a for a in answers if a.fraction > 0 and a.value is not None), None)
        if answer is not None:
            tolerance = f" ± {format_number(answer.tolerance)}" if answer.tolerance else ""
            lines.append(f"   - 수치 정답: {format_number(answer.value)}{tolerance}")
    if question.model_answer.strip():
        lines += _item(question.model_answer)
    if question.general_feedback.strip():
        lines += _item(f"해설: {question.general_feedback.strip()}")
    return lines


def term_names(term) -> str:
    """The names part of a glossary line, in a shape the parser reads back into the same fields."""
    ko, en, abbreviation = term.name_ko, term.name_en, term.abbreviation
    aliases = [a.strip() for a in term.aliases.split(";") if a.strip()]
    later: list[str] = []
    if ko and en:
        first = f"{ko} ({en})"
        if abbreviation:
            later.append(abbreviation)
    elif abbreviation and (en or ko):
        first = f"{en or ko} ({abbreviation})"
    else:
        first = ko or en or abbreviation
        if en and not ko and aliases and not has_hangul(aliases[0]) and not is_abbreviation(aliases[0]):
            first = f"{en} ({aliases.pop(0)})"
    i = 0
    while i < len(aliases):
        alias = aliases[i]
        following = aliases[i + 1] if i + 1 < len(aliases) else ""
        if has_hangul(alias) and following and not has_hangul(following) and not is_abbreviation(following):
            later.append(f"{alias} ({following})")
            i += 2
        else:
            later.append(alias)
            i += 1
    return " 또는 ".join([first, *later])
