"""A large, realistic, deterministic data set for load tests, built with bulk inserts.

Everything `save()` would derive is filled here too (rendered `*_html` through
`core.markdown.render_markdown`, once per distinct text, with glossary
auto-linking; `Paper.normalized_title`; glossary `TermName` rows, `summary`,
`initial`, `sort_name`; attempt scores through `quizzes.grading`; stored
progress through `progress.tracking.rebuild_paper_progress`).

Every generated row is recognisable (usernames start with `load-learner-`,
slugs with `load-`), so `delete_generated()` can take it all out again.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import fsrs
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone

from core.markdown import render_markdown
from core.text import nfkc, normalize_name, normalize_title
from glossary import linking
from glossary.models import Card, ReviewLog, Term, TermName, initial_of, plain_summary
from papers.models import Category, ChecklistStep, Paper, StepProgress
from quizzes import grading
from quizzes.models import Answer, Attempt, Question, Quiz, Response

PREFIX = "load-"
LEARNER_PREFIX = "load-learner-"
# Every generated learner signs in with this password (the benchmark logs in with it).
LEARNER_PASSWORD = "load-learner-password"  # noqa: S105
BATCH = 2000

User = get_user_model()

# --------------------------------------------------------------------------- vocabulary

CATEGORIES = [
    ("load-foundations", "신경망 기초", "Neural network foundations"),
    ("load-vision", "컴퓨터 비전", "Computer vision"),
    ("load-language", "자연어 처리", "Natural language processing"),
    ("load-generative", "생성 모델", "Generative models"),
    ("load-rl", "강화 학습", "Reinforcement learning"),
    ("load-optimization", "최적화", "Optimization"),
    ("load-theory", "학습 이론", "Learning theory"),
    ("load-systems", "시스템과 효율", "Systems and efficiency"),
]

# (English, Korean) modifiers and heads: every (modifier, head, domain) triple is a distinct term name.
MODIFIERS = [
    ("Sparse", "희소"), ("Residual", "잔차"), ("Deep", "심층"), ("Recurrent", "순환"),
    ("Convolutional", "합성곱"), ("Generative", "생성적"), ("Adversarial", "적대적"),
    ("Variational", "변분"), ("Stochastic", "확률적"), ("Latent", "잠재"), ("Masked", "마스크드"),
    ("Causal", "인과"), ("Contrastive", "대조"), ("Hierarchical", "계층적"), ("Gated", "게이트"),
    ("Dilated", "팽창"), ("Bayesian", "베이즈"), ("Dynamic", "동적"), ("Adaptive", "적응형"),
    ("Recursive", "재귀"), ("Probabilistic", "확률론적"), ("Discrete", "이산"), ("Continuous", "연속"),
    ("Local", "국소"), ("Global", "전역"), ("Linear", "선형"), ("Nonlinear", "비선형"),
    ("Orthogonal", "직교"), ("Shared", "공유"), ("Multiscale", "다중 스케일"),
]  # fmt: skip
HEADS = [
    ("Attention", "어텐션"), ("Encoder", "인코더"), ("Decoder", "디코더"), ("Embedding", "임베딩"),
    ("Normalization", "정규화"), ("Regularization", "규제"), ("Pooling", "풀링"), ("Sampling", "샘플링"),
    ("Inference", "추론"), ("Optimizer", "옵티마이저"), ("Gradient", "그래디언트"), ("Kernel", "커널"),
    ("Autoencoder", "오토인코더"), ("Policy", "정책"), ("Value Function", "가치 함수"), ("Tree Search", "트리 탐색"),
    ("Diffusion", "확산"), ("Tokenizer", "토크나이저"), ("Loss", "손실"), ("Dropout", "드롭아웃"),
    ("Activation", "활성화"), ("Memory", "메모리"), ("Classifier", "분류기"), ("Estimator", "추정기"),
    ("Distillation", "증류"), ("Augmentation", "증강"), ("Quantization", "양자화"), ("Pruning", "가지치기"),
    ("Retrieval", "검색"), ("Alignment", "정렬"), ("Scheduler", "스케줄러"), ("Objective", "목적 함수"),
    ("Representation", "표현"), ("Prior", "사전 분포"), ("Posterior", "사후 분포"), ("Critic", "비평가"),
    ("Gating", "게이팅"), ("Projection", "사영"), ("Convolution", "컨볼루션"), ("Mixture", "혼합"),
]  # fmt: skip
DOMAINS = [
    ("", ""), ("Vision", "비전"), ("Language", "언어"), ("Speech", "음성"), ("Graph", "그래프"),
    ("Temporal", "시간"), ("Spectral", "스펙트럼"), ("Cross-modal", "교차 모달"),
]  # fmt: skip
TASKS = [
    "Image Classification", "Machine Translation", "Speech Recognition", "Question Answering",
    "Object Detection", "Language Modeling", "Game Playing", "Image Synthesis", "Graph Learning",
    "Representation Learning", "Semantic Segmentation", "Program Synthesis",
]  # fmt: skip
VENUES = ["NeurIPS", "ICML", "ICLR", "CVPR", "ACL", "EMNLP", "AAAI", "Nature", "JMLR", "ECCV"]
SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황"]
GIVEN = ["민준", "서연", "도윤", "하은", "시우", "지우", "예준", "수아", "주원", "지호", "하린", "은우", "유나", "건우"]
AUTHORS = [
    "Hinton", "LeCun", "Bengio", "Sutskever", "Krizhevsky", "Simonyan", "Zisserman", "He", "Zhang", "Ren",
    "Sun", "Vaswani", "Shazeer", "Parmar", "Devlin", "Chang", "Lee", "Toutanova", "Mnih", "Silver",
    "Goodfellow", "Kingma", "Welling", "Zoph", "Le", "Dhariwal", "Nichol", "Ho", "Jain", "Abbeel",
]  # fmt: skip
STEP_TITLES = [
    ("구조적 접근하기", "제목, 초록, 결론을 먼저 읽고 **무엇을 주장하는지** 한 문장으로 적어 보세요."),
    ("그림과 표 먼저 보기", "Figure 1과 주요 표를 보고 실험 설정을 짐작해 보세요."),
    ("핵심 수식 따라가기", "손실 함수와 업데이트 규칙을 직접 유도해 보세요: $$\\nabla_\\theta L$$"),
    ("관련 연구와 비교하기", "이전 방법과 무엇이 다른지 표로 정리하세요."),
    ("실험 재현 계획 세우기", "데이터셋, 하이퍼파라미터, 평가 지표를 적어 두세요."),
    ("한계 찾아보기", "저자가 말하지 않은 약점을 두 가지 찾아보세요."),
    ("한 단락으로 요약하기", "다른 사람에게 설명하듯 요약을 써 보세요."),
]
ACTIVITY_KINDS = ["reading", "quiz_started", "quiz_submitted", "flashcards"]


@dataclass
class Sizes:
    learners: int
    papers: int
    terms: int
    attempts: int
    cards_per_learner: int = 20
    papers_read_per_learner: int = 3
    activities_per_learner: int = 4
    questions_per_quiz: int = 8


@dataclass
class Generated:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _Renderer:
    """`render_markdown` once per distinct (text, context)."""

    def __init__(self):
        self.cache: dict[tuple, str] = {}

    def __call__(self, text: str, **context) -> str:
        key = (text, tuple(sorted(context.items())))
        if key not in self.cache:
            self.cache[key] = render_markdown(text, **context)
        return self.cache[key]


def _bulk(model, rows: list, *, batch_size: int = BATCH) -> list:
    return model.objects.bulk_create(rows, batch_size=batch_size)


def insert_rows(model, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert rows given as tuples of `columns` (attnames) without building model instances.

    PostgreSQL gets a COPY (several times faster than INSERT for the hundreds
    of thousands of responses); other databases get bulk_create. Fields left
    out take their model default (auto_now fields: now).
    """
    if connection.vendor != "postgresql":
        rows = [dict(zip(columns, row, strict=True)) for row in rows]
        objs = _bulk(model, [model(**row) for row in rows], batch_size=500)
        # bulk_create overwrites auto_now(_add) fields with now: put the given values back.
        stamped = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname in columns and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        ]
        if stamped:
            _update_grouped(
                model, ((obj.pk, {name: row[name] for name in stamped}) for obj, row in zip(objs, rows, strict=True))
            )
        return len(objs)
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    now = timezone.now()
    extra = [f for name, f in fields.items() if name not in columns]
    defaults = tuple(
        now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in extra
    )
    names = [*columns, *(f.attname for f in extra)]
    json_at = [i for i, name in enumerate(names) if isinstance(fields[name], JSONField)]
    quoted = ", ".join(connection.ops.quote_name(fields[name].column) for name in names)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            values = [*row, *defaults]
            for i in json_at:
                values[i] = json.dumps(values[i])
            copy.write_row(values)
            count += 1
    return count


