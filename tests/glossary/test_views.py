import pytest
from django.urls import reverse

from glossary.index import PAGE_SIZE
from tests.factories import make_paper, make_term, make_terms_bulk

pytestmark = pytest.mark.django_db

INDEX = "/glossary/"


@pytest.fixture
def terms():
    backprop = make_paper(title="Learning representations by back-propagating errors", slug="backprop")
    transformer = make_paper(title="Attention Is All You Need", slug="transformer")
    return {
        "bp": make_term(
            name_ko="역전파",
            name_en="Back-propagation",
            slug="backprop-term",
            papers=[backprop],
            definition="오차를 **거꾸로** 전파한다.",
        ),
        "hidden": make_term(name_ko="은닉층", name_en="Hidden Layer", slug="hidden-layer", papers=[backprop]),
        "wp": make_term(name_en="Word-piece", aliases="WordPiece", slug="word-piece", papers=[transformer]),
        "bpe": make_term(name_en="Byte-Pair Encoding", abbreviation="BPE", slug="bpe", papers=[transformer]),
        "kyeol": make_term(name_ko="결정적 시기", name_en="Critical Period", slug="critical", papers=[backprop]),
    }


def test_url_names():
    assert reverse("glossary:term_list") == INDEX
    assert reverse("glossary:review") == "/glossary/review/"
    assert reverse("glossary:term_detail", args=["bpe"]) == "/glossary/bpe/"


def test_index_groups_terms_by_initial_with_a_jump_bar(client, terms):
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    for initial in ("ㅇ", "ㄱ", "B", "W"):
        assert f'<a href="#initial-{initial}">{initial}</a>' in html
        assert f'id="initial-{initial}"' in html
    assert '<span class="muted" aria-hidden="true">ㄴ</span>' in html
    # Hangul groups come before Latin ones, in dictionary order.
    assert html.index('id="initial-ㄱ"') < html.index('id="initial-ㅇ"') < html.index('id="initial-B"')
    assert html.index('id="initial-B"') < html.index('id="initial-W"')
    assert "glossary/preview.js" in html


def test_search_matches_korean_english_and_aliases(client, terms):
    for q, slug in [
        ("역전", "backprop-term"),
        ("back propagation", "backprop-term"),
        ("wordpiece", "word-piece"),
        ("bpe", "bpe"),
        ("HIDDEN", "hidden-layer"),
        ("결정적", "critical"),
    ]:
        html = client.get(INDEX, {"q": q}).content.decode()
        assert f'data-term="{slug}"' in html, q
        assert html.count('class="term-link"') == 1, q


