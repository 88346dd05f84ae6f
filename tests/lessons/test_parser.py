"""The parser alone: documents → dataclasses, and every malformed case with its line."""

from decimal import Decimal
from textwrap import dedent

import pytest

from lessons.parser import LessonError, decode, parse_bytes, parse_term_names, parse_text, split_citation
from tests.lessons.helpers import EXTENSIONS, SEED


@pytest.fixture(scope="module")
def seed():
    return parse_bytes(SEED.read_bytes(), path="00-ai-research-papers.md")


def section(document, title):
    return next(s for s in document.sections if s.title == title)


def doc(body: str):
    return parse_text(dedent(body).lstrip("\n"), path="doc.md")


def error_of(body: str) -> LessonError:
    with pytest.raises(LessonError) as info:
        doc(body)
    return info.value


CATALOG = """\
## 2. 읽을 만한 논문
### 2.1 분야 (Field)
- **"Some Paper" (2020, Someone et al.)**
  - 설명.

## 3. **Some Paper (2020, Someone et al.)**
"""


# --- the seed as it really is


def test_seed_front_matter_and_intro(seed):
    assert seed.title == "26차시 1:AI Research Papers"
    assert seed.front_matter["categories"] == ["AI Research Papers"]
    assert seed.front_matter["toc"] == "true"  # the trailing `# comment` is dropped
    assert seed.intro.is_reading_method
    assert "효과적인 논문 읽기 방법" in seed.intro.heading
    steps = seed.intro.steps
    assert [s.title for s in steps] == [
        "구조적 접근하기",
        "시각적 자료 활용하기",
        "용어 사전 만들기",
        "논문 요약본 활용하기",
        "스터디 그룹 참여하기",
        "논문 읽기 도구 활용하기",
        "실습과 병행하기",
    ]
    assert steps[0].body.startswith("- 제목, 초록(Abstract), 결론부터")
    assert "Semantic Scholar" in steps[5].body
    assert "무엇보다" not in steps[6].body  # the closing paragraph is not part of step 7


def test_seed_catalog(seed):
    assert [(c.name_ko, c.name_en, c.order) for c in seed.categories] == [
        ("딥러닝의 기초 및 역사적 논문", "", 1),
        ("CNN (Convolutional Neural Networks)", "Convolutional Neural Networks", 2),
        ("자연어 처리", "NLP", 3),
        ("강화학습", "Reinforcement Learning", 4),
        ("생성 모델", "Generative Models", 5),
        ("기타 중요 논문", "", 6),
    ]
    assert len(seed.entries) == 13
    first = seed.entries[0]
    assert (first.title, first.year, first.authors) == ("Backpropagation", 1986, "Rumelhart et al.")
    assert first.summary == "신경망 학습의 핵심 알고리즘인 역전파(backpropagation)를 소개한 논문."


def test_seed_broken_catalog_line_is_still_a_paper(seed):
    entry = seed.entries[-1]
    assert (entry.title, entry.year, entry.authors) == ("Deep Learning", 2015, "LeCun, Bengio, Hinton")
    assert entry.category.name_ko == "기타 중요 논문"
    assert entry.summary.startswith("딥러닝의 기본 개념을")


def test_seed_paper_sections(seed):
    assert len(seed.sections) == 12
    imagenet = section(seed, "ImageNet Classification with Deep Convolutional Neural Networks")
    assert imagenet.year is None and not imagenet.has_content and not imagenet.has_quiz
    empty = [s for s in seed.sections if not s.has_content]
    assert len(empty) == 10  # sections 4–6 and 8–14
    backprop = section(seed, "Backpropagation")
    assert backprop.paper_url == "https://www.nature.com/articles/323533a0"
    attention = section(seed, "Attention Is All You Need")
    assert attention.paper_url.startswith("https://proceedings.neurips.cc/")  # a bare link line


def test_seed_inline_quiz_layout(seed):
    backprop = section(seed, "Backpropagation")
    assert len(backprop.questions) == 10
    assert {q.qtype for q in backprop.questions} == {"model"}
    first = backprop.questions[0]
    assert first.text.startswith("역전파(back-propagation) 학습 절차의 주요 목표")  # `1.text` without a space
    assert first.model_answer.startswith("역전파 학습 절차의 주요 목표는")
    third = backprop.questions[2]
    assert "$$\\epsilon$$" in third.text and "$$\\alpha$$" in third.model_answer


