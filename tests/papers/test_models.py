import pytest

from papers.models import ChecklistStep, Paper, ReadingStatus, StepProgress, generate_bibtex
from papers.signals import reading_progress_changed
from tests.factories import make_category, make_paper, make_reading_method

pytestmark = pytest.mark.django_db


def test_generated_bibtex_has_key_and_fields():
    paper = make_paper(
        title="Attention Is All You Need",
        authors="Ashish Vaswani, Noam Shazeer, Niki Parmar",
        year=2017,
        venue="NeurIPS 2017",
        arxiv_id="1706.03762",
        paper_url="https://arxiv.org/abs/1706.03762",
    )
    bibtex = paper.get_bibtex()
    assert bibtex.startswith("@inproceedings{vaswani2017attention,")
    assert "title = {{Attention Is All You Need}}" in bibtex
    assert "author = {Ashish Vaswani and Noam Shazeer and Niki Parmar}" in bibtex
    assert "booktitle = {NeurIPS 2017}" in bibtex
    assert "eprint = {1706.03762}" in bibtex
    assert bibtex.rstrip().endswith("}")


def test_nature_paper_is_an_article():
    paper = make_paper(
        title="Learning representations by back-propagating errors",
        authors="David Rumelhart",
        year=1986,
        venue="Nature",
        doi="10.1038/323533a0",
    )
    bibtex = generate_bibtex(paper)
    assert bibtex.startswith("@article{rumelhart1986learning,")
    assert "journal = {Nature}" in bibtex and "doi = {10.1038/323533a0}" in bibtex


def test_stored_bibtex_wins():
    paper = make_paper(bibtex="  @misc{mine, title={X}}  ")
    assert paper.get_bibtex() == "@misc{mine, title={X}}"


def test_ensure_checklist_copies_reading_method_steps():
    make_reading_method()
    paper = make_paper(steps=0)
    assert paper.ensure_checklist() == 7
    steps = list(paper.checklist_steps.all())
    assert [s.title for s in steps][:2] == ["구조적 접근하기", "시각적 자료 활용하기"]
    assert [s.order for s in steps] == list(range(1, 8))
    assert "<p>" in steps[0].body_html
    # A paper that has steps keeps them.
    assert paper.ensure_checklist() == 0
    assert paper.checklist_steps.count() == 7


def test_ensure_checklist_without_reading_method_is_harmless():
    paper = make_paper(steps=0)
    assert paper.ensure_checklist() == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attention", {"transformer"}),
        ("ATTENTION need", {"transformer"}),
        ("vaswani", {"transformer"}),
        ("2017", {"transformer"}),
        ("1986", {"backprop"}),
        ("역전파", {"backprop"}),
        ("트랜스포머", {"transformer"}),
        ("자연어", {"transformer"}),
        ("NLP", {"transformer"}),
        ("back-propagating", {"backprop"}),
        ("backpropagating", {"backprop"}),
        ("nature", {"backprop"}),
        ("1706.03762", {"transformer"}),
        ("", {"transformer", "backprop"}),
        ("   ", {"transformer", "backprop"}),
        ("no such paper", set()),
    ],
)
def test_search_korean_and_english(query, expected):
    basics = make_category(name_ko="딥러닝의 기초", name_en="Foundations")
    nlp = make_category(name_ko="자연어 처리", name_en="NLP")
    make_paper(
        slug="backprop",
        title="Learning representations by back-propagating errors",
        authors="Rumelhart, Hinton, Williams",
        year=1986,
        venue="Nature",
        summary="신경망 학습의 핵심 알고리즘인 역전파를 소개한 논문.",
        category=basics,
    )
    make_paper(
        slug="transformer",
        title="Attention Is All You Need",
        authors="Vaswani, Shazeer",
        year=2017,
        arxiv_id="1706.03762",
        keywords="트랜스포머; Transformer",
        category=nlp,
    )
    assert set(Paper.objects.search(query).values_list("slug", flat=True)) == expected


def test_search_is_one_query(django_assert_num_queries):
    make_paper(title="Deep Residual Learning")
    with django_assert_num_queries(1):
        list(Paper.objects.search("deep residual 2015 학습"))


def test_search_normalizes_unicode_and_bounds_input():
    make_paper(slug="p", title="Attention", summary="역전파")
    import unicodedata

    assert Paper.objects.search(unicodedata.normalize("NFD", "역전파")).count() == 1
    assert Paper.objects.search("Ａｔｔｅｎｔｉｏｎ").count() == 1  # full-width
    assert len(Paper.objects.search_terms("x " * 500)) <= 8
    Paper.objects.search("%_\\' OR 1=1 --").count()  # escaped, no error