def test_htmx_search_returns_only_the_results_fragment(client, terms):
    response = client.get(INDEX, {"q": "역전파"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="term-results"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    assert 'data-term="backprop-term"' in html


def test_empty_search_says_so(client, terms):
    html = client.get(INDEX, {"q": "없는용어"}).content.decode()
    assert "찾는 용어가 없습니다" in html or "No term" in html


def test_filter_by_paper(client, terms):
    html = client.get(INDEX, {"paper": "transformer"}).content.decode()
    assert 'data-term="bpe"' in html and 'data-term="word-piece"' in html
    assert 'data-term="backprop-term"' not in html


def test_unknown_paper_shows_a_message_and_everything(client, terms):
    html = client.get(INDEX, {"paper": "nope"}).content.decode()
    assert 'role="alert"' in html
    assert 'data-term="bpe"' in html and 'data-term="backprop-term"' in html


def test_draft_papers_are_not_offered_to_learners(client, terms):
    make_term(name_en="Secret", papers=[make_paper(title="Draft paper", slug="drafty", status="draft")])
    assert "Draft paper" not in client.get(reverse("glossary:paper_options")).content.decode()
    assert "Draft paper" not in client.get(INDEX).content.decode()
    assert "drafty" not in client.get(reverse("glossary:term_detail", args=["bpe"])).content.decode()


def test_the_papers_dropdown_loads_its_options_when_reached_for(client, terms):
    html = client.get(INDEX).content.decode()
    select = html[html.index('<select id="term-paper"') : html.index("</select>")]
    assert select.count("<option") == 1  # "all papers" only: the page stays light with hundreds of papers
    options_url = reverse("glossary:paper_options")
    assert f'hx-get="{options_url}"' in html and 'hx-trigger="pointerenter once, focusin once' in html
    options = client.get(options_url, headers={"HX-Request": "true"}).content.decode()
    assert options.count("<option") == 3 and 'value="transformer"' in options and "selected" not in options
    assert "<html" not in options

    filtered = client.get(INDEX, {"paper": "transformer"}).content.decode()
    assert f'hx-get="{options_url}?paper=transformer"' in filtered
    assert '<option value="transformer" selected>' in filtered
    options = client.get(options_url, {"paper": "transformer"}, headers={"HX-Request": "true"}).content.decode()
    assert options.count("<option") == 3 and '<option value="transformer" selected>' in options


def test_without_javascript_the_papers_are_a_page_of_links(client, terms):
    make_term(name_en="Secret", papers=[make_paper(title="Draft paper", slug="drafty", status="draft")])
    index_html = client.get(INDEX).content.decode()
    assert f'href="{reverse("glossary:paper_options")}"' in index_html
    html = client.get(reverse("glossary:paper_options")).content.decode()
    assert "<html" in html and "<option" not in html
    assert f'href="{INDEX}?paper=transformer"' in html and "Draft paper" not in html


def test_paper_options_run_no_query_once_cached(client, terms, django_assert_num_queries):
    client.get(reverse("glossary:paper_options"), headers={"HX-Request": "true"})
    with django_assert_num_queries(0):
        response = client.get(reverse("glossary:paper_options"), headers={"HX-Request": "true"})
    assert response.content.decode().count("<option") == 3


def test_learner_sees_add_paper_to_deck_button_when_filtered(learner_client, terms):
    html = learner_client.get(INDEX, {"paper": "transformer"}).content.decode()
    assert reverse("glossary:deck_add_paper", args=["transformer"]) in html


def test_detail_shows_definition_related_terms_and_papers(client, terms):
    terms["bp"].related.add(terms["hidden"])
    response = client.get(terms["bp"].get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>거꾸로</strong>" in html
    assert 'data-term="hidden-layer"' in html
    assert reverse("papers:paper_detail", args=["backprop"]) in html
    assert "Back-propagation" in html


def test_detail_of_unknown_term_is_404(client, db):
    assert client.get("/glossary/nope/").status_code == 404


def test_preview_is_a_small_fragment(client, terms):
    response = client.get(reverse("glossary:term_preview", args=["backprop-term"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="term-preview"')
    assert "오차를 거꾸로 전파한다." in html
    assert "<html" not in html


def test_korean_slug_works(client, db):
    term = make_term(name_ko="모멘텀", slug="모멘텀")
    assert client.get(term.get_absolute_url()).status_code == 200
    assert client.get(reverse("glossary:term_preview", args=["모멘텀"])).status_code == 200


# --- pages of the index --------------------------------------------------------


def test_the_index_shows_one_page_at_a_time(client, db):
    make_terms_bulk(count=PAGE_SIZE * 2 + 50)
    first = client.get(INDEX).content.decode()
    assert first.count('class="term-link"') == PAGE_SIZE
    assert "1 / 3" in first
    assert 'href="/glossary/?page=2" rel="next"' in first and 'rel="prev"' not in first
    last = client.get(INDEX, {"page": "3"}).content.decode()
    assert last.count('class="term-link"') == 50
    assert 'href="/glossary/?page=2" rel="prev"' in last and 'rel="next"' not in last
    assert "용어 250개" in last or "250 terms" in last  # the count is of all pages


def test_page_links_work_with_htmx_and_without(client, db):
    make_terms_bulk(count=PAGE_SIZE + 5)
    html = client.get(INDEX).content.decode()
    # Without JavaScript the link is a plain link; with htmx it swaps the results only.
    assert 'href="/glossary/?page=2" rel="next" hx-get="/glossary/?page=2" hx-target="#term-results"' in html
    response = client.get(INDEX, {"page": "2"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="term-results"') and "<html" not in fragment
    assert fragment.count('class="term-link"') == 5
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "２", "99", "9" * 40, ""])
def test_bad_page_numbers_give_a_clean_page(client, page):
    make_terms_bulk(count=PAGE_SIZE + 5)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(INDEX, {"page": page}, headers=headers)
        assert response.status_code == 200
        assert response.content.decode().count('class="term-link"') in (PAGE_SIZE, 5)  # the first or the last page


def test_the_jump_bar_links_to_the_page_of_each_initial(client, db):
    make_terms_bulk(count=PAGE_SIZE + 10)  # 대량 용어 …: all under ㄷ
    make_term(name_en="Zeta", slug="zeta")
    html = client.get(INDEX).content.decode()
    assert '<a href="#initial-ㄷ">ㄷ</a>' in html  # on this page
    assert '<a href="/glossary/?page=2#initial-Z">Z</a>' in html  # on the next one
    assert '<span class="muted" aria-hidden="true">A</span>' in html
    page_two = client.get(INDEX, {"page": "2"}).content.decode()
    assert '<a href="#initial-ㄷ">ㄷ</a>' in page_two and '<a href="#initial-Z">Z</a>' in page_two
    assert page_two.index('id="initial-ㄷ"') < page_two.index('id="initial-Z"')


def test_search_results_are_paginated_and_keep_the_search_in_links(client, db):
    paper = make_paper(slug="big")
    make_terms_bulk(count=PAGE_SIZE + 20, paper=paper)
    make_terms_bulk(count=5, prefix="Other")
    html = client.get(INDEX, {"q": "bulk term", "paper": "big"}).content.decode()
    assert html.count('class="term-link"') == PAGE_SIZE
    assert "?q=bulk+term&amp;paper=big&amp;page=2" in html
    assert 'value="bulk term"' in html and '<option value="big" selected>' in html
    assert html.count("<option") == 2  # all papers and the selected one: the others load when needed
    html = client.get(INDEX, {"q": "bulk term", "paper": "big", "page": "2"}).content.decode()
    assert html.count('class="term-link"') == 20


# --- query counts: flat from a few terms to many ---------------------------------


@pytest.mark.parametrize("count", [30, 3000])
def test_index_and_search_run_a_fixed_number_of_queries(client, learner, django_assert_num_queries, count):
    paper = make_paper(slug="big")
    make_terms_bulk(count=count, paper=paper)
    client.force_login(learner)
    client.get("/")  # the signed-in user is cached now
    # Not cached yet: the page's terms (ids in order), their entries (the papers dropdown loads apart).
    with django_assert_num_queries(2):
        response = client.get(INDEX)
    assert response.content.decode().count('class="term-link"') == min(count, PAGE_SIZE)
    with django_assert_num_queries(0):
        client.get(INDEX)
    # A search that is not cached yet lists its terms (and, the first time, finds the papers
    # that have terms); their entries are cached already.
    with django_assert_num_queries(2):
        client.get(INDEX, {"q": "bulk term", "paper": "big"}, headers={"HX-Request": "true"})
    with django_assert_num_queries(0):
        client.get(INDEX, {"q": "bulk term", "paper": "big"}, headers={"HX-Request": "true"})
    with django_assert_num_queries(1):
        client.get(INDEX, {"q": "대량"})


def test_a_cached_htmx_search_needs_no_query_and_no_user(client, learner, django_assert_num_queries):
    make_terms_bulk(count=30)
    client.force_login(learner)
    client.get(INDEX, {"q": "bulk"}, headers={"HX-Request": "true"})
    with django_assert_num_queries(0):
        response = client.get(INDEX, {"q": "bulk"}, headers={"HX-Request": "true"})
    assert response.content.decode().count('class="term-link"') == 30


@pytest.mark.parametrize("count", [30, 3000])
def test_detail_runs_a_fixed_number_of_queries(client, learner, django_assert_num_queries, count):
    terms = make_terms_bulk(count=count, paper=make_paper())
    term = terms[0]
    term.related.set(terms[1:])
    client.force_login(learner)
    client.get("/")
    # The term, its related terms, its papers; and whether it is in the learner's deck.
    with django_assert_num_queries(4):
        assert client.get(term.get_absolute_url()).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(term.get_absolute_url()).status_code == 200
    preview = reverse("glossary:term_preview", args=[term.slug])
    with django_assert_num_queries(1):
        assert client.get(preview).status_code == 200
    with django_assert_num_queries(0):
        assert client.get(preview).status_code == 200
