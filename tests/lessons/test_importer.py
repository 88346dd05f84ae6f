"""Importing documents: the seed's counts, matching, idempotency, dry run, all-or-nothing."""

from decimal import Decimal

import pytest

from glossary.models import Term
from lessons.models import ImportLog
from lessons.parser import LessonError
from papers.models import Category, ChecklistStep, Lesson, MethodStep, Paper
from quizzes.models import Answer, Question, Quiz
from tests.factories import make_category, make_paper
from tests.lessons.helpers import EXTENSIONS, SEED, changes, import_file, import_text, snapshot

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Lesson, MethodStep, Category, Paper, ChecklistStep, Quiz, Question, Answer, Term, ImportLog)
    }


@pytest.fixture
def seeded():
    return import_file(SEED)


def test_seed_counts(seeded):
    assert Paper.objects.count() == 13
    assert Category.objects.count() == 6
    assert Question.objects.count() == 30
    assert Question.objects.filter(qtype=Question.Type.MODEL_ANSWER).count() == 20
    assert Question.objects.filter(qtype=Question.Type.ESSAY).count() == 10
    assert Term.objects.count() == 29
    assert Quiz.objects.count() == 2
    assert Answer.objects.count() == 0
    assert seeded.counts()["Paper"]["created"] == 13


def test_seed_reading_method_is_the_guide(seeded):
    lesson = Lesson.objects.get()
    assert lesson.is_reading_method
    assert lesson.title == "26차시 1:AI Research Papers"
    assert lesson.source_name == "00-ai-research-papers.md"
    assert "효과적인 논문 읽기 방법" in lesson.intro_heading
    assert "<strong>구조적 접근하기</strong>" in lesson.intro_html
    steps = list(lesson.steps.all())
    assert len(steps) == 7
    assert steps[0].title == "구조적 접근하기" and steps[0].order == 1
    assert "<li>" in steps[0].body_html
    assert steps[6].title == "실습과 병행하기"


def test_seed_papers_get_the_default_checklist(seeded):
    paper = Paper.objects.get(title="Attention Is All You Need")
    assert [s.title for s in paper.checklist_steps.all()] == [s.title for s in MethodStep.objects.all()]


def test_seed_categories(seeded):
    nlp = Category.objects.get(name_en="NLP")
    assert (nlp.name_ko, nlp.slug, nlp.order) == ("자연어 처리", "nlp", 3)
    cnn = Category.objects.get(order=2)
    assert (cnn.name_ko, cnn.name_en) == ("CNN (Convolutional Neural Networks)", "Convolutional Neural Networks")
    first = Category.objects.get(order=1)
    assert first.name_ko == "딥러닝의 기초 및 역사적 논문" and first.slug == "딥러닝의-기초-및-역사적-논문"
    assert list(Category.objects.values_list("order", flat=True)) == [1, 2, 3, 4, 5, 6]


def test_seed_papers(seeded):
    backprop = Paper.objects.get(slug="backpropagation")
    assert (backprop.year, backprop.authors) == (1986, "Rumelhart et al.")
    assert backprop.paper_url == "https://www.nature.com/articles/323533a0"
    assert backprop.summary.startswith("신경망 학습의 핵심 알고리즘")
    assert backprop.lesson.is_reading_method
    imagenet = Paper.objects.get(title="ImageNet Classification with Deep Convolutional Neural Networks")
    assert imagenet.year == 2012 and imagenet.category.order == 1 and imagenet.order == 2
    assert not imagenet.quizzes.exists()  # an empty section gives a paper without a quiz


def test_seed_broken_catalog_line_is_a_paper(seeded):
    paper = Paper.objects.get(slug="deep-learning")
    assert (paper.title, paper.year, paper.authors) == ("Deep Learning", 2015, "LeCun, Bengio, Hinton")
    assert paper.category.name_ko == "기타 중요 논문"


def test_seed_quizzes(seeded):
    quiz = Quiz.objects.get(slug="attention-is-all-you-need")
    assert quiz.title == "Attention Is All You Need 퀴즈"
    questions = list(quiz.questions.order_by("order"))
    assert [q.order for q in questions] == list(range(1, 16))
    assert {q.qtype for q in questions[:10]} == {Question.Type.MODEL_ANSWER}
    assert {q.qtype for q in questions[10:]} == {Question.Type.ESSAY}
    assert questions[0].model_answer.startswith("제안하는 네트워크 구조는 Transformer")
    assert '<span class="math">$$\\sqrt{d_k}$$</span>' in questions[2].model_answer_html
    assert Quiz.objects.get(slug="backpropagation").questions.count() == 15