def _update_grouped(model, rows: Iterable[tuple[int, dict]]) -> None:
    """Set fields row by row where many rows share the same values: one UPDATE per distinct set."""
    groups: dict[tuple, list[int]] = {}
    for pk, values in rows:
        groups.setdefault(tuple(sorted(values.items())), []).append(pk)
    for values, pks in groups.items():
        for start in range(0, len(pks), 5000):
            model.objects.filter(pk__in=pks[start : start + 5000]).update(**dict(values))


# --------------------------------------------------------------------------- generation


def generate(
    *,
    sizes: Sizes,
    seed: int = 0,
    now: datetime | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> Generated:
    """Insert the data set (in one transaction) and return what was made."""
    rng = random.Random(seed)
    now = now or timezone.now()
    result = Generated()
    render = _Renderer()

    def step(name: str, started: float, count: int | None = None) -> None:
        elapsed = time.perf_counter() - started
        result.seconds[name] = round(elapsed, 2)
        if count is not None:
            result.counts[name] = count
        log(f"  {name}: {count if count is not None else ''} in {elapsed:.1f}s")

    with transaction.atomic():
        t = time.perf_counter()
        learners = _make_learners(rng, sizes.learners, now)
        step("learners", t, len(learners))

        t = time.perf_counter()
        categories = _make_categories()
        papers = _make_papers(rng, sizes.papers, categories, now)
        step("papers", t, len(papers))

        t = time.perf_counter()
        terms, names = _make_terms(rng, sizes.terms, papers)
        step("terms", t, len(terms))
        result.counts["term_names"] = names

        # All content is rendered against one index of the (now complete) glossary.
        with linking.pinned_index():
            t = time.perf_counter()
            _render_terms(rng, terms, render)
            step("term_definitions", t)

            t = time.perf_counter()
            _render_papers(rng, papers, terms, render)
            steps = _make_steps(papers, render)
            step("checklist_steps", t, len(steps))

            t = time.perf_counter()
            quizzes, questions, answers = _make_quizzes(rng, papers, terms, render, sizes.questions_per_quiz)
            step("quizzes", t, len(quizzes))
            result.counts["questions"] = len(questions)
            result.counts["answers"] = len(answers)

        t = time.perf_counter()
        attempts, responses = _make_attempts(rng, sizes.attempts, learners, quizzes, now)
        step("attempts", t, attempts)
        result.counts["responses"] = responses

        t = time.perf_counter()
        ticks = _make_step_progress(rng, learners, papers, sizes.papers_read_per_learner)
        step("step_progress", t, ticks)

        t = time.perf_counter()
        cards, reviews = _make_cards(rng, learners, terms, sizes.cards_per_learner, now)
        step("cards", t, cards)
        result.counts["reviews"] = reviews

        t = time.perf_counter()
        activities = _make_activities(rng, learners, papers, sizes.activities_per_learner, now)
        step("activities", t, activities)

        t = time.perf_counter()
        progress = _rebuild_progress(papers)
        step("paper_progress", t, progress)
    return result


def _make_learners(rng: random.Random, n: int, now: datetime) -> list:
    password = make_password(LEARNER_PASSWORD)  # one hash for everybody: hashing is the slow part
    rows = []
    for i in range(1, n + 1):
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        rows.append(
            User(
                username=f"{LEARNER_PREFIX}{i:05d}",
                email=f"learner{i:05d}@load.example",
                first_name=given,
                last_name=surname,
                password=password,
                date_joined=now - timedelta(days=rng.randint(1, 400)),
            )
        )
    return _bulk(User, rows)


def _make_categories() -> list[Category]:
    existing = {c.slug: c for c in Category.objects.filter(slug__startswith=PREFIX)}
    rows = [
        Category(slug=slug, name_ko=ko, name_en=en, order=100 + i)
        for i, (slug, ko, en) in enumerate(CATEGORIES)
        if slug not in existing
    ]
    _bulk(Category, rows)
    return list(Category.objects.filter(slug__in=[c[0] for c in CATEGORIES]).order_by("order"))


def _make_papers(rng: random.Random, n: int, categories: list[Category], now: datetime) -> list[Paper]:
    taken = set(Paper.objects.values_list("normalized_title", flat=True))
    rows = []
    per_category: dict[int, int] = {}
    for i in range(1, n + 1):
        modifier, head, _domain = rng.choice(MODIFIERS), rng.choice(HEADS), rng.choice(DOMAINS)
        task = rng.choice(TASKS)
        title = f"{modifier[0]} {head[0]} Networks for {task}"
        suffix = 2
        while normalize_title(title) in taken:
            title = f"{modifier[0]} {head[0]} Networks for {task} {suffix}"
            suffix += 1
        taken.add(normalize_title(title))
        category = categories[rng.randrange(len(categories))]
        per_category[category.pk] = per_category.get(category.pk, 0) + 1
        year = rng.randint(1986, 2024)
        authors = ", ".join(rng.sample(AUTHORS, rng.randint(2, 5)))
        arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{rng.randint(10000, 99999)}" if year >= 2007 else ""
        rows.append(
            Paper(
                title=title,
                slug=f"{PREFIX}paper-{i:05d}",
                normalized_title=normalize_title(title),
                authors=authors,
                year=year,
                venue=f"{rng.choice(VENUES)} {year}",
                category=category,
                summary=f"{modifier[1]} {head[1]}로 {task} 문제를 푸는 방법을 제안한 논문.",
                keywords=f"{modifier[1]} {head[1]}; {modifier[0]} {head[0]}",
                paper_url=f"https://arxiv.org/abs/{arxiv}" if arxiv else "",
                doi=f"10.{rng.randint(1000, 9999)}/load.{i}" if rng.random() < 0.3 else "",
                arxiv_id=arxiv,
                code_url=f"https://github.com/example/load-{i}" if rng.random() < 0.4 else "",
                status=Paper.Status.DRAFT if rng.random() < 0.05 else Paper.Status.PUBLISHED,
                order=per_category[category.pk],
            )
        )
    papers = _bulk(Paper, rows)
    through = Paper.prerequisites.through
    links = []
    for i, paper in enumerate(papers):
        for other in rng.sample(papers[:i], min(i, rng.choice((0, 1, 1, 2)))):
            links.append(through(from_paper_id=paper.pk, to_paper_id=other.pk))
    _bulk(through, links)
    return papers


def _term_names(n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """n distinct (English, Korean, abbreviation) names whose keys no existing term uses."""
    taken = set(TermName.objects.values_list("key", flat=True))
    combos = [(m, h, d) for d in DOMAINS for m in MODIFIERS for h in HEADS]
    rng.shuffle(combos)
    names = []
    i = 0
    while len(names) < n:
        (m_en, m_ko), (h_en, h_ko), (d_en, d_ko) = combos[i % len(combos)]
        lap = i // len(combos)
        i += 1
        en = " ".join(x for x in (d_en, m_en, h_en) if x) + (f" {lap + 1}" if lap else "")
        ko = " ".join(x for x in (d_ko, m_ko, h_ko) if x) + (f" {lap + 1}" if lap else "")
        keys = {normalize_name(en), normalize_name(ko)}
        if len(keys) < 2 or keys & taken:
            continue
        abbreviation = "".join(w[0] for w in en.replace("-", " ").split() if w[0].isalpha()).upper()
        if len(abbreviation) < 2 or normalize_name(abbreviation) in taken or normalize_name(abbreviation) in keys:
            abbreviation = ""
        taken |= keys | ({normalize_name(abbreviation)} if abbreviation else set())
        names.append((en, ko, abbreviation))
    return names


def _make_terms(rng: random.Random, n: int, papers: list[Paper]) -> tuple[list[Term], int]:
    rows = []
    for i, (en, ko, abbreviation) in enumerate(_term_names(n, rng), start=1):
        name_ko = ko
        rows.append(
            Term(
                name_ko=name_ko,
                name_en=en,
                abbreviation=abbreviation,
                aliases=f"{ko} 기법" if rng.random() < 0.2 else "",
                slug=f"{PREFIX}term-{i:05d}",
                definition="",
                initial=initial_of(name_ko or en),
                sort_name=nfkc(name_ko or en).casefold()[:200],
            )
        )
    terms = _bulk(Term, rows)
    name_rows = []
    for term in terms:
        wanted: dict[str, str] = {}
        for name in term.all_names():
            key = normalize_name(name)[:200]
            if key:
                wanted.setdefault(key, name[:200])
        name_rows += [TermName(term_id=term.pk, key=key, name=name) for key, name in wanted.items()]
    _bulk(TermName, name_rows)

    paper_links = []
    if papers:
        for term in terms:
            for paper in rng.sample(papers, min(len(papers), rng.randint(1, 3))):
                paper_links.append(Term.papers.through(term_id=term.pk, paper_id=paper.pk))
    _bulk(Term.papers.through, paper_links)
    related = set()
    for term in terms:
        for other in rng.sample(terms, min(len(terms), 2)):
            if other.pk != term.pk:
                related.add((term.pk, other.pk))
                related.add((other.pk, term.pk))
    through = Term.related.through
    _bulk(through, [through(from_term_id=a, to_term_id=b) for a, b in sorted(related)])
    return terms, len(name_rows)


def _pool(rng: random.Random, size: int, make: Callable[[random.Random], str]) -> list[str]:
    return [make(rng) for _ in range(max(1, size))]


def _render_terms(rng: random.Random, terms: list[Term], render: _Renderer) -> None:
    def definition(r: random.Random) -> str:
        a, b = r.sample(terms, 2) if len(terms) > 1 else (terms[0], terms[0])
        return (
            f"입력을 {a.name_ko}와 비슷한 방식으로 변환한 뒤 {b.name_en}에 넘기는 기법입니다. "
            f"학습이 안정되고 일반화가 좋아집니다.\n\n"
            f"- 장점: 계산량이 작습니다.\n- 한계: 하이퍼파라미터에 민감합니다.\n\n"
            f"$$h = \\sigma(Wx + b)$$"
        )

    pool = _pool(rng, min(len(terms), 200), definition)
    summaries: dict[str, str] = {}
    for term in terms:
        text = pool[rng.randrange(len(pool))]
        html = render(text)
        if f'data-term="{term.slug}"' in html:  # the document's own term is never linked
            html = render(text, exclude_term_id=term.pk)
        if text not in summaries:
            summaries[text] = plain_summary(text)
        term.definition, term.definition_html, term.summary = text, html, summaries[text]
    _update_grouped(
        Term,
        (
            (t.pk, {"definition": t.definition, "definition_html": t.definition_html, "summary": t.summary})
            for t in terms
        ),
    )


def _render_papers(rng: random.Random, papers: list[Paper], terms: list[Term], render: _Renderer) -> None:
    def guide(r: random.Random) -> str:
        picked = r.sample(terms, min(4, len(terms))) if terms else []
        names = [t.name_ko for t in picked] + ["신경망"] * (4 - len(picked))
        return (
            "## 왜 이 논문인가\n\n"
            f"이 논문은 {names[0]}과 {names[1]}을 결합해 당시의 한계를 넘었습니다. "
            f"특히 {names[2]}의 역할을 눈여겨보세요.\n\n"
            "## 읽는 순서\n\n"
            "1. 초록과 **Figure 1**을 먼저 봅니다.\n"
            "2. 3절의 모델 구조를 그림과 함께 따라갑니다.\n"
            "3. 실험 표에서 기준 모델과의 차이를 확인합니다.\n\n"
            "## 핵심 수식\n\n"
            "$$\\mathcal{L}(\\theta) = -\\sum_i y_i \\log p_\\theta(x_i)$$\n\n"
            "## 생각해 볼 질문\n\n"
            f"- {names[3]}이 없으면 무엇이 달라질까요?\n"
            "- 같은 아이디어를 다른 문제에 쓸 수 있을까요?\n"
        )

    pool = _pool(rng, min(len(papers), 40), guide)
    for paper in papers:
        paper.guide = pool[rng.randrange(len(pool))]
        paper.guide_html = render(paper.guide)
    _update_grouped(Paper, ((p.pk, {"guide": p.guide, "guide_html": p.guide_html}) for p in papers))


def _make_steps(papers: list[Paper], render: _Renderer) -> list[ChecklistStep]:
    rows = [
        ChecklistStep(paper_id=paper.pk, order=i, title=title, body=body, body_html=render(body))
        for paper in papers
        for i, (title, body) in enumerate(STEP_TITLES, start=1)
    ]
    return _bulk(ChecklistStep, rows)


QUESTION_TYPES = ["single", "single", "multiple", "truefalse", "short", "numerical", "single", "multiple"]


def _make_quizzes(rng, papers, terms, render, per_quiz):
    quizzes = _bulk(
        Quiz,
        [
            Quiz(
                paper_id=paper.pk,
                title=f"{paper.title} 확인 퀴즈",
                slug=f"{PREFIX}quiz-{i:05d}",
                instructions="문항을 모두 풀고 **제출**을 누르세요. 답은 자동으로 저장됩니다.",
                instructions_html=render("문항을 모두 풀고 **제출**을 누르세요. 답은 자동으로 저장됩니다."),
                pass_mark=Decimal("60"),
                attempts_allowed=0,
                grading_method=Quiz.GradingMethod.HIGHEST,
            )
            for i, paper in enumerate(papers, start=1)
        ],
    )

    def question_text(r: random.Random) -> str:
        term = r.choice(terms).name_ko if terms else "역전파"
        return f"{term}에 대한 설명으로 옳은 것은? 식 $$f(x) = \\max(0, x)$$ 를 참고하세요."

    texts = _pool(rng, 120, question_text)
    questions = []
    for quiz in quizzes:
        for order in range(1, per_quiz + 1):
            qtype = QUESTION_TYPES[(order - 1) % len(QUESTION_TYPES)]
            text = texts[rng.randrange(len(texts))]
            feedback = "본문 3절을 다시 읽어 보세요."
            questions.append(
                Question(
                    quiz_id=quiz.pk,
                    order=order,
                    qtype=qtype,
                    name=f"Q{order}",
                    text=text,
                    text_html=render(text),
                    points=Decimal("1"),
                    general_feedback=feedback,
                    general_feedback_html=render(feedback),
                )
            )
    questions = _bulk(Question, questions)
    answers = []
    for question in questions:
        answers += _answer_key(rng, question, render)
    answers = _bulk(Answer, answers)
    return quizzes, questions, answers


def _choice(question, order, text, fraction, render, feedback=""):
    return Answer(
        question_id=question.pk,
        order=order,
        text=text,
        text_html=render(text),
        fraction=Decimal(fraction),
        feedback=feedback,
        feedback_html=render(feedback),
    )


def _answer_key(rng: random.Random, question: Question, render: _Renderer) -> list[Answer]:
    q = question
    if q.qtype == "single":
        right = rng.randrange(4)
        return [
            _choice(q, i + 1, f"보기 {i + 1}: 학습률을 {i + 1}배로 키운다", "1" if i == right else "0", render)
            for i in range(4)
        ]
    if q.qtype == "multiple":
        return [
            _choice(q, i + 1, f"선택지 {i + 1}", "0.5" if i < 2 else "-0.5", render) for i in rng.sample(range(4), 4)
        ]
    if q.qtype == "truefalse":
        true_right = rng.random() < 0.5
        return [
            _choice(q, 1, "참", "1" if true_right else "0", render),
            _choice(q, 2, "거짓", "0" if true_right else "1", render),
        ]
    if q.qtype == "short":
        return [_choice(q, 1, "역전파", "1", render), _choice(q, 2, "backprop*", "1", render)]
    value = Decimal(rng.randint(1, 100))
    return [
        Answer(
            question_id=q.pk,
            order=1,
            text="",
            text_html="",
            fraction=Decimal("1"),
            value=value,
            tolerance=Decimal("0.5"),
        )
    ]


def _answer_for(rng: random.Random, question: Question, keys: list[Answer]) -> tuple[str, list[int]]:
    """A plausible learner answer: right about 70% of the time."""
    good = rng.random() < 0.7
    if question.qtype in ("single", "truefalse"):
        ordered = sorted(keys, key=lambda a: -a.fraction)
        return "", [(ordered[0] if good else rng.choice(ordered[1:])).pk]
    if question.qtype == "multiple":
        right = [a.pk for a in keys if a.fraction > 0]
        return "", sorted(right if good else rng.sample([a.pk for a in keys], 2))
    if question.qtype == "short":
        return ("역전파" if good else "경사 하강법"), []
    value = keys[0].value or Decimal(0)
    return (str(value) if good else str(value + 7)), []


def _make_attempts(rng, n, learners, quizzes, now) -> tuple[int, int]:
    if not n or not learners or not quizzes:
        return 0, 0
    quiz_ids = [q.pk for q in quizzes]
    questions: dict[int, list[Question]] = {}
    for question in Question.objects.filter(quiz_id__in=quiz_ids).order_by("quiz_id", "order"):
        questions.setdefault(question.quiz_id, []).append(question)
    answers: dict[int, list[Answer]] = {}
    for answer in Answer.objects.filter(question__quiz_id__in=quiz_ids).order_by("question_id", "order", "pk"):
        answers.setdefault(answer.question_id, []).append(answer)
    keys = {
        question_id: [
            grading.Key(id=a.pk, text=a.text, fraction=a.fraction, value=a.value, tolerance=a.tolerance) for a in rows
        ]
        for question_id, rows in answers.items()
    }
    outcomes: dict[tuple, tuple] = {}

    def graded(question: Question, text: str, selected: list[int]) -> tuple:
        """(fraction, score, matched answer id), computed once per distinct answer."""
        key = (question.pk, text, tuple(selected))
        if key not in outcomes:
            outcome = grading.grade_response(
                qtype=question.qtype,
                keys=keys.get(question.pk, []),
                selected=selected,
                text=text,
                case_sensitive=question.case_sensitive,
            )
            score = grading.score_for(fraction=outcome.fraction, points=question.points)
            outcomes[key] = (outcome.fraction, score, outcome.key_id)
        return outcomes[key]

    # Learners retake the quizzes they started: about a third of the attempts are retakes.
    pairs: dict[tuple[int, int], int] = {}
    plan: list[tuple[int, int, int]] = []
    for _ in range(n):
        if plan and rng.random() < 0.3:
            pair = _recent(rng, plan)
        else:
            pair = (rng.choice(learners).pk, rng.choice(quiz_ids))
        pairs[pair] = pairs.get(pair, 0) + 1
        plan.append((pair[0], pair[1], pairs[pair]))

    attempt_columns = [
        "quiz_id", "user_id", "number", "state", "started_at", "submitted_at", "question_order",
        "score", "max_score", "grade", "needs_grading",
    ]  # fmt: skip
    response_columns = [
        "attempt_id", "question_id", "text", "selected", "saved_at", "sequence",
        "score", "fraction", "matched_answer_id",
    ]  # fmt: skip
    created = 0
    responses = 0
    for start in range(0, len(plan), BATCH * 5):
        chunk = plan[start : start + BATCH * 5]
        attempt_rows = []
        answered: dict[tuple[int, int, int], list[tuple]] = {}
        for user_id, quiz_id, number in chunk:
            open_ = number == pairs[(user_id, quiz_id)] and rng.random() < 0.05
            items = []
            for question in questions[quiz_id]:
                if open_ and rng.random() < 0.5:  # not answered yet: Attempt.start made an empty row
                    items.append((question, "", [], (None, None, None)))
                    continue
                text, selected = _answer_for(rng, question, answers[question.pk])
                items.append((question, text, selected, graded(question, text, selected)))
            order = [q.pk for q in questions[quiz_id]]
            if open_:
                started = now - timedelta(minutes=rng.randint(1, 30))
                max_score = sum((q.points for q in questions[quiz_id]), Decimal(0))
                row = (
                    quiz_id,
                    user_id,
                    number,
                    Attempt.State.IN_PROGRESS,
                    started,
                    None,
                    order,
                    None,
                    max_score,
                    None,
                    False,
                )
                saved = started
            else:
                total = grading.score_attempt(items=[(item[3][1], item[0].points) for item in items])
                submitted = now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1439))
                row = (
                    quiz_id, user_id, number, Attempt.State.FINISHED, submitted - timedelta(minutes=rng.randint(5, 40)),
                    submitted, order, total.score, total.max_score, total.grade, total.needs_grading,
                )  # fmt: skip
                saved = submitted
            attempt_rows.append(row)
            answered[(user_id, quiz_id, number)] = [(*item, saved, not open_) for item in items]
        created += insert_rows(Attempt, attempt_columns, attempt_rows)
        ids = (
            Attempt.objects.filter(user_id__in={k[0] for k in answered}, quiz_id__in={k[1] for k in answered})
            .values_list("user_id", "quiz_id", "number", "pk")
            .iterator(chunk_size=10000)
        )
        response_rows = []
        for user_id, quiz_id, number, pk in ids:
            for question, text, selected, (fraction, score, matched), saved, finished in answered.pop(
                (user_id, quiz_id, number), ()
            ):
                blank = not text and not selected
                response_rows.append(
                    (
                        pk,
                        question.pk,
                        text,
                        selected,
                        None if blank else saved,
                        0 if blank else 1,
                        score if finished else None,
                        fraction if finished else None,
                        matched if finished else None,
                    )  # fmt: skip
                )
        responses += insert_rows(Response, response_columns, response_rows)
    return created, responses


