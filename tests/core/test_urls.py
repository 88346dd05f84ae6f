"""core.urls.reverse_one gives exactly what reverse() gives, for less."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from core.urls import reverse_one


@pytest.mark.parametrize(
    ("viewname", "arg", "converter"),
    [
        ("papers:paper_detail", "attention-is-all-you-need", "slug"),
        ("quizzes:quiz_detail", "resnet_quiz-2", "slug"),
        ("glossary:term_detail", "어텐션-메커니즘", "slug"),
        ("glossary:term_detail", "a b?c%d#e&f+g", "slug"),
        ("quizzes:attempt_detail", 42, "int"),
    ],
)
def test_reverse_one_is_reverse(viewname, arg, converter):
    assert reverse_one(viewname, arg, converter=converter) == reverse(viewname, args=[arg])


def test_reverse_one_follows_the_script_prefix():
    plain = reverse_one("papers:paper_detail", "x")
    set_script_prefix("/sub/")
    try:
        assert reverse_one("papers:paper_detail", "x") == reverse("papers:paper_detail", args=["x"]) == "/sub" + plain
    finally:
        clear_script_prefix()
    assert reverse_one("papers:paper_detail", "x") == plain


@pytest.mark.django_db
def test_model_urls_use_it(client):
    from tests.factories import make_paper

    paper = make_paper(title="Deep Residual Learning")
    assert paper.get_absolute_url() == reverse("papers:paper_detail", args=[paper.slug])
    assert client.get(paper.get_absolute_url()).status_code == 200
