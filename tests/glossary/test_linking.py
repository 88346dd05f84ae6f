import pytest

from core.markdown import render_markdown
from glossary import linking
from glossary.models import Term
from tests.factories import make_paper, make_quiz, make_term

pytestmark = pytest.mark.django_db


def link(html, **kwargs):
    return linking.link_terms(html, **kwargs)


def test_links_look_like_the_agreed_markup():
    make_term(name_en="Dropout", slug="dropout")
    assert link("<p>Use Dropout here.</p>") == (
        '<p>Use <a href="/glossary/dropout/" class="term-link" data-term="dropout">Dropout</a> here.</p>'
    )


def test_longest_name_wins():
    make_term(name_en="Attention", slug="attention")
    make_term(name_en="Multi-Head Attention", slug="mha")
    html = link("<p>Multi-Head Attention uses attention.</p>")
    assert 'data-term="mha">Multi-Head Attention</a>' in html
    assert 'data-term="attention">attention</a>' in html


def test_shorter_names_are_not_linked_inside_a_longer_one_even_after_the_first():
    make_term(name_en="Attention", slug="attention")
    make_term(name_en="Scaled Dot-Product Attention", slug="sdpa")
    html = link("<p>Scaled Dot-Product Attention and again Scaled Dot-Product Attention.</p>")
    assert html.count("term-link") == 1
    assert 'data-term="attention"' not in html


def test_names_match_ignoring_case_spaces_and_hyphens():
    make_term(name_en="WordPiece", slug="wordpiece")
    assert 'data-term="wordpiece">Word-piece</a>' in link("<p>The Word-piece model.</p>")
    assert 'data-term="wordpiece">word piece</a>' in link("<p>a word piece model.</p>")


def test_latin_names_need_word_boundaries():
    make_term(name_en="RNN", slug="rnn")
    make_term(name_en="Adam", slug="adam")
    assert "term-link" not in link("<p>RNNs and Adamant people.</p>")
    assert 'data-term="rnn">RNN</a>' in link("<p>(RNN)은 순환 신경망</p>")
    assert 'data-term="adam">Adam</a>은' in link("<p>Adam은 최적화 알고리즘</p>")


def test_hangul_names_match_inside_words():
    make_term(name_ko="은닉층", name_en="Hidden Layer", slug="hidden")
    assert '<a href="/glossary/hidden/" class="term-link" data-term="hidden">은닉층</a>은' in link(
        "<p>은닉층은 중간 계층</p>"
    )


def test_only_the_first_occurrence_is_linked_per_document_across_names():
    make_term(name_ko="역전파", name_en="Backpropagation", slug="bp")
    html = link("<p>Backpropagation 즉 역전파.</p><p>역전파를 다시.</p>")
    assert html.count("term-link") == 1
    assert 'data-term="bp">Backpropagation</a>' in html


@pytest.mark.parametrize(
    "fragment",
    [
        "<pre><code>Dropout = 1</code></pre>",
        "<p><code>Dropout</code></p>",
        '<p><a href="https://example.com">Dropout</a></p>',
        "<h1>Dropout</h1>",
        "<h2 id='x'>Dropout</h2>",
        "<h6>Dropout</h6>",
        '<p><span class="math">$$Dropout$$</span></p>',
    ],
)
def test_never_inside_code_pre_links_headings_or_math(fragment):
    make_term(name_en="Dropout", slug="dropout")
    assert "term-link" not in link(fragment)


def test_the_first_linkable_occurrence_is_the_one_linked():
    make_term(name_en="Dropout", slug="dropout")
    html = link("<h2>Dropout</h2><pre><code>Dropout</code></pre><p>Then <em>Dropout</em> and Dropout.</p>")
    assert html.startswith("<h2>Dropout</h2><pre><code>Dropout</code></pre>")
    linked = '<a href="/glossary/dropout/" class="term-link" data-term="dropout">Dropout</a>'
    assert f"<em>{linked}</em> and Dropout." in html


def test_self_exclusion():
    term = make_term(name_en="Dropout", slug="dropout")
    assert "term-link" not in link("<p>Dropout</p>", exclude_term_id=term.pk)


def test_text_escaping_is_kept():
    make_term(name_en="Dropout", slug="dropout")
    html = link("<p>a &lt;b&gt; &amp; Dropout</p>")
    assert html.startswith("<p>a &lt;b&gt; &amp; <a ")


def test_a_document_without_names_is_returned_unchanged():
    make_term(name_en="Dropout", slug="dropout")
    html = "<p>x&nbsp;y &quot;z&quot;</p>"
    assert link(html) is html


def test_one_letter_names_are_never_linked():
    make_term(name_ko="층", name_en="Layer Z", slug="layer")
    assert "term-link" not in link("<p>층이 깊다</p>")


def test_the_linker_is_a_core_markdown_postprocessor():
    make_term(name_en="Dropout", slug="dropout")
    html = render_markdown("# Dropout\n\nUse Dropout.\n\n```\nDropout()\n```")
    assert "<h1>Dropout</h1>" in html
    assert html.count("term-link") == 1
    assert "<code>Dropout()\n</code>" in html