def test_seed_terms(seeded):
    residual = Term.objects.match(["Residual Connection"])
    assert residual is not None and residual.name_ko == ""
    assert list(residual.papers.values_list("slug", flat=True)) == ["attention-is-all-you-need"]
    rnn = Term.objects.match(["RNN"])
    assert (rnn.name_en, rnn.abbreviation, rnn.slug) == ("Recurrent Neural Network", "RNN", "recurrent-neural-network")
    critical = Term.objects.match(["Critical Period"])
    assert (critical.name_ko, critical.aliases) == ("민감한 시기", "결정적 시기; Critical Period")
    assert Term.objects.match(["결정적 시기"]) == critical
    word_piece = Term.objects.match(["WordPiece"])
    assert word_piece.name_en == "Word-piece"
    assert Paper.objects.get(slug="backpropagation").terms.count() == 10
    assert Paper.objects.get(slug="attention-is-all-you-need").terms.count() == 19


def test_second_import_changes_nothing(seeded):
    before = counts()
    stamps = {
        "papers": dict(Paper.objects.values_list("pk", "updated_at")),
        "terms": dict(Term.objects.values_list("pk", "updated_at")),
        "quizzes": dict(Quiz.objects.values_list("pk", "updated_at")),
        "lesson": Lesson.objects.get().imported_at,
    }
    again = import_file(SEED)
    assert changes(again) == {}
    assert again.counts()["Paper"]["unchanged"] == 13
    assert again.counts()["Question"]["unchanged"] == 30
    assert again.counts()["Term"]["unchanged"] == 29
    assert {k: v for k, v in counts().items() if k != "ImportLog"} == {
        k: v for k, v in before.items() if k != "ImportLog"
    }
    assert stamps == {
        "papers": dict(Paper.objects.values_list("pk", "updated_at")),
        "terms": dict(Term.objects.values_list("pk", "updated_at")),
        "quizzes": dict(Quiz.objects.values_list("pk", "updated_at")),
        "lesson": Lesson.objects.get().imported_at,
    }


def test_dry_run_changes_nothing():
    summary = import_file(SEED, dry_run=True)
    assert summary.counts()["Paper"]["created"] == 13
    assert summary.counts()["Term"]["created"] == 29
    assert counts() == dict.fromkeys(counts(), 0)


def test_dry_run_after_import_reports_unchanged(seeded):
    before = snapshot()
    summary = import_file(SEED, dry_run=True)
    assert changes(summary) == {}
    assert snapshot() == before


def test_import_log_records_the_hash(seeded):
    log = ImportLog.objects.get()
    assert (log.source_name, log.origin) == (
        "00-ai-research-papers.md",
        "command",
    )
    assert len(log.sha256) == 64
    assert ImportLog.objects.last_sha256("00-ai-research-papers.md") == log.sha256


def test_later_document_updates_what_it_matched(seeded):
    text = SEED.read_text(encoding="utf-8")
    text = text.replace(
        "  - 신경망 학습의 핵심 알고리즘인 역전파(backpropagation)를 소개한 논문.",
        "  - 역전파를 소개한 고전 논문.",
    )
    text = text.replace(
        "4. 학습률 (Learning Rate): 경사 하강법에서",
        "4. 학습률 (Learning Rate): 고친 정의. 경사 하강법에서",
    )
    text = text.replace("1.역전파(back-propagation) 학습 절차의", "1.역전파(back-propagation) 학습 절차(고침)의")
    summary = import_text(text, name="00-ai-research-papers.md")
    assert changes(summary) == {"Paper": {"updated": 1}, "Question": {"updated": 1}, "Term": {"updated": 1}}
    assert Paper.objects.get(slug="backpropagation").summary == "역전파를 소개한 고전 논문."
    assert Term.objects.match(["학습률"]).definition.startswith("고친 정의.")
    assert Question.objects.filter(text__contains="(고침)").count() == 1
    assert Paper.objects.count() == 13 and Term.objects.count() == 29 and Question.objects.count() == 30


