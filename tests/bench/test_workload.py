from collections import Counter

import pytest
from django.urls import clear_url_caches

from bench import loaddata, views
from bench import urls as bench_urls
from bench.endpoints import ENDPOINTS, MIX
from bench.prep import count_queries, write_requests
from bench.workload import Workload

pytestmark = pytest.mark.django_db


@pytest.fixture
def load_data():
    loaddata.generate(sizes=loaddata.Sizes(learners=12, papers=4, terms=20, attempts=30, cards_per_learner=6), seed=5)


@pytest.fixture
def bench_urlconf(settings):
    settings.ROOT_URLCONF = "tests.bench.urls"
    clear_url_caches()
    yield
    clear_url_caches()


def test_bare_view_is_mounted_only_in_bench_mode(settings, monkeypatch, rf):
    monkeypatch.delenv("BENCH_MODE", raising=False)
    assert bench_urls.bench_urlpatterns() == []
    monkeypatch.setenv("BENCH_MODE", "1")
    assert [p.name for p in bench_urls.bench_urlpatterns()] == ["bench_bare", "bench_floor"]
    settings.BENCH_MODE = False  # a setting wins over the environment
    assert bench_urls.bench_urlpatterns() == []
    response = views.bare(rf.get("/bench/bare/"))
    assert response.status_code == 200 and response.content == b"ok"


def test_every_endpoint_answers_as_the_benchmark_expects(load_data, bench_urlconf):
    """The requests the load test sends (sessions, CSRF, form fields) work against the real views."""
    result = count_queries(samples=2, seed=3)

    assert set(result) == {e.name for e in ENDPOINTS}
    for name, figures in result.items():
        assert figures["unexpected_statuses"] == [], (name, figures["statuses"])
        assert isinstance(figures["queries"], int), name
    assert result["bare"]["queries"] == 0
    # The floor page reads the user (and the instructor flag) in one query, and nothing else.
    assert result["floor"]["queries"] == 1, result["floor"]["sql"]


def test_stateful_requests_use_fresh_rows(load_data):
    workload = Workload(seed=2, learners=10, batch=4)

    starts = workload.requests("quiz_start", 10)
    assert len({r.path + r.headers["Cookie"] for r in starts}) == len(starts)
    submits = workload.requests("submit", 10)
    assert len({r.path for r in submits}) == len(submits)
    saves = workload.requests("autosave", 8)
    first = saves[0]
    assert first.headers["HX-Request"] == "true" and "seq-" in first.body
    ratings = workload.requests("review_rate", 5)
    assert all(r.once for r in starts + submits + saves + ratings)


def test_each_card_is_rated_twice_as_real_reviews(load_data):
    """A due card, then the same card again with the review count the first rating left: both are reviews."""
    from urllib.parse import parse_qs

    from django.test import Client

    from bench.prep import run_in_process
    from glossary.models import Card

    workload = Workload(seed=4, learners=10, batch=3)
    ratings = workload.requests("review_rate", 6)
    first, again = ratings[:3], ratings[3:]
    assert [r.path for r in first] == [r.path for r in again] and len({r.path for r in first}) == 3
    card_ids = [int(r.path.rstrip("/").split("/")[-2]) for r in first]
    before = dict(Card.objects.filter(pk__in=card_ids).values_list("pk", "reps"))
    for r, pk in zip(again, card_ids, strict=True):
        assert parse_qs(r.body)["reps"] == [str(before[pk] + 1)]
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    assert [run_in_process(r, client)[0] for r in ratings] == [200] * 6
    after = dict(Card.objects.filter(pk__in=card_ids).values_list("pk", "reps"))
    assert after == {pk: reps + 2 for pk, reps in before.items()}  # neither rating was refused as stale


def test_mixed_workload_follows_the_weights(load_data):
    workload = Workload(seed=2, learners=10, batch=2)
    tags = Counter(r.tag for r in workload.mixed(sum(MIX.values()) * 2))
    assert tags["autosave"] == MIX["autosave"] * 2
    assert tags["paper_detail"] == MIX["paper_detail"] * 2


def test_request_files_have_one_line_per_request(load_data, tmp_path):
    plan = {"threads": 2, "runs": [{"name": "paper_list", "endpoint": "paper_list", "per_thread": 5}]}
    summary = write_requests(plan, tmp_path)

    assert summary["paper_list"] == {"paper_list": 10}
    lines = (tmp_path / "paper_list" / "thread-1.tsv").read_text().splitlines()
    assert len(lines) == 5
    tag, once, method, path, headers, body, expect = lines[0].split("\t")
    assert (tag, once, method, path, body, expect) == ("paper_list", "0", "GET", "/papers/", "", "200")
    assert headers.startswith("Cookie: sessionid=")
