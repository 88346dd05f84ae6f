import pytest
from django.core.exceptions import ValidationError

from core.text import normalize_name
from glossary.models import Term, TermName, initial_of, plain_summary
from tests.factories import make_paper, make_term

pytestmark = pytest.mark.django_db


def test_names_match_ignoring_case_spaces_and_hyphens():
    assert normalize_name("Word-piece") == normalize_name("WordPiece") == normalize_name("word piece")


def test_save_creates_one_name_row_per_normalized_name():
    term = make_term(
        name_ko="워드피스", name_en="Word-piece", abbreviation="WP", aliases="WordPiece; word piece ; Subword Units"
    )
    keys = set(term.names.values_list("key", flat=True))
    assert keys == {"워드피스", "wordpiece", "wp", "subwordunits"}


def test_save_keeps_names_in_sync_on_rename():
    term = make_term(name_ko="은닉층", name_en="Hidden Layer", aliases="Hidden Unit")
    term.aliases = ""
    term.name_en = "Hidden-Layer"
    term.save()
    names = dict(term.names.values_list("key", "name"))
    assert names == {"은닉층": "은닉층", "hiddenlayer": "Hidden-Layer"}


def test_match_finds_the_owner_of_any_name_in_one_query(django_assert_num_queries):
    term = make_term(name_ko="워드피스", name_en="Word-piece")
    make_term(name_en="Dropout")
    with django_assert_num_queries(1):
        assert Term.objects.match(["없는 이름", "WordPiece"]) == term
    assert Term.objects.match(["word piece"]) == term
    assert Term.objects.match(["워드 피스"]) == term
    assert Term.objects.match(["Nothing"]) is None


def test_match_without_names_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Term.objects.match(["", " - "]) is None


def test_a_name_owned_by_another_term_raises_a_clear_validation_error():
    make_term(name_ko="워드피스", name_en="WordPiece")
    with pytest.raises(ValidationError) as excinfo:
        Term.objects.create(name_en="Word piece", slug="other", definition="x")
    assert "name_en" in excinfo.value.message_dict
    assert "WordPiece" in excinfo.value.message_dict["name_en"][0]
    assert not Term.objects.filter(slug="other").exists()


def test_alias_conflict_is_reported_on_the_aliases_field():
    make_term(name_en="Self-Attention")
    term = Term(name_en="Attention X", aliases="Intra-Attention; self attention", slug="x", definition="d")
    with pytest.raises(ValidationError) as excinfo:
        term.full_clean()
    assert list(excinfo.value.message_dict) == ["aliases"]


def test_a_term_may_keep_its_own_names_on_save():
    term = make_term(name_en="Dropout")
    term.definition = "Changed."
    term.save()
    assert term.names.count() == 1


def test_summary_is_the_plain_text_start_of_the_definition():
    term = make_term(
        name_en="BPE", definition="**Byte-Pair** Encoding <script>alert(1)</script> 은 " + "긴 설명 " * 100
    )
    assert term.summary.startswith("Byte-Pair Encoding 은")
    assert "<" not in term.summary and "alert" not in term.summary
    assert len(term.summary) <= 200


def test_plain_summary_of_empty_text():
    assert plain_summary("") == ""


@pytest.mark.parametrize(
    ("name", "initial"),
    [
        ("역전파", "ㅇ"),
        ("까마귀", "ㄱ"),
        ("뻐꾸기", "ㅂ"),
        ("학습률", "ㅎ"),
        ("WordPiece", "W"),
        ("adam", "A"),
        ("Élan", "E"),
        ("3D", "#"),
        ("", "#"),
    ],
)
def test_initial_of(name, initial):
    assert initial_of(name) == initial


def test_save_stores_initial_and_sort_name():
    assert make_term(name_ko="트랜스포머", name_en="Transformer").initial == "ㅌ"
    term = make_term(name_en="dropout")
    assert (term.initial, term.sort_name) == ("D", "dropout")


def test_term_needs_a_name_and_a_free_slug():
    with pytest.raises(ValidationError):
        Term(slug="nameless", definition="d").full_clean()
    with pytest.raises(ValidationError) as excinfo:
        Term(name_en="Review", slug="review", definition="d").full_clean()
    assert "slug" in excinfo.value.message_dict


def test_deleting_a_term_frees_its_names():
    term = make_term(name_en="Momentum")
    term.delete()
    assert not TermName.objects.exists()
    make_term(name_en="momentum")


def test_papers_and_related_terms():
    paper = make_paper(title="Attention Is All You Need")
    a = make_term(name_en="Self-Attention", papers=[paper])
    b = make_term(name_en="Multi-Head Attention", papers=[paper])
    a.related.add(b)
    assert list(b.related.all()) == [a]
    assert set(paper.terms.all()) == {a, b}