def test_matching_ignores_case_and_punctuation(seeded):
    text = (
        '## 2. 읽을 만한 논문\n### 2.3 NLP (자연어 처리)\n- **"attention is all you need!" (2017, Vaswani et al.)**\n'
    )
    summary = import_text(text)
    assert changes(summary) == {"Lesson": {"created": 1}, "Paper": {"updated": 1}}
    assert Paper.objects.count() == 13
    assert Paper.objects.get(slug="attention-is-all-you-need").title == "attention is all you need!"


def test_extension_document(seeded):
    summary = import_file(EXTENSIONS)
    paper = Paper.objects.get(title="Sample Extension Paper")
    assert paper.authors == "Ada Gamma, Bob Delta, Cy Epsilon"  # the 저자 line beats the catalog's short form
    assert (paper.venue, paper.arxiv_id, paper.doi) == ("TestConf 2020", "2001.00001", "10.1000/test.2020")
    assert (paper.paper_url, paper.code_url) == ("https://example.org/paper", "https://github.com/example/sample")
    assert list(paper.prerequisites.values_list("title", flat=True)) == ["Sample Prerequisite Paper"]
    assert "<h4" in paper.guide_html and "## 이것도 아닙니다" in paper.guide_html
    assert paper.category.name_en == "Testing" and paper.category.order == 7
    assert paper.lesson.title == "99차시: 형식 점검" and not paper.lesson.is_reading_method
    steps = [s.title for s in paper.checklist_steps.all()]
    assert steps[:7] == [s.title for s in MethodStep.objects.all()]
    assert steps[7:] == ["Figure 1을 먼저 보세요.", "Table 2의 수치를 확인하세요."]

    quiz = Quiz.objects.get(slug=paper.slug)
    questions = list(quiz.questions.order_by("order").prefetch_related("answers"))
    assert [q.qtype for q in questions] == [
        "single", "multiple", "truefalse", "short", "numerical", "model", "truefalse", "numerical", "essay", "essay",
    ]  # fmt: skip
    single, multiple, truefalse, short, numerical, model, _ox, _exact, _essay, essay = questions
    assert [(a.text, a.fraction, a.feedback) for a in single.answers.all()] == [
        ("정답 선택지", 1, ""),
        ("오답 선택지", 0, "이 선택지가 틀린 이유."),
        ("다른 오답", 0, ""),
    ]
    assert single.general_feedback == "일반 피드백입니다."
    assert [a.fraction for a in multiple.answers.all()] == [Decimal("0.33333")] * 3 + [Decimal("-0.33333")]
    assert [(a.text, a.fraction) for a in truefalse.answers.all()] == [("참", 0), ("거짓", 1)]
    assert [a.text for a in short.answers.all()] == ["ReLU", "Rectified Linear Unit*", "렐루"]
    assert all(a.fraction == 1 for a in short.answers.all())
    number = numerical.answers.get()
    assert (number.value, number.tolerance, number.fraction) == (Decimal("-1.386"), Decimal("0.005"), 1)
    assert model.model_answer.endswith("둘째 문단입니다.") and model.general_feedback == "Section 3.2."
    assert essay.model_answer == "채점 기준: 두 관점을 비교하면 만점."
    assert summary.counts()["Answer"]["created"] == 3 + 4 + 2 + 3 + 1 + 2 + 1


def test_glossary_shapes_become_term_fields():
    import_file(EXTENSIONS)
    rows = {t.name_en or t.name_ko: (t.name_ko, t.name_en, t.abbreviation, t.aliases) for t in Term.objects.all()}
    assert rows == {
        "Back-propagation": ("역전파", "Back-propagation", "", ""),
        "Sequence Transduction": ("", "Sequence Transduction", "", ""),
        "Recurrent Neural Network": ("", "Recurrent Neural Network", "RNN", ""),
        "Self-Attention": ("", "Self-Attention", "", "Intra-Attention"),
        "Sensitive Period": ("민감한 시기", "Sensitive Period", "", "결정적 시기; Critical Period"),
        "Dropout": ("드롭아웃", "Dropout", "", ""),
        "Residual Connection": ("", "Residual Connection", "", ""),
    }
    assert Term.objects.get(name_en="Dropout").slug == "dropout"