def test_seed_two_section_quiz_layout(seed):
    attention = section(seed, "Attention Is All You Need")
    assert len(attention.questions) == 10
    assert all(q.qtype == "model" for q in attention.questions)
    assert attention.questions[0].text.startswith("본 논문에서 제안하는 새로운 네트워크 구조의 이름")
    assert attention.questions[0].model_answer.startswith("제안하는 네트워크 구조는 Transformer")
    assert "$$\\sqrt{d_k}$$" in attention.questions[2].model_answer
    assert "$$\\beta_1 = 0.9$$" in attention.questions[9].model_answer


def test_seed_essays_both_headings(seed):
    assert len(section(seed, "Backpropagation").essays) == 5  # 에세이 형식 질문
    essays = section(seed, "Attention Is All You Need").essays  # 논술형 질문
    assert len(essays) == 5
    assert all(q.qtype == "essay" for q in essays)
    assert section(seed, "Backpropagation").essays[3].text.startswith('"1986-rumelhart-2.pdf"')


def test_seed_glossaries(seed):
    backprop = section(seed, "Backpropagation").terms
    attention = section(seed, "Attention Is All You Need").terms  # 용어 해설
    assert len(backprop) == 10 and len(attention) == 19
    residual = next(t for t in attention if t.name_en == "Residual Connection")
    assert residual.name_ko == "" and residual.definition.startswith("신경망의 이전 레이어의 출력을")
    assert attention.index(residual) == 8  # right after item 8, before item 9
    critical = backprop[-1]
    assert (critical.name_ko, critical.name_en, critical.aliases) == (
        "민감한 시기",
        "Sensitive Period",
        ["결정적 시기", "Critical Period"],
    )


# --- glossary line shapes


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("역전파 (Back-propagation)", ("역전파", "Back-propagation", "", [])),
        ("Sequence Transduction", ("", "Sequence Transduction", "", [])),
        ("Recurrent Neural Network (RNN)", ("", "Recurrent Neural Network", "RNN", [])),
        ("Rectified Linear Unit (ReLU)", ("", "Rectified Linear Unit", "ReLU", [])),
        ("Self-Attention (Intra-Attention)", ("", "Self-Attention", "", ["Intra-Attention"])),
        ("Dropout (드롭아웃)", ("드롭아웃", "Dropout", "", [])),
        ("Segment Embedding (세그먼트 임베딩)", ("세그먼트 임베딩", "Segment Embedding", "", [])),
        ("Top-5 오류율 (Top-5 Error Rate)", ("Top-5 오류율", "Top-5 Error Rate", "", [])),
        ("순환 신경망 (RNN)", ("순환 신경망", "", "RNN", [])),
        (
            "민감한 시기 (Sensitive Period) 또는 결정적 시기 (Critical Period)",
            ("민감한 시기", "Sensitive Period", "", ["결정적 시기", "Critical Period"]),
        ),
        ("역전파 (Back-propagation) 또는 BP", ("역전파", "Back-propagation", "BP", [])),
        ("경험 재생", ("경험 재생", "", "", [])),
    ],
)
def test_glossary_name_shapes(names, expected):
    assert parse_term_names(names) == expected


def test_glossary_lines_numbered_or_not():
    document = doc(
        CATALOG
        + """
### 3.1 용어집
1. 역전파 (Back-propagation): 정의 하나: 콜론이 더 있어도 됩니다.
Residual Connection: 번호 없는 줄.
- GLUE (General Language Understanding Evaluation): 글머리표 줄.
3. Softmax (소프트맥스): 여러 줄
   정의의 둘째 줄.
"""
    )
    terms = document.sections[0].terms
    assert [(t.name_ko, t.name_en, t.line) for t in terms] == [
        ("역전파", "Back-propagation", 9),
        ("", "Residual Connection", 10),
        ("", "GLUE", 11),
        ("소프트맥스", "Softmax", 12),
    ]
    assert terms[0].definition == "정의 하나: 콜론이 더 있어도 됩니다."
    assert terms[2].aliases == ["General Language Understanding Evaluation"]
    assert terms[3].definition == "여러 줄\n정의의 둘째 줄."


