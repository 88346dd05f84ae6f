"""The glossary's cached pages: what changes shows at once, and nothing leaks between visitors."""

import pytest
from django.test import Client
from django.urls import reverse

from glossary import linking
from glossary.models import Term
from tests.factories import make_paper, make_term

pytestmark = pytest.mark.django_db

INDEX = "/glossary/"
OPTIONS = "/glossary/papers/options/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def term():
    paper = make_paper(title="Attention Is All You Need", slug="transformer")
    return make_term(
        name_ko="드롭아웃", name_en="Dropout", slug="dropout", definition="뉴런을 **끈다**.", papers=[paper]
    )


def _pages(client, term) -> dict[str, str]:
    """Every cached view of the glossary, rendered once (and so cached)."""
    pages = {
        "index": client.get(INDEX),
        "search": client.get(INDEX, {"q": "drop"}, headers=HTMX),
        "paper": client.get(INDEX, {"paper": "transformer"}),
        "detail": client.get(reverse("glossary:term_detail", args=[term.slug])),
        "preview": client.get(reverse("glossary:term_preview", args=[term.slug])),
    }
    return {name: response.content.decode() for name, response in pages.items()}


def test_editing_a_term_shows_everywhere_at_once(client, term):
    before = _pages(client, term)
    assert all("Dropout" in html for html in before.values())
    term.name_en = "Drop-out"
    term.definition = "뉴런 일부를 **무작위로** 끈다."
    term.save()
    after = _pages(client, term)
    for name, html in after.items():
        assert "Drop-out" in html, name
    assert "<strong>무작위로</strong>" in after["detail"]
    assert "뉴런 일부를 무작위로 끈다." in after["preview"]


def test_a_deleted_term_is_gone(client, term):
    _pages(client, term)
    slug = term.slug
    Term.objects.filter(pk=term.pk).delete()
    assert 'data-term="dropout"' not in client.get(INDEX).content.decode()
    assert 'data-term="dropout"' not in client.get(INDEX, {"q": "drop"}, headers=HTMX).content.decode()
    assert client.get(reverse("glossary:term_detail", args=[slug])).status_code == 404
    assert client.get(reverse("glossary:term_preview", args=[slug])).status_code == 404


def test_a_new_term_shows_in_the_index_and_in_searches(client, term):
    _pages(client, term)
    make_term(name_en="Dropconnect", slug="dropconnect")
    assert 'data-term="dropconnect"' in client.get(INDEX).content.decode()
    assert 'data-term="dropconnect"' in client.get(INDEX, {"q": "drop"}, headers=HTMX).content.decode()


def test_paper_links_and_papers_show_at_once(client, term):
    other = make_paper(title="Dropout: A Simple Way", slug="srivastava")
    _pages(client, term)
    detail = reverse("glossary:term_detail", args=[term.slug])
    assert "srivastava" not in client.get(OPTIONS, headers={"HX-Request": "true"}).content.decode()

    term.papers.add(other)  # a paper-term link, from the term's side
    assert '<option value="srivastava">' in client.get(OPTIONS, headers={"HX-Request": "true"}).content.decode()
    assert "Dropout: A Simple Way" in client.get(detail).content.decode()
    assert 'data-term="dropout"' in client.get(INDEX, {"paper": "srivastava"}).content.decode()

    other.title = "Dropout (JMLR 2014)"
    other.save()
    assert "Dropout (JMLR 2014)" in client.get(detail).content.decode()
    assert "Dropout (JMLR 2014)" in client.get(OPTIONS, headers={"HX-Request": "true"}).content.decode()

    other.terms.remove(term)  # … and from the paper's side
    assert "srivastava" not in client.get(OPTIONS, headers={"HX-Request": "true"}).content.decode()
    assert "Dropout (JMLR 2014)" not in client.get(detail).content.decode()


def test_related_terms_show_at_once(client, term):
    detail = reverse("glossary:term_detail", args=[term.slug])
    client.get(detail)
    term.related.add(make_term(name_en="Regularization", slug="regularization"))
    assert 'data-term="regularization"' in client.get(detail).content.decode()


def test_relinking_shows_new_links_in_cached_definitions(client, term, django_capture_on_commit_callbacks):
    detail = reverse("glossary:term_detail", args=[term.slug])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_term(name_ko="뉴런", name_en="Neuron", slug="neuron")  # the definition mentions 뉴런
    relinks = [c for c in callbacks if getattr(c, "func", None) is linking._relink_after_commit]
    for callback in callbacks:
        if callback not in relinks:
            callback()
    # After the commit but before the re-linking, the page is rendered (and cached) without the link …
    assert "term-link" not in client.get(detail).content.decode()
    for callback in relinks:
        callback()
    # … and the re-linking (bulk updates, no signals) makes it stale.
    assert 'data-term="neuron"' in client.get(detail).content.decode()


def test_drafts_are_cached_apart_for_instructors(client, learner, instructor, term):
    draft = make_paper(title="Secret draft", slug="drafty", status="draft")
    term.papers.add(draft)
    staff = Client()
    staff.force_login(instructor)
    detail = reverse("glossary:term_detail", args=[term.slug])
    # The instructor sees the draft first; learners and visitors never do.
    assert "Secret draft" in staff.get(detail).content.decode()
    assert "drafty" in staff.get(OPTIONS, headers={"HX-Request": "true"}).content.decode()
    client.force_login(learner)
    for visitor in (client, Client()):
        assert "Secret draft" not in visitor.get(detail).content.decode()
        assert "drafty" not in visitor.get(OPTIONS, headers={"HX-Request": "true"}).content.decode()
        assert visitor.get(INDEX, {"paper": "drafty"}).context["unknown_paper"]

    draft.status = "published"
    draft.save()
    assert "Secret draft" in client.get(detail).content.decode()


def test_signed_in_parts_and_csrf_forms_are_never_shared(client, learner, other_learner, term):
    anonymous = Client()
    assert reverse("glossary:review") not in anonymous.get(INDEX).content.decode()
    client.force_login(learner)
    html = client.get(INDEX, {"paper": "transformer"}).content.decode()
    assert reverse("glossary:review") in html
    assert reverse("glossary:deck_add_paper", args=["transformer"]) in html
    assert reverse("glossary:review") not in anonymous.get(INDEX).content.decode()
    assert "deck-add-paper" not in anonymous.get(INDEX, {"paper": "transformer"}).content.decode()

    other = Client()
    other.force_login(other_learner)
    first = client.get(INDEX, {"paper": "transformer"}).context["csrf_token"]
    second = other.get(INDEX, {"paper": "transformer"}).context["csrf_token"]
    assert str(first) != str(second)

    detail = reverse("glossary:term_detail", args=[term.slug])
    assert "복습 덱에 넣기" in client.get(detail).content.decode()
    assert reverse("login") in anonymous.get(detail).content.decode()


def test_pages_are_cached_per_language(client, term):
    assert "<h1>용어집</h1>" in client.get(INDEX).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(INDEX).content.decode()
    assert "<h1>Glossary</h1>" in html
    assert "1 term" in html