def _recent(rng: random.Random, plan: list[tuple[int, int, int]]) -> tuple[int, int]:
    user_id, quiz_id, _number = plan[-rng.randint(1, min(len(plan), 2000))]
    return user_id, quiz_id


def _make_step_progress(rng, learners, papers, per_learner) -> int:
    if not papers:
        return 0
    steps: dict[int, list[int]] = {}
    for step_id, paper_id in (
        ChecklistStep.objects.filter(paper__in=papers).order_by("paper_id", "order").values_list("pk", "paper_id")
    ):
        steps.setdefault(paper_id, []).append(step_id)
    rows = []
    for learner in learners:
        for paper in rng.sample(papers, min(len(papers), per_learner)):
            paper_steps = steps.get(paper.pk, [])
            done = rng.randint(1, len(paper_steps)) if paper_steps else 0
            rows += [(learner.pk, step_id) for step_id in paper_steps[:done]]
    return insert_rows(StepProgress, ["user_id", "step_id"], rows)


def _make_cards(rng, learners, terms, per_learner, now) -> tuple[int, int]:
    if not terms or not per_learner:
        return 0, 0
    now_utc = now.astimezone(UTC)
    rows = []
    for learner in learners:
        for term in rng.sample(terms, min(len(terms), per_learner)):
            if rng.random() < 0.6:
                last = now_utc - timedelta(days=rng.randint(1, 20))
                due = now_utc + timedelta(days=rng.randint(-5, 20), hours=rng.randint(0, 23))
                state = fsrs.Card(
                    card_id=term.pk,
                    state=fsrs.State.Review,
                    step=None,
                    stability=round(rng.uniform(1, 30), 3),
                    difficulty=round(rng.uniform(3, 8), 3),
                    due=due,
                    last_review=last,
                )
            else:
                last, due = None, now_utc - timedelta(hours=rng.randint(0, 48))
                state = fsrs.Card(card_id=term.pk, due=due)
            reps = 1 if last else 0
            rows.append(
                (learner.pk, term.pk, Card.Direction.DEFINITION, state.to_dict(), due, int(state.state), reps, last)
            )
    columns = ["user_id", "term_id", "direction", "fsrs", "due", "state", "reps", "last_review"]
    cards = insert_rows(Card, columns, rows)
    reviewed = Card.objects.filter(user__in=learners, last_review__isnull=False).values_list(
        "pk", "user_id", "term_id", "last_review", "due"
    )
    logs = [
        (pk, user_id, 3, last, last, due, {"card_id": term_id, "rating": 3})
        for pk, user_id, term_id, last, due in reviewed.iterator(chunk_size=10000)
    ]
    reviews = insert_rows(
        ReviewLog, ["card_id", "user_id", "rating", "reviewed_at", "due_before", "due_after", "log"], logs
    )
    return cards, reviews