# --- the extension question types


def test_extension_document():
    document = parse_bytes(EXTENSIONS.read_bytes(), path="extension-types.md")
    assert not document.intro.is_reading_method
    paper = document.sections[0]
    assert paper.meta == {
        "authors": "Ada Gamma, Bob Delta, Cy Epsilon",
        "venue": "TestConf 2020",
        "arxiv_id": "2001.00001",
        "doi": "10.1000/test.2020",
        "code_url": "https://github.com/example/sample",
    }
    assert [r.title for r in paper.prerequisites] == ["Sample Prerequisite Paper"]
    assert "## 이것도 아닙니다" in paper.guide  # headings inside a code block stay in the guide
    assert paper.checklist == ["Figure 1을 먼저 보세요.", "Table 2의 수치를 확인하세요."]
    single, multiple, truefalse, short, numerical, model, ox, exact = paper.questions
    assert single.qtype == "single"
    assert [(a.text, a.fraction, a.feedback) for a in single.answers] == [
        ("정답 선택지", Decimal(1), ""),
        ("오답 선택지", Decimal(0), "이 선택지가 틀린 이유."),
        ("다른 오답", Decimal(0), ""),
    ]
    assert single.general_feedback == "일반 피드백입니다."
    assert multiple.qtype == "multiple"
    assert [a.fraction for a in multiple.answers] == [Decimal("0.33333")] * 3 + [Decimal("-0.33333")]
    assert multiple.answers[3].feedback == "틀린 이유."
    assert truefalse.qtype == "truefalse"
    assert [(a.text, a.fraction) for a in truefalse.answers] == [("참", 0), ("거짓", 1)]
    assert ox.qtype == "truefalse" and ox.answers[0].fraction == 1
    assert short.qtype == "short"
    assert [a.text for a in short.answers] == ["ReLU", "Rectified Linear Unit*", "렐루"]
    assert numerical.qtype == "numerical"
    assert (numerical.answers[0].value, numerical.answers[0].tolerance) == (Decimal("-1.386"), Decimal("0.005"))
    assert (exact.answers[0].value, exact.answers[0].tolerance) == (Decimal("60"), Decimal("0"))
    assert model.qtype == "model"
    assert model.model_answer == "첫 문단입니다. $$\\frac{1}{\\sqrt{d_k}}$$ 로 나눕니다.\n\n둘째 문단입니다."
    assert model.general_feedback == "Section 3.2."
    assert [e.text for e in paper.essays] == ["첫 번째 논술 질문입니다.", "두 번째 논술 질문입니다."]
    assert paper.essays[1].model_answer == "채점 기준: 두 관점을 비교하면 만점."


def test_split_citation_shapes():
    assert split_citation('"Attention Is All You Need" (2017, Vaswani et al.)') == (
        "Attention Is All You Need",
        2017,
        "Vaswani et al.",
    )
    assert split_citation('Deep Learning" (LeCun, Bengio, Hinton, 2015)') == (
        "Deep Learning",
        2015,
        "LeCun, Bengio, Hinton",
    )
    assert split_citation("ImageNet Classification with Deep Convolutional Neural Networks") == (
        "ImageNet Classification with Deep Convolutional Neural Networks",
        None,
        "",
    )
    assert split_citation("Neural Networks (Extended Version)") == ("Neural Networks (Extended Version)", None, "")


# --- malformed documents name the line


def test_answer_count_mismatch():
    err = error_of(
        CATALOG
        + """
### 3.1 퀴즈
1. 첫 질문?
2. 둘째 질문?

### 3.2 퀴즈 정답
1. 첫 답.
"""
    )
    assert (err.path, err.line) == ("doc.md", 12)
    assert "1 answers for 2 questions" in err.message
    assert str(err).startswith("doc.md:12: ")


def test_quiz_section_without_questions():
    err = error_of(CATALOG + "\n### 3.1 퀴즈\n\n### 3.2 용어집\n1. A (B): c\n")
    assert err.line == 8 and "without questions" in err.message


def test_essay_section_without_questions():
    err = error_of(CATALOG + "\n### 3.1 에세이 형식 질문\n그냥 문단.\n")
    assert err.line == 9 and "numbered" in err.message


