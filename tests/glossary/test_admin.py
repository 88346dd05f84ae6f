import pytest

from glossary.models import Term
from tests.factories import make_paper, make_term

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name_ko": "워드피스",
        "name_en": "Word piece",
        "abbreviation": "",
        "aliases": "",
        "slug": "word-piece-2",
        "definition": "정의 <script>x</script>",
        "related": [],
        "papers": [],
    }
    data.update(overrides)
    return data


def test_changelist_search_and_filter(admin_client):
    paper = make_paper(slug="transformer")
    make_term(name_en="Byte-Pair Encoding", abbreviation="BPE", papers=[paper])
    make_term(name_en="Dropout", aliases="Random Drop")
    response = admin_client.get("/admin/glossary/term/", {"q": "BPE"})
    assert response.status_code == 200
    assert "Byte-Pair Encoding" in response.content.decode() and "Dropout" not in response.content.decode()
    response = admin_client.get("/admin/glossary/term/", {"q": "random"})
    assert "Dropout" in response.content.decode()
    response = admin_client.get("/admin/glossary/term/", {"papers__id__exact": paper.pk})
    assert "Byte-Pair Encoding" in response.content.decode() and "Dropout" not in response.content.decode()


def test_add_form_uses_markdownx_and_shows_help_text(admin_client):
    html = admin_client.get("/admin/glossary/term/add/").content.decode()
    assert "markdownx" in html
    assert "Other names separated by" in html or "세미콜론" in html


def test_add_term_through_admin(admin_client):
    response = admin_client.post("/admin/glossary/term/add/", form_data())
    assert response.status_code == 302
    term = Term.objects.get(slug="word-piece-2")
    assert "<script" not in term.definition_html
    assert term.names.count() == 2


def test_a_duplicate_name_is_a_form_error_not_a_500(admin_client):
    make_term(name_en="WordPiece")
    response = admin_client.post("/admin/glossary/term/add/", form_data())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "name_en" in errors and "WordPiece" in errors["name_en"][0]
    assert not Term.objects.filter(slug="word-piece-2").exists()


def test_cards_and_reviews_are_read_only(admin_client):
    assert admin_client.get("/admin/glossary/card/").status_code == 200
    assert admin_client.get("/admin/glossary/reviewlog/").status_code == 200
    assert admin_client.get("/admin/glossary/card/add/").status_code == 403


def test_learners_cannot_use_the_admin(learner_client):
    assert learner_client.get("/admin/glossary/term/").status_code == 302
