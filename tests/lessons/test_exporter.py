"""export_lesson writes the format back; importing it into an empty database gives the same rows."""

import pytest

from glossary.models import Term
from lessons.exporter import export_document, term_names
from lessons.parser import parse_term_names, parse_text
from papers.models import Category, Lesson, Paper
from quizzes.models import Quiz
from tests.factories import make_term
from tests.lessons.helpers import CONTENT, EXTENSIONS, SEED, changes, import_file, import_text, snapshot

pytestmark = pytest.mark.django_db


def empty_database():
    Term.objects.all().delete()
    Quiz.objects.all().delete()
    Paper.objects.all().delete()
    Category.objects.all().delete()
    Lesson.objects.all().delete()


def round_trip(text: str) -> dict:
    before = snapshot()
    empty_database()
    assert snapshot()["papers"] == []
    summary = import_text(text, name="export.md")
    assert summary.counts()["Paper"]["created"] == len(before["papers"])
    return before


def test_round_trip_of_the_seed():
    import_file(SEED)
    text = export_document()
    before = round_trip(text)
    assert snapshot() == before
    method = Lesson.objects.get(is_reading_method=True)
    assert method.title == "26차시 1:AI Research Papers" and method.steps.count() == 7
    assert changes(import_text(text, name="export.md")) == {}


def test_round_trip_with_every_question_type_and_glossary_shape():
    import_file(SEED)
    import_file(EXTENSIONS)
    before = round_trip(export_document())
    assert snapshot() == before


def test_round_trip_of_all_shipped_documents():
    for path in sorted(CONTENT.glob("*.md")):
        import_file(path)
    text = export_document()
    before = round_trip(text)
    assert snapshot() == before


def test_export_writes_the_format():
    import_file(SEED)
    import_file(EXTENSIONS)
    text = export_document()
    assert text.startswith("---\ntitle: 26차시 1:AI Research Papers\n")
    assert "## 1. 처음 논문(Research Papers)을 읽는 사람을 위해: 효과적인 논문 읽기 방법\n" in text
    assert "## 2. 읽을 만한 논문\n### 2.1 딥러닝의 기초 및 역사적 논문\n" in text
    assert "### 2.2 CNN (Convolutional Neural Networks)\n" in text
    assert '- **"Deep Learning" (2015, LeCun, Bengio, Hinton)**\n' in text
    assert "   - (x) 정답 선택지\n   - ( ) 오답 선택지 // 이 선택지가 틀린 이유.\n" in text
    assert "   - [ ] 틀린 것 // 틀린 이유.\n" in text
    assert "   - 정답: 거짓\n" in text
    assert "   - 정답: ReLU | Rectified Linear Unit* | 렐루\n" in text
    assert "   - 수치 정답: -1.386 ± 0.005\n" in text
    assert "   - 수치 정답: 60\n" in text
    assert "   - 해설: 일반 피드백입니다.\n" in text
    assert "- 선수 논문: Sample Prerequisite Paper\n" in text
    assert ". 민감한 시기 (Sensitive Period) 또는 결정적 시기 (Critical Period): " in text
    document = parse_text(text, path="export.md")
    assert len(document.entries) == 15


def test_export_of_chosen_papers():
    import_file(SEED)
    import_file(EXTENSIONS)
    paper = Paper.objects.get(title="Sample Extension Paper")
    text = export_document(papers=[paper])
    document = parse_text(text, path="one.md")
    assert document.title == "99차시: 형식 점검"  # the paper's own lesson
    assert [e.title for e in document.entries] == ["Sample Extension Paper"]
    assert document.intro.heading == "이 레슨에 대하여"  # its lesson's introduction, not the reading method
    assert len(document.sections[0].questions) == 8 and len(document.sections[0].essays) == 2
    assert document.sections[0].checklist == ["Figure 1을 먼저 보세요.", "Table 2의 수치를 확인하세요."]
    seed_paper = Paper.objects.get(slug="backpropagation")
    document = parse_text(export_document(papers=[seed_paper]), path="one.md")
    assert document.intro is None  # the reading method comes only with a full export
    assert changes(import_text(export_document(papers=[seed_paper]), name="00-ai-research-papers.md")) == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"name_ko": "역전파", "name_en": "Back-propagation"},
        {"name_en": "Recurrent Neural Network", "abbreviation": "RNN"},
        {"name_ko": "순환 신경망", "abbreviation": "RNN"},
        {"name_ko": "순환 신경망", "name_en": "Recurrent Neural Network", "abbreviation": "RNN"},
        {"name_en": "Self-Attention", "aliases": "Intra-Attention"},
        {"name_en": "BLEU", "aliases": "Bilingual Evaluation Understudy; 블루"},
        {"name_ko": "민감한 시기", "name_en": "Sensitive Period", "aliases": "결정적 시기; Critical Period"},
        {"name_ko": "경험 재생"},
        {"name_en": "Dropout"},
    ],
)
def test_term_names_read_back_into_the_same_fields(fields):
    term = make_term(**{"name_ko": "", "name_en": "", **fields})
    name_ko, name_en, abbreviation, aliases = parse_term_names(term_names(term))
    assert (name_ko, name_en, abbreviation, "; ".join(aliases)) == (
        term.name_ko,
        term.name_en,
        term.abbreviation,
        term.aliases,
    )