def test_question_without_answer_in_inline_layout():
    err = error_of(CATALOG + "\n### 3.1 퀴즈\n1. 첫 질문?\n   - 답.\n2. 둘째 질문?\n")
    assert err.line == 11 and "without an answer" in err.message


def test_answers_without_quiz():
    err = error_of(CATALOG + "\n### 3.1 퀴즈 정답\n1. 답.\n")
    assert err.line == 8 and "퀴즈" in err.message


def test_single_choice_needs_one_mark():
    err = error_of(CATALOG + "\n### 3.1 퀴즈\n1. 질문?\n   - (x) a\n   - (x) b\n")
    assert err.line == 9 and "exactly one" in err.message


def test_mixed_choice_marks():
    err = error_of(CATALOG + "\n### 3.1 퀴즈\n1. 질문?\n   - (x) a\n   - [ ] b\n")
    assert err.line == 10 and "mixes" in err.message


def test_bad_numeric_answer():
    err = error_of(CATALOG + "\n### 3.1 퀴즈\n1. 질문?\n   - 수치 정답: 약 15\n")
    assert err.line == 10 and "수치 정답" in err.message


def test_unknown_subsection():
    err = error_of(CATALOG + "\n### 3.1 참고 문헌\n- 책.\n")
    assert err.line == 8 and "unknown subsection" in err.message


def test_bad_metadata_line_and_url():
    assert error_of(CATALOG + "- 발표: 어딘가\n").line == 7
    err = error_of(CATALOG + "- [Some Paper](javascript:alert(1))\n")
    assert err.line == 7


def test_bad_glossary_line():
    err = error_of(CATALOG + "\n### 3.1 용어집\n1. 콜론이 없는 줄\n")
    assert err.line == 9 and "definition" in err.message


def test_catalog_line_that_is_not_an_entry():
    err = error_of("## 2. 읽을 만한 논문\n### 2.1 분야\n그냥 문장.\n")
    assert err.line == 3


def test_unclosed_front_matter():
    assert error_of("---\ntitle: x\n## 1. 소개\n").line == 1


def test_empty_document():
    err = error_of("---\ntitle: 빈 문서\n---\n\n")
    assert err.line == 1 and "nothing to import" in err.message


def test_binary_file_reports_the_line_of_the_nul_byte():
    with pytest.raises(LessonError) as info:
        decode(b"## 1. a\nline two\n\x00\x01binary", path="x.md")
    assert (info.value.line, "binary" in info.value.message) == (3, True)


def test_wrong_encoding_reports_the_line():
    data = "## 1. 소개\n둘째 줄\n셋째 줄 한국어\n".encode("euc-kr")
    with pytest.raises(LessonError) as info:
        decode(data, path="x.md")
    assert info.value.line == 1 and "UTF-8" in info.value.message
    with pytest.raises(LessonError) as info:
        decode(b"ok\nfine\n" + "caf\u00e9".encode("latin-1"), path="x.md")
    assert info.value.line == 3


def test_bom_and_crlf_are_fine():
    text = decode("\ufeff## 1. 소개\r\n본문\r\n".encode(), path="x.md")
    assert text == "## 1. 소개\n본문\n"


def test_text_after_answer_items_must_be_indented():
    err = error_of(CATALOG + "\n### 3.1 퀴즈\n1. 질문?\n   - 답.\n들여쓰지 않은 줄.\n")
    assert err.line == 11 and "indent" in err.message


def test_too_long_catalog_values():
    long_title = "T" * 301
    err = error_of(f'## 2. 읽을 만한 논문\n### 2.1 분야\n- **"{long_title}" (2020, X)**\n')
    assert err.line == 3 and "300" in err.message
    err = error_of('## 2. 읽을 만한 논문\n### 2.1 분야\n- **"T" (2020, X)**\n  - ' + "설명" * 260 + "\n")
    assert err.line == 4 and "500" in err.message


def test_duplicate_catalog_entry():
    err = error_of('## 2. 읽을 만한 논문\n### 2.1 분야\n- **"Same Title" (2020, X)**\n- **"same title!" (2020, X)**\n')
    assert err.line == 4 and "line 3" in err.message
