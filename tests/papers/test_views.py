import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.text import slugify

from papers.models import Paper, StepProgress
from papers.pages import PAGE_SIZE
from papers.signals import reading_progress_changed
from tests.factories import (
    make_category,
    make_paper,
    make_quiz,
    make_reading_method,
    make_term,
    tick_steps,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/papers/"
HTMX = {"HX-Request": "true"}

SEED = {
    ("딥러닝의 기초 및 역사적 논문", "Foundations"): [
        ("Learning representations by back-propagating errors", 1986),
        ("ImageNet Classification with Deep Convolutional Neural Networks", 2012),
    ],
    ("CNN", "Convolutional Neural Networks"): [
        ("Very Deep Convolutional Networks for Large-Scale Image Recognition", 2014),
        ("Deep Residual Learning for Image Recognition", 2015),
    ],
    ("자연어 처리", "NLP"): [
        ("Attention Is All You Need", 2017),
        ("BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", 2018),
    ],
    ("강화학습", "Reinforcement Learning"): [
        ("Playing Atari with Deep Reinforcement Learning", 2013),
        ("Mastering the game of Go with deep neural networks and tree search", 2016),
    ],
    ("생성 모델", "Generative Models"): [
        ("Generative Adversarial Networks", 2014),
        ("Auto-Encoding Variational Bayes", 2013),
    ],
    ("기타 중요 논문", "Other"): [
        ("Neural Architecture Search with Reinforcement Learning", 2016),
        ("Diffusion Models Beat GANs on Image Synthesis", 2021),
        ("Deep Learning", 2015),
    ],
}


def make_seed_catalog():
    papers = []
    for order, ((ko, en), entries) in enumerate(SEED.items(), start=1):
        category = make_category(name_ko=ko, name_en=en, order=order, slug=slugify(en))
        for i, (title, year) in enumerate(entries, start=1):
            papers.append(make_paper(title=title, year=year, category=category, order=i))
    return papers


def headings(content: str) -> list[str]:
    return re.findall(r'<h2 id="category-[^"]+">([^<]+)<small', content)


# --- list -----------------------------------------------------------------


def test_list_shows_13_seed_papers_in_6_categories_in_order(client):
    papers = make_seed_catalog()
    response = client.get(LIST_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert len(papers) == 13
    assert [h.strip() for h in headings(content)] == [
        "딥러닝의 기초 및 역사적 논문 (Foundations)",
        "CNN (Convolutional Neural Networks)",
        "자연어 처리 (NLP)",
        "강화학습 (Reinforcement Learning)",
        "생성 모델 (Generative Models)",
        "기타 중요 논문 (Other)",
    ]
    for paper in papers:
        assert paper.get_absolute_url() in content
    assert content.index("back-propagating") < content.index("ImageNet") < content.index("Very Deep")
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_list_hides_drafts_from_learners_and_shows_them_to_instructors(client, learner, instructor):
    make_paper(title="Published one")
    make_paper(title="Secret draft", status=Paper.Status.DRAFT)
    assert "Secret draft" not in client.get(LIST_URL).content.decode()
    client.force_login(learner)
    assert "Secret draft" not in client.get(LIST_URL).content.decode()
    client.force_login(instructor)
    content = client.get(LIST_URL).content.decode()
    assert "Secret draft" in content and "초안" in content


def test_plain_search_and_category_filter(client):
    make_seed_catalog()
    content = client.get(LIST_URL, {"q": "attention"}).content.decode()
    assert "Attention Is All You Need" in content and "BERT" not in content
    assert "<html" in content  # a whole page without htmx
    assert 'value="attention"' in content

    content = client.get(LIST_URL, {"q": "2013"}).content.decode()
    assert "Playing Atari" in content and "Auto-Encoding" in content and "Attention" not in content

    content = client.get(LIST_URL, {"q": "생성"}).content.decode()
    assert "Generative Adversarial" in content and "Auto-Encoding" in content and "Attention" not in content

    nlp = "nlp"
    content = client.get(LIST_URL, {"category": nlp}).content.decode()
    assert "Attention Is All You Need" in content and "BERT" in content and "ImageNet" not in content
    assert f'value="{nlp}" selected' in content

    content = client.get(LIST_URL, {"category": nlp, "q": "bert"}).content.decode()
    assert "BERT" in content and "Attention Is All" not in content


def test_htmx_search_returns_only_the_results_partial(client):
    make_seed_catalog()
    response = client.get(LIST_URL, {"q": "residual"}, headers=HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="paper-results"')
    assert "<html" not in content and "<form" not in content
    assert "Deep Residual Learning" in content and "Attention" not in content
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_whole_page(client):
    make_paper(title="Any")
    response = client.get(LIST_URL, headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_search_form_is_wired_for_htmx_and_plain_get(client):
    content = client.get(LIST_URL).content.decode()
    assert '<form method="get" action="/papers/"' in content and "<search" in content
    assert 'hx-trigger="input changed delay:300ms, search"' in content
    assert 'hx-target="#paper-results"' in content and 'hx-push-url="true"' in content
    assert '<label for="paper-q">' in content and '<label for="paper-category">' in content


def test_unknown_category_and_empty_results_explain_themselves(client):
    make_paper(title="Only paper")
    content = client.get(LIST_URL, {"category": "nope"}).content.decode()
    assert "선택한 분야를 찾을 수 없어" in content and "Only paper" in content
    content = client.get(LIST_URL, {"q": "zzz-nothing"}).content.decode()
    assert "조건에 맞는 논문이 없습니다" in content
    assert client.get(LIST_URL, {"q": "x" * 5000}).status_code == 200


def test_list_shows_each_learners_status(client, learner, other_learner):
    started = make_paper(title="Started paper", steps=4)
    done = make_paper(title="Finished paper", steps=2)
    make_paper(title="Untouched paper", steps=2)
    tick_steps(user=learner, paper=started, count=1)
    tick_steps(user=learner, paper=done)
    client.force_login(learner)
    content = client.get(LIST_URL).content.decode()
    assert "1 / 4 단계" in content and "2 / 2 단계" in content and "0 / 2 단계" in content
    assert content.count("badge badge-warn") == 1 and content.count("badge badge-ok") == 1
    assert 'style="width: 25%"' in content
    client.force_login(other_learner)
    content = client.get(LIST_URL).content.decode()
    assert "1 / 4 단계" not in content and "badge badge-ok" not in content


def test_anonymous_list_has_no_progress(client):
    make_paper(title="P")
    assert "progress-bar" not in client.get(LIST_URL).content.decode()


# --- detail ---------------------------------------------------------------


def test_detail_shows_metadata_guide_checklist_links(client, learner):
    make_reading_method()
    foundation = make_paper(title="Learning representations by back-propagating errors", year=1986)
    paper = make_paper(
        title="Attention Is All You Need",
        authors="Vaswani, Shazeer, Parmar",
        year=2017,
        venue="NeurIPS 2017",
        summary="Transformer 구조를 제안한 논문.",
        arxiv_id="1706.03762",
        paper_url="https://arxiv.org/abs/1706.03762",
        code_url="https://github.com/tensorflow/tensor2tensor",
        guide="## 핵심 아이디어\n\n**Self-attention**만으로 번역한다.",
        steps=0,
    )
    paper.ensure_checklist()
    paper.prerequisites.add(foundation)
    successor = make_paper(title="BERT: Pre-training")
    successor.prerequisites.add(paper)
    draft_successor = make_paper(title="Hidden successor", status=Paper.Status.DRAFT)
    draft_successor.prerequisites.add(paper)
    quiz = make_quiz(paper=paper, title="Transformer 퀴즈")
    make_quiz(paper=paper, title="Unpublished quiz", is_published=False)
    term = make_term(name_ko="어텐션", name_en="Attention", papers=[paper])

    client.force_login(learner)
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    for text in [
        "Attention Is All You Need",
        "Vaswani, Shazeer, Parmar",
        "NeurIPS 2017",
        "Transformer 구조를 제안한 논문.",
        "<strong>Self-attention</strong>",
        "구조적 접근하기",
        "실습과 병행하기",
        "0 / 7 단계 완료",
        "https://github.com/tensorflow/tensor2tensor",
        "https://arxiv.org/abs/1706.03762",
        "https://www.semanticscholar.org/search?q=Attention+Is+All+You+Need",
        "https://www.connectedpapers.com/search?q=Attention+Is+All+You+Need",
    ]:
        assert text in content, text
    assert foundation.get_absolute_url() in content
    assert successor.get_absolute_url() in content
    assert "Hidden successor" not in content
    assert quiz.get_absolute_url() in content and "Unpublished quiz" not in content
    assert term.get_absolute_url() in content and "어텐션 (Attention)" in content
    assert '<pre id="bibtex"' in content and "@inproceedings{vaswani2017attention," in content
    assert 'data-copy-target="bibtex"' in content
    assert f'action="{reverse("papers:step_toggle", args=[paper.slug, paper.checklist_steps.first().pk])}"' in content


def test_detail_of_draft_is_404_for_learners_but_visible_to_instructors(client, learner, instructor):
    draft = make_paper(title="Draft paper", status=Paper.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(learner)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(instructor)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "초안" in content and f"/admin/papers/paper/{draft.pk}/change/" in content


def test_unknown_paper_is_404(client):
    assert client.get("/papers/no-such-paper/").status_code == 404


def test_anonymous_detail_asks_to_sign_in(client):
    paper = make_paper()
    content = client.get(paper.get_absolute_url()).content.decode()
    assert f"/accounts/login/?next={paper.get_absolute_url()}" in content.replace("%2F", "/")
    assert "step_toggle" not in content and "/toggle/" not in content


# --- toggling steps ---------------------------------------------------------


def toggle_url(paper, step):
    return reverse("papers:step_toggle", args=[paper.slug, step.pk])


def test_anonymous_toggle_is_redirected_to_sign_in(client):
    paper = make_paper()
    step = paper.checklist_steps.first()
    response = client.post(toggle_url(paper, step), {"done": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={paper.get_absolute_url()}"
    assert not StepProgress.objects.exists()
    response = client.post(toggle_url(paper, step), {"done": "1"}, headers=HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


def test_ticking_steps_updates_status_without_js(learner_client, learner):
    paper = make_paper(steps=2)
    first, second = paper.checklist_steps.all()
    response = learner_client.post(toggle_url(paper, first), {"done": "1"})
    assert response.status_code == 302 and response["Location"] == paper.get_absolute_url() + "#checklist"
    content = learner_client.get(paper.get_absolute_url()).content.decode()
    assert "1 / 2 단계 완료" in content and "읽는 중" in content
    learner_client.post(toggle_url(paper, second), {"done": "1"})
    content = learner_client.get(paper.get_absolute_url()).content.decode()
    assert "2 / 2 단계 완료" in content and "badge badge-ok" in content
    learner_client.post(toggle_url(paper, first), {"done": "0"})
    learner_client.post(toggle_url(paper, second), {"done": "0"})
    content = learner_client.get(paper.get_absolute_url()).content.decode()
    assert "0 / 2 단계 완료" in content and "읽기 전" in content


def test_double_post_is_harmless_and_missing_done_flips(learner_client, learner):
    paper = make_paper(steps=1)
    step = paper.checklist_steps.get()
    learner_client.post(toggle_url(paper, step), {"done": "1"})
    learner_client.post(toggle_url(paper, step), {"done": "1"})
    assert StepProgress.objects.filter(user=learner).count() == 1
    learner_client.post(toggle_url(paper, step))
    assert not StepProgress.objects.filter(user=learner).exists()
    learner_client.post(toggle_url(paper, step), {"done": "bogus"})
    assert StepProgress.objects.filter(user=learner).count() == 1


def test_toggle_with_htmx_returns_only_the_checklist_and_signals(learner_client, learner):
    paper = make_paper(steps=3)
    step = paper.checklist_steps.first()
    received = []

    def receiver(sender, user, paper, **kwargs):
        received.append((user.pk, paper.pk))

    reading_progress_changed.connect(receiver)
    try:
        response = learner_client.post(toggle_url(paper, step), {"done": "1"}, headers=HTMX)
    finally:
        reading_progress_changed.disconnect(receiver)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="checklist"')
    assert "<html" not in content and "1 / 3 단계 완료" in content
    assert 'aria-pressed="true"' in content and f'id="step-{step.pk}-toggle"' in content
    assert "readingProgressChanged" in response["HX-Trigger"]
    assert "HX-Request" in response["Vary"]
    assert received == [(learner.pk, paper.pk)]


def test_progress_is_per_learner(client, learner, other_learner):
    paper = make_paper(steps=2)
    step = paper.checklist_steps.first()
    tick_steps(user=other_learner, paper=paper)
    client.force_login(learner)
    client.post(toggle_url(paper, step), {"done": "1"})
    client.post(toggle_url(paper, step), {"done": "0"})
    assert StepProgress.objects.filter(user=other_learner).count() == 2
    assert not StepProgress.objects.filter(user=learner).exists()
    client.force_login(other_learner)
    assert "2 / 2 단계 완료" in client.get(paper.get_absolute_url()).content.decode()


def test_toggle_checks_step_belongs_to_a_visible_paper(learner_client):
    paper = make_paper()
    other = make_paper()
    other_step = other.checklist_steps.first()
    assert learner_client.post(toggle_url(paper, other_step), {"done": "1"}).status_code == 404
    draft = make_paper(status=Paper.Status.DRAFT)
    draft_step = draft.checklist_steps.first()
    assert learner_client.post(toggle_url(draft, draft_step), {"done": "1"}).status_code == 404
    assert not StepProgress.objects.exists()


def test_toggle_is_post_only_and_needs_csrf(learner):
    paper = make_paper()
    step = paper.checklist_steps.first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert client.get(toggle_url(paper, step)).status_code == 405
    assert client.post(toggle_url(paper, step), {"done": "1"}).status_code == 403
    assert not StepProgress.objects.exists()


# --- guide ----------------------------------------------------------------


def test_guide_shows_reading_method(client):
    make_reading_method(intro="1. **구조적 접근하기**\n   - 제목, 초록, 결론부터 읽으세요")
    response = client.get("/guide/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "효과적인 논문 읽기 방법" in content
    assert "<strong>구조적 접근하기</strong>" in content
    assert "실습과 병행하기" in content and "7단계가 각 논문 페이지의 읽기 체크리스트" in content
    assert "자세한 설명 7" not in content  # the introduction already explains the steps


def test_guide_without_introduction_shows_step_details(client):
    make_reading_method(intro="")
    content = client.get("/guide/").content.decode()
    assert "구조적 접근하기" in content and "자세한 설명 7" in content


def test_guide_without_reading_method_shows_empty_state(client):
    response = client.get("/guide/")
    assert response.status_code == 200
    assert "읽기 가이드가 아직 준비되지 않았습니다" in response.content.decode()


# --- pagination -------------------------------------------------------------


def make_many(n, **fields):
    category = fields.pop("category", None) or make_category(name_ko="많은 분야", slug="many")
    return [make_paper(title=f"Numbered paper {i:03d}", category=category, order=i, **fields) for i in range(n)]


def card_titles(content: str) -> list[str]:
    return re.findall(r"Numbered paper (\d{3})", content)


def test_list_is_paginated_with_plain_links(client):
    make_many(PAGE_SIZE + 6)
    content = client.get(LIST_URL).content.decode()
    assert card_titles(content) == [f"{i:03d}" for i in range(PAGE_SIZE)]
    assert f"논문 {PAGE_SIZE + 6}편" in content  # the count is the total, not the page's
    assert '<nav class="pagination"' in content and 'aria-current="page">1</a>' in content
    assert 'href="/papers/?page=2"' in content and 'rel="next"' in content and 'rel="prev"' not in content

    content = client.get(LIST_URL, {"page": "2"}).content.decode()
    assert card_titles(content) == [f"{i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 6)]
    assert 'href="/papers/"' in content and 'rel="prev"' in content and 'rel="next"' not in content
    assert "<html" in content


def test_page_links_work_with_htmx_and_keep_the_search(client):
    nlp = make_category(name_ko="자연어 처리", name_en="NLP", slug="nlp")
    make_many(PAGE_SIZE + 2, category=nlp)
    make_paper(title="Numbered paper elsewhere")  # another category: filtered out
    response = client.get(LIST_URL, {"q": "numbered", "category": "nlp"}, headers=HTMX)
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="paper-results"') and "<html" not in content
    assert f"조건에 맞는 논문 {PAGE_SIZE + 2}편" in content
    link = "/papers/?q=numbered&amp;category=nlp&amp;page=2"
    assert f'href="{link}"' in content and f'hx-get="{link}"' in content
    assert 'hx-target="#paper-results"' in content and 'hx-push-url="true"' in content

    response = client.get(LIST_URL, {"q": "numbered", "category": "nlp", "page": "2"}, headers=HTMX)
    content = response.content.decode()
    assert card_titles(content) == [f"{i:03d}" for i in range(PAGE_SIZE, PAGE_SIZE + 2)]
    assert "elsewhere" not in content and "HX-Request" in response["Vary"]


def test_a_page_keeps_grouping_by_category_with_category_totals(client):
    first = make_category(name_ko="첫 분야", slug="first", order=1)
    second = make_category(name_ko="둘째 분야", slug="second", order=2)
    make_many(PAGE_SIZE - 2, category=first)
    for i in range(5):
        make_paper(title=f"Second {i}", category=second, order=i)
    content = client.get(LIST_URL).content.decode()
    assert [h.strip() for h in headings(content)] == ["첫 분야", "둘째 분야"]
    assert content.count('class="paper-card"') == PAGE_SIZE
    assert "5편" in content  # the second category's total, of which this page shows two
    content = client.get(LIST_URL, {"page": "2"}).content.decode()
    assert [h.strip() for h in headings(content)] == ["둘째 분야"]
    assert content.count('class="paper-card"') == 3


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "", "9999", "99999999999999999999", "２", "1e3"])
def test_bad_page_numbers_give_a_page_not_an_error(client, page):
    make_many(PAGE_SIZE + 1)
    response = client.get(LIST_URL, {"page": page})
    assert response.status_code == 200
    titles = card_titles(response.content.decode())
    assert titles in ([f"{i:03d}" for i in range(PAGE_SIZE)], [f"{PAGE_SIZE:03d}"])
    if page in ("9999", "99999999999999999999"):
        assert titles == [f"{PAGE_SIZE:03d}"]  # past the end: the last page


def test_progress_on_a_cached_page_follows_the_learner(learner_client, learner):
    paper = make_paper(title="Cached paper", steps=2)
    first, second = paper.checklist_steps.all()
    assert "0 / 2 단계" in learner_client.get(LIST_URL).content.decode()
    learner_client.post(toggle_url(paper, first), {"done": "1"})
    content = learner_client.get(LIST_URL).content.decode()
    assert "1 / 2 단계" in content and "badge badge-warn" in content
    learner_client.post(toggle_url(paper, second), {"done": "1"})
    assert "2 / 2 단계" in learner_client.get(LIST_URL).content.decode()
    assert "2 / 2 단계 완료" in learner_client.get(paper.get_absolute_url()).content.decode()