def _make_activities(rng, learners, papers, per_learner, now) -> int:
    try:
        from progress.models import Activity
    except ImportError:  # the progress app is optional for the generator
        return 0
    if not papers:
        return 0
    rows = []
    for learner in learners:
        for _ in range(per_learner):
            kind = rng.choice(ACTIVITY_KINDS)
            paper = None if kind == "flashcards" else rng.choice(papers)
            rows.append(
                Activity(
                    user_id=learner.pk,
                    kind=kind,
                    paper_id=paper.pk if paper else None,
                    detail="3/7" if kind == "reading" else "",
                    created_at=now - timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 1439)),
                )
            )
    return len(_bulk(Activity, rows))


def _rebuild_progress(papers) -> int:
    try:
        from progress.tracking import rebuild_paper_progress
    except ImportError:
        return 0
    return sum(rebuild_paper_progress(paper=paper) for paper in papers)


# --------------------------------------------------------------------------- removal and checksum


def delete_generated() -> None:
    """Remove every generated row (learners first: their rows cascade)."""
    with transaction.atomic(), linking.relinking_paused():
        Response.objects.filter(attempt__user__username__startswith=LEARNER_PREFIX).delete()
        Attempt.objects.filter(user__username__startswith=LEARNER_PREFIX).delete()
        User.objects.filter(username__startswith=LEARNER_PREFIX).delete()
        Quiz.objects.filter(slug__startswith=PREFIX).delete()
        Term.objects.filter(slug__startswith=PREFIX).delete()
        Paper.objects.filter(slug__startswith=PREFIX).delete()
        Category.objects.filter(slug__startswith=PREFIX).delete()