def test_terms_are_shared_and_names_merged(seeded):
    import_file(EXTENSIONS)
    dropout = Term.objects.match(["Dropout"])
    assert dropout.name_ko == "드롭아웃"  # the seed's English-only term gained its Korean name
    assert set(dropout.papers.values_list("title", flat=True)) == {
        "Attention Is All You Need",
        "Sample Extension Paper",
    }
    assert dropout.definition == "English (한국어) 형태."  # the later definition replaced the earlier one
    assert Term.objects.count() == 29  # every entry matched a seed term
    again = import_file(EXTENSIONS)
    assert changes(again) == {}


def test_korean_only_term_gets_a_unicode_slug():
    import_text(
        '## 2. 읽을 만한 논문\n### 2.1 분야\n- **"P" (2020, X)**\n\n## 3. **P (2020, X)**\n### 3.1 용어집\n'
        "1. 경험 재생: 정의.\n2. Review: 예약된 주소와 같은 이름.\n"
    )
    assert Term.objects.match(["경험 재생"]).slug == "경험-재생"
    assert Term.objects.match(["Review"]).slug == "review-2"


def test_other_lessons_intro_does_not_replace_the_guide(seeded):
    import_file(EXTENSIONS)
    method = Lesson.objects.get(is_reading_method=True)
    assert method.title == "26차시 1:AI Research Papers"
    other = Lesson.objects.get(title="99차시: 형식 점검")
    assert other.intro.startswith("형식 점검용 레슨입니다.") and not other.steps.exists()


def test_second_reading_method_document_is_kept_as_a_lesson(seeded):
    text = "---\ntitle: 다른 읽기 방법\n---\n## 1. 논문 읽는 방법 다시 보기\n1. **다른 단계**\n   - 설명\n"
    import_text(text)
    assert Lesson.objects.get(title="다른 읽기 방법").is_reading_method is False
    assert Lesson.objects.get(is_reading_method=True).title == "26차시 1:AI Research Papers"
    assert MethodStep.objects.count() == 7


def test_empty_section_does_not_wipe_a_per_paper_quiz(seeded):
    title = "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    per_paper = (
        "## 2. 읽을 만한 논문\n### 2.3 NLP (자연어 처리)\n"
        f'- **"{title}" (2018, Devlin et al.)**\n'
        f"\n## 3. **{title}**\n"
        "### 3.1 퀴즈\n1. 질문?\n   - 답.\n### 3.2 용어집\n1. 사전 훈련 (Pre-training): 정의.\n"
    )
    import_text(per_paper, name="05-bert.md")
    bert = Paper.objects.get(slug__startswith="bert")
    assert bert.quizzes.get().questions.count() == 1 and bert.terms.count() == 1
    again = import_file(SEED)
    assert bert.quizzes.get().questions.count() == 1 and bert.terms.count() == 1
    assert changes(again) == {}
    bert.refresh_from_db()
    assert bert.lesson.source_name == "05-bert.md"


def test_shorter_quiz_deletes_surplus_questions_and_answers(seeded):
    doc = (
        "## 3. **Backpropagation (1986, Rumelhart et al.)**\n### 3.1 퀴즈\n"
        "1. 하나?\n   - (x) 예\n   - ( ) 아니오\n2. 둘?\n   - 답.\n"
    )
    summary = import_text(doc)
    quiz = Quiz.objects.get(slug="backpropagation")
    assert quiz.questions.count() == 2
    assert summary.counts()["Question"]["deleted"] == 13
    first = quiz.questions.get(order=1)
    assert first.qtype == "single" and first.answers.count() == 2
    import_text(doc.replace("   - ( ) 아니오\n", ""))
    assert first.answers.count() == 1  # answers follow the document
    assert Question.objects.get(pk=first.pk).qtype == "single"


def test_checklist_hints_are_appended_once(seeded):
    doc = "## 3. **Backpropagation**\n### 3.1 읽기 체크리스트\n- Figure 1을 보세요.\n- 식 (8)을 유도하세요.\n"
    import_text(doc)
    import_text(doc)
    titles = list(Paper.objects.get(slug="backpropagation").checklist_steps.values_list("title", flat=True))
    assert titles[7:] == ["Figure 1을 보세요.", "식 (8)을 유도하세요."]
    assert len(titles) == 9