def test_definitions_link_other_terms_but_not_themselves():
    make_term(name_en="Dropout", slug="dropout")
    term = make_term(name_en="Regularization", slug="reg", definition="Regularization such as Dropout.")
    assert 'data-term="dropout"' in term.definition_html
    assert 'data-term="reg"' not in term.definition_html


def test_a_definition_with_a_script_payload_is_sanitized():
    term = make_term(
        name_en="Evil",
        definition=(
            '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3)) '
            '<a href="#" class="term-link" data-term="x">y</a>'
        ),
    )
    html = term.definition_html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "data-term" not in html and "term-link" not in html


def test_the_index_is_rebuilt_only_when_terms_change(django_assert_num_queries):
    make_term(name_en="Dropout", slug="dropout")
    linking.get_index()
    with django_assert_num_queries(1):  # the version stamp only
        assert linking.get_index().lookup("dropout").slug == "dropout"
    make_term(name_en="Momentum", slug="momentum")
    assert linking.get_index().lookup("momentum").slug == "momentum"


def test_the_index_notices_changes_made_elsewhere():
    term = make_term(name_en="Dropout", slug="dropout")
    linking.get_index()
    Term.objects.filter(pk=term.pk).delete()  # a queryset delete skips Term.save
    assert linking.get_index().lookup("dropout") is None


# --- re-rendering stored content ------------------------------------------------


def _relinks(callbacks) -> int:
    """How many of the on-commit callbacks re-link (the others bump cache versions)."""
    return sum(getattr(callback, "func", None) is linking._relink_after_commit for callback in callbacks)


def test_saving_a_term_relinks_stored_content_after_commit(django_capture_on_commit_callbacks):
    paper = make_paper(guide="Transformer는 Self-Attention만 쓴다.")
    assert "term-link" not in paper.guide_html
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        term = make_term(name_en="Self-Attention", slug="self-attention")
    assert _relinks(callbacks) == 1
    paper.refresh_from_db()
    assert 'data-term="self-attention"' in paper.guide_html

    with django_capture_on_commit_callbacks(execute=True):
        term.delete()
    paper.refresh_from_db()
    assert "term-link" not in paper.guide_html


def test_renaming_a_term_relinks(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        term = make_term(name_en="Dropout", slug="dropout")
        paper = make_paper(guide="Dropout and Regularization.")
    with django_capture_on_commit_callbacks(execute=True):
        term.name_en = "Regularization"
        term.save()
    paper.refresh_from_db()
    assert 'data-term="dropout">Regularization</a>' in paper.guide_html


def test_paused_relinking_renders_everything_once_at_the_end(django_capture_on_commit_callbacks, monkeypatch):
    paper = make_paper(guide="Dropout and Momentum.")
    calls = []
    real = linking.relink_all
    monkeypatch.setattr(linking, "relink_all", lambda: calls.append(1) or real())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with linking.relinking_paused():
            assert linking.is_paused()
            make_term(name_en="Dropout", slug="dropout")
            make_term(name_en="Momentum", slug="momentum", definition="Like Dropout.")
            paper.refresh_from_db()
            assert "term-link" not in paper.guide_html
    assert _relinks(callbacks) == 1 and calls == [1]
    paper.refresh_from_db()
    assert paper.guide_html.count("term-link") == 2
    momentum = Term.objects.get(slug="momentum")
    assert 'data-term="dropout"' in momentum.definition_html


def test_nested_pauses_relink_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with linking.relinking_paused():
            with linking.relinking_paused():
                make_term(name_en="Dropout")
            make_term(name_en="Momentum")
    assert _relinks(callbacks) == 1


def test_many_saves_in_one_transaction_relink_once(django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    real = linking.relink_all
    monkeypatch.setattr(linking, "relink_all", lambda: calls.append(1) or real())
    with django_capture_on_commit_callbacks(execute=True):
        make_term(name_en="Dropout")
        make_term(name_en="Momentum")
    assert calls == [1]


def test_quiz_question_texts_are_linked(django_capture_on_commit_callbacks):
    quiz = make_quiz(questions=1)
    question = quiz.questions.get()
    question.text = "Multi-Head Attention은 무엇입니까?"
    question.save()
    with django_capture_on_commit_callbacks(execute=True):
        make_term(name_en="Multi-Head Attention", slug="mha")
    question.refresh_from_db()
    assert 'data-term="mha"' in question.text_html


def test_transformer_guide_links_terms_but_leaves_code_and_headings(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with linking.relinking_paused():
            make_term(name_en="Positional Encoding", slug="pe")
            make_term(name_en="Layer Normalization", slug="ln")
            paper = make_paper(
                title="Attention Is All You Need",
                guide=(
                    "## Positional Encoding\n\n"
                    "Transformer는 Positional Encoding을 더한다.\n\n"
                    "```python\nx = layer_normalization(x)  # Layer Normalization\n```\n\n"
                    "그리고 Layer Normalization을 쓴다."
                ),
            )
    paper.refresh_from_db()
    html = paper.guide_html
    assert "<h2>Positional Encoding</h2>" in html or '<h2 id="' in html and "Positional Encoding</h2>" in html
    assert 'data-term="pe">Positional Encoding</a>을' in html
    assert "# Layer Normalization\n</code></pre>" in html
    assert 'data-term="ln">Layer Normalization</a>을' in html