def checksum() -> str:
    """SHA-256 over the generated rows by natural keys (no ids, no timestamps)."""
    digest = hashlib.sha256()

    def feed(label: str, rows) -> None:
        digest.update(label.encode())
        for row in rows:
            digest.update(repr(row).encode())

    learners = User.objects.filter(username__startswith=LEARNER_PREFIX)
    feed("users", learners.order_by("username").values_list("username", "first_name", "last_name", "email"))
    papers = Paper.objects.filter(slug__startswith=PREFIX)
    feed(
        "papers",
        papers.order_by("slug").values_list(
            "slug", "title", "normalized_title", "authors", "year", "venue", "category__slug", "status", "guide_html"
        ),
    )
    feed(
        "prerequisites",
        Paper.prerequisites.through.objects.filter(from_paper__in=papers)
        .order_by("from_paper__slug", "to_paper__slug")
        .values_list("from_paper__slug", "to_paper__slug"),
    )
    terms = Term.objects.filter(slug__startswith=PREFIX)
    feed(
        "terms",
        terms.order_by("slug").values_list(
            "slug", "name_ko", "name_en", "abbreviation", "aliases", "definition_html", "summary", "initial"
        ),
    )
    feed("names", TermName.objects.filter(term__in=terms).order_by("key").values_list("key", "term__slug"))
    feed(
        "answers",
        Answer.objects.filter(question__quiz__slug__startswith=PREFIX)
        .order_by("question__quiz__slug", "question__order", "order", "text")
        .values_list(
            "question__quiz__slug", "question__order", "question__qtype", "order", "text", "fraction", "value"
        ),
    )
    feed(
        "attempts",
        Attempt.objects.filter(user__in=learners)
        .order_by("quiz__slug", "user__username", "number")
        .values_list("quiz__slug", "user__username", "number", "state", "score", "grade"),
    )
    answer_order = dict(Answer.objects.filter(question__quiz__slug__startswith=PREFIX).values_list("pk", "order"))
    rows = (
        Response.objects.filter(attempt__user__in=learners)
        .order_by("attempt__quiz__slug", "attempt__user__username", "attempt__number", "question__order")
        .values_list(
            "attempt__quiz__slug",
            "attempt__user__username",
            "attempt__number",
            "question__order",
            "text",
            "selected",
            "score",
        )
        .iterator(chunk_size=5000)
    )
    feed("responses", ((*row[:5], sorted(answer_order.get(i) for i in row[5]), row[6]) for row in rows))
    feed(
        "ticks",
        StepProgress.objects.filter(user__in=learners)
        .order_by("user__username", "step__paper__slug", "step__order")
        .values_list("user__username", "step__paper__slug", "step__order"),
    )
    feed(
        "cards",
        Card.objects.filter(user__in=learners)
        .order_by("user__username", "term__slug", "direction")
        .values_list("user__username", "term__slug", "direction", "state", "reps"),
    )
    return digest.hexdigest()


def has_generated() -> bool:
    return (
        User.objects.filter(username__startswith=LEARNER_PREFIX).exists()
        or Paper.objects.filter(slug__startswith=PREFIX).exists()
        or Term.objects.filter(slug__startswith=PREFIX).exists()
    )