def test_visible_to(learner, instructor):
    make_paper(slug="pub")
    make_paper(slug="draft", status=Paper.Status.DRAFT)
    from django.contrib.auth.models import AnonymousUser

    assert set(Paper.objects.visible_to(learner).values_list("slug", flat=True)) == {"pub"}
    assert set(Paper.objects.visible_to(AnonymousUser()).values_list("slug", flat=True)) == {"pub"}
    assert set(Paper.objects.visible_to(instructor).values_list("slug", flat=True)) == {"pub", "draft"}


def test_reading_status_from_counts():
    assert ReadingStatus.from_counts(0, 5) == ReadingStatus.NOT_STARTED
    assert ReadingStatus.from_counts(2, 5) == ReadingStatus.READING
    assert ReadingStatus.from_counts(5, 5) == ReadingStatus.READ
    assert ReadingStatus.from_counts(0, 0) == ReadingStatus.NOT_STARTED


def test_set_done_is_idempotent_and_signals(learner):
    paper = make_paper(steps=2)
    step = paper.checklist_steps.first()
    received = []

    def receiver(sender, user, paper, **kwargs):
        received.append((user, paper))

    reading_progress_changed.connect(receiver)
    try:
        assert step.set_done(learner, True) is True
        assert step.set_done(learner, True) is False
        assert StepProgress.objects.filter(user=learner).count() == 1
        assert step.set_done(learner, False) is True
        assert step.set_done(learner, False) is False
    finally:
        reading_progress_changed.disconnect(receiver)
    assert received == [(learner, paper), (learner, paper)]


def test_a_tick_that_lost_to_a_simultaneous_click_changes_nothing(learner):
    """Two requests both read "not ticked"; the second one's INSERT finds the first one's row."""
    paper = make_paper(steps=2)
    step = paper.checklist_steps.first()
    received = []

    def receiver(sender, user, paper, **kwargs):
        received.append(user)

    reading_progress_changed.connect(receiver)
    try:
        assert step.set_done(learner, True, was_done=False) is True
        assert step.set_done(learner, True, was_done=False) is False  # what it read is stale: nothing to signal
    finally:
        reading_progress_changed.disconnect(receiver)
    assert received == [learner]
    tick = StepProgress.objects.get(user=learner)
    assert tick.step == step and tick.done_at is not None


def test_duplicate_titles_are_a_validation_error():
    from django.core.exceptions import ValidationError

    make_paper(title="Attention Is All You Need")
    twin = Paper(title="attention is all you need!", slug="twin", category=make_category())
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert "title" in excinfo.value.message_dict


def test_links_only_keep_web_urls():
    paper = make_paper(
        title="A B",
        paper_url="javascript:alert(1)",
        code_url="https://github.com/x/y",
        doi="10.1038/323533a0",
        arxiv_id="1706.03762",
    )
    urls = [url for _, url in paper.source_links]
    assert urls == ["https://doi.org/10.1038/323533a0", "https://github.com/x/y"]
    research = dict(paper.research_links)
    assert research["Semantic Scholar"] == "https://www.semanticscholar.org/search?q=A+B"
    assert research["Connected Papers"].startswith("https://www.connectedpapers.com/search?q=")
    assert research["arXiv"] == "https://arxiv.org/abs/1706.03762"
    assert "arXiv" not in dict(make_paper(title="No arxiv").research_links)


def test_markdown_rendered_on_save_for_steps():
    paper = make_paper(steps=0, guide="**굵게**")
    step = ChecklistStep.objects.create(paper=paper, title="t", body="*기울임*")
    assert "<strong>굵게</strong>" in paper.guide_html
    assert "<em>기울임</em>" in step.body_html


def test_category_display_name_does_not_repeat_the_english_name():
    from papers.models import Category

    assert (
        Category(name_ko="강화학습", name_en="Reinforcement Learning").display_name
        == "강화학습 (Reinforcement Learning)"
    )
    assert (
        Category(name_ko="CNN (Convolutional Neural Networks)", name_en="Convolutional Neural Networks").display_name
        == "CNN (Convolutional Neural Networks)"
    )
    assert Category(name_ko="기타 중요 논문", name_en="").display_name == "기타 중요 논문"
