"""What a request reads with its session (core.cache's snapshot, accounts.sessions)."""

from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import cache
from django.urls import reverse

from core import cache as fragments


def test_versions_come_from_the_snapshot_until_the_request_bumps_one():
    key = fragments.version_key("snap")
    cache.set(key, "in-cache", timeout=None)
    with fragments.request_snapshot():
        fragments.remember({key: "in-snapshot"}, [key])
        assert fragments.versions("snap") == ("in-snapshot",)
        fragments.bump("snap")  # the request's own write
        after = fragments.versions("snap")
        assert after == (cache.get(key),) and after != ("in-snapshot",)
    assert fragments.versions("snap") == (cache.get(key),)


def test_outside_a_request_nothing_is_remembered():
    key = fragments.version_key("snap")
    cache.set(key, "in-cache", timeout=None)
    fragments.remember({key: "stale"}, [key])
    assert fragments.versions("snap") == ("in-cache",)


def _count_reads(monkeypatch) -> list[list[str]]:
    """Each cache read (round trip) as its keys; LocMemCache's get_many calls get itself."""
    calls, depth = [], [0]
    get_many, get = cache.get_many, cache.get

    def counted(read, keys, *args, **kwargs):
        if not depth[0]:
            calls.append(list(keys))
        depth[0] += 1
        try:
            return read(*args, **kwargs)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(cache, "get_many", lambda keys, *a, **k: counted(get_many, keys, keys, *a, **k))
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: counted(get, [key], key, *a, **k))
    return calls


def test_a_signed_in_page_reads_session_user_and_versions_in_one_round_trip(learner_client, learner, monkeypatch):
    url = reverse("glossary:term_list")
    learner_client.get(url)  # this process learns whose session it is
    calls = _count_reads(monkeypatch)
    assert learner_client.get(url).status_code == 200
    first, rest = calls[0], [key for call in calls[1:] for key in call]
    assert first[0].startswith(KEY_PREFIX)
    assert f"user:{learner.pk}" in first and fragments.version_key("glossary") in first
    assert f"user:{learner.pk}" not in rest and fragments.version_key("glossary") not in rest
    assert not [key for key in rest if key.startswith(KEY_PREFIX)]


def test_a_deactivated_learner_is_signed_out_at_once(learner_client, learner):
    url = reverse("progress:dashboard")
    assert learner_client.get(url).status_code == 200
    learner.is_active = False
    learner.save()
    assert learner_client.get(url).status_code == 302


def test_a_session_signed_out_elsewhere_is_not_served_from_memory(learner_client, learner):
    url = reverse("progress:dashboard")
    assert learner_client.get(url).status_code == 200
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.backends.base import SessionBase  # noqa: F401  (the store in use)

    store = import_module(settings.SESSION_ENGINE).SessionStore(learner_client.cookies["sessionid"].value)
    store.delete()
    assert learner_client.get(url).status_code == 302


def test_the_versions_most_pages_read_are_read_with_the_session():
    keys = fragments.session_read_keys(7)
    for name in ("papers", "glossary", "markdown", "progress-catalog", "user:7", "paper-ticks:7"):
        assert fragments.version_key(name) in keys
    assert "user:7" in keys
    assert not [key for key in fragments.session_read_keys(None) if "7" in key]


def test_a_paper_page_seen_before_needs_no_cache_round_trip_beyond_the_session(learner_client, monkeypatch):
    from tests.factories import make_paper

    url = make_paper(guide="**guide**").get_absolute_url()
    learner_client.get(url)
    learner_client.get(url)  # the outline is now in this process's copy
    calls = _count_reads(monkeypatch)
    assert learner_client.get(url).status_code == 200
    assert len(calls) == 1 and calls[0][0].startswith(KEY_PREFIX)


def test_ticks_cached_under_older_versions_are_not_used(learner_client, learner):
    from papers.pages import ticks_key
    from tests.factories import make_paper

    paper = make_paper(steps=2)
    step = paper.checklist_steps.first()
    url = paper.get_absolute_url()
    learner_client.get(url)
    step.set_done(learner, True)
    cache.set(ticks_key(learner.pk), (("old", "old"), {}), timeout=None)  # a copy from before the tick
    assert "1/2" in learner_client.get(url).content.decode().replace(" ", "")


def test_the_htmx_glossary_search_does_not_read_the_session(learner_client, monkeypatch):
    url = reverse("glossary:term_list")
    learner_client.get(url, {"q": "a"}, headers={"HX-Request": "true"})
    calls = _count_reads(monkeypatch)
    assert learner_client.get(url, {"q": "a"}, headers={"HX-Request": "true"}).status_code == 200
    assert not [key for call in calls for key in call if key.startswith(KEY_PREFIX)]


def test_a_term_page_reads_its_version_with_the_session(learner_client, monkeypatch):
    from tests.factories import make_term

    url = make_term(name_ko="역전파", name_en="Backpropagation").get_absolute_url()
    learner_client.get(url)
    calls = _count_reads(monkeypatch)
    assert learner_client.get(url).status_code == 200
    assert calls[0][0].startswith(KEY_PREFIX)
    assert fragments.version_key("glossary") not in [key for call in calls[1:] for key in call]


def test_a_requests_own_versions_are_read_with_its_session_and_only_in_that_request():
    own = fragments.version_key("question-7")
    fragments.read_with_this_session("question-7")  # outside a request: nothing to remember
    assert own not in fragments.session_read_keys(None)
    with fragments.request_snapshot():
        fragments.read_with_this_session("question-7")
        assert own in fragments.session_read_keys(None) and own in fragments.session_read_keys(1)
    with fragments.request_snapshot():
        assert own not in fragments.session_read_keys(1)