def test_existing_papers_keep_their_slug_and_order():
    category = make_category(name_ko="자연어 처리", name_en="NLP", slug="nlp-custom", order=9)
    paper = make_paper(title="Attention is all you need", slug="transformer", category=category, order=5, steps=0)
    import_file(SEED)
    paper.refresh_from_db()
    assert (paper.slug, paper.order, paper.category_id) == ("transformer", 5, category.pk)
    assert Category.objects.count() == 6
    assert Quiz.objects.filter(paper=paper, slug="transformer").exists()


# --- all or nothing


def assert_nothing_written(error: LessonError, *, path: str, line: int) -> None:
    assert (error.path, error.line) == (path, line)
    assert str(error).startswith(f"{path}:{line}: ")


def test_unknown_prerequisite_writes_nothing():
    text = EXTENSIONS.read_text(encoding="utf-8").replace(
        "- 선수 논문: Sample Prerequisite Paper", "- 선수 논문: Sample Prerequisite Paper; No Such Paper"
    )
    with pytest.raises(LessonError) as info:
        import_text(text, name="ext.md")
    assert_nothing_written(info.value, path="ext.md", line=28)
    assert "No Such Paper" in info.value.message
    assert {k: v for k, v in counts().items() if v} == {}


def test_unknown_paper_section_writes_nothing():
    with pytest.raises(LessonError) as info:
        import_text("## 1. 소개\n본문.\n\n## 2. **No Such Paper (2020, X)**\n- 저자: X\n")
    assert_nothing_written(info.value, path="doc.md", line=4)
    assert Lesson.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (SEED.read_bytes().replace(b"### 2.2 CNN", b"\x00### 2.2 CNN"), 59, "binary"),
        (SEED.read_text(encoding="utf-8").encode("utf-16"), 1, "UTF-8"),
        (SEED.read_bytes().replace(b"### 2.2 CNN", "### 2.2 CNN \u00e9".encode("latin-1")), 59, "UTF-8"),
        (SEED.read_bytes().replace(b"### **7.2", b"1. extra\n\n### **7.2"), 192, "10 answers for 11 questions"),
        (
            SEED.read_bytes().replace("### 3.3 용어집".encode(), "### 3.3 퀴즈\n\n### 3.4 용어집".encode()),
            138,
            "without questions",
        ),
        (
            SEED.read_bytes().replace("### 3.2 에세이 형식 질문 \n".encode(), "### 3.2 퀴즈\n".encode()),
            128,
            "without an answer",
        ),
    ],
    ids=["binary", "utf-16", "latin-1", "answer-count", "empty-quiz", "question-without-answer"],
)
def test_malformed_seed_variants_write_nothing(data, line, words):
    from lessons.importer import import_sources

    with pytest.raises(LessonError) as info:
        import_sources([("seed.md", data)])
    assert (info.value.path, info.value.line) == ("seed.md", line)
    assert words in info.value.message
    assert {k: v for k, v in counts().items() if v} == {}


def test_several_documents_are_one_transaction():
    from lessons.importer import import_sources

    bad = b"## 3. **Unknown (2020, X)**\n- \xec\xa0\x80\xec\x9e\x90: X\n"
    with pytest.raises(LessonError) as info:
        import_sources([("seed.md", SEED.read_bytes()), ("bad.md", bad)])
    assert (info.value.path, info.value.line) == ("bad.md", 1)
    assert Paper.objects.count() == 0 and Term.objects.count() == 0


def test_term_name_owned_by_two_terms_is_an_error_with_the_line(seeded):
    doc = "## 3. **Backpropagation**\n### 3.1 용어집\n1. 역전파 (Momentum): 두 용어의 이름을 섞은 항목.\n"
    with pytest.raises(LessonError) as info:
        import_text(doc)
    assert info.value.line == 3 and "이미 다른 용어" in info.value.message
    assert Term.objects.match(["역전파"]).name_en == "Back-propagation"


def test_same_term_twice_with_different_definitions_is_an_error():
    doc = (
        '## 2. 읽을 만한 논문\n### 2.1 분야\n- **"P" (2020, X)**\n\n## 3. **P**\n### 3.1 용어집\n'
        "1. Dropout: 하나.\n2. dropout: 둘.\n"
    )
    with pytest.raises(LessonError) as info:
        import_text(doc)
    assert info.value.line == 8 and "line 7" in info.value.message
    assert Term.objects.count() == 0
