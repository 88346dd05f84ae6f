"""core.cache (versioned fragments) and core.redis_cache (one redis client per pool)."""

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.safestring import SafeString

from core import cache as fragments
from core.redis_cache import RedisCache


def test_bump_changes_the_version_and_nothing_else():
    first = fragments.versions("papers", "terms")
    assert fragments.versions("papers", "terms") == first
    fragments.bump("papers")
    papers, terms = fragments.versions("papers", "terms")
    assert papers != first[0] and terms == first[1]


def test_an_evicted_version_never_comes_back_as_an_old_one():
    before = fragments.versions("papers")
    cache.delete("ver:papers")
    assert fragments.versions("papers") != before


def test_cached_fragments_render_only_the_misses_in_order():
    calls = []

    def render(items):
        calls.append(list(items))
        return [f"<b>{item}</b>" for item in items]

    assert fragments.cached_fragments("t", [1, 2], lambda i: [i], render) == ["<b>1</b>", "<b>2</b>"]
    html = fragments.cached_fragments("t", [3, 2, 1], lambda i: [i], render)
    assert html == ["<b>3</b>", "<b>2</b>", "<b>1</b>"]
    assert calls == [[1, 2], [3]]
    assert all(isinstance(part, SafeString) for part in html)


def test_fragment_keys_are_per_language():
    with translation.override("ko"):
        ko = fragments.cached_html(fragments.fragment_key("greeting"), lambda: "안녕")
    with translation.override("en"):
        en = fragments.cached_html(fragments.fragment_key("greeting"), lambda: "hello")
    assert (ko, en) == ("안녕", "hello")


@pytest.mark.django_db(transaction=True)
def test_bump_on_commit_bumps_again_after_the_commit():
    from django.db import transaction

    before = fragments.versions("papers")
    with transaction.atomic():
        fragments.bump_on_commit("papers")
        during = fragments.versions("papers")
        # A request rendering the old rows now would cache them under `during`...
    after = fragments.versions("papers")
    # ...which the commit makes unreachable.
    assert len({before, during, after}) == 3


@pytest.mark.django_db(transaction=True)
def test_bump_on_commit_outside_a_transaction_bumps_once(monkeypatch):
    bumps = []
    real = fragments.bump
    monkeypatch.setattr(fragments, "bump", lambda *names: bumps.append(names) or real(*names))
    before = fragments.versions("papers")
    fragments.bump_on_commit("papers")  # autocommit: whatever was written is committed already
    assert bumps == [("papers",)] and fragments.versions("papers") != before


def _redis_url() -> str:
    import os

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 (any failure means no server)
        pytest.skip(f"needs Redis at {url} ({type(exc).__name__})")
    return url


def test_redis_cache_keeps_one_client_per_pool():
    backend = RedisCache("redis://127.0.0.1:6379/14", {})
    client = backend._cache.get_client()
    assert backend._cache.get_client() is client
    assert backend._cache.get_client(write=True) is client  # one server: reads and writes share the pool


def test_redis_cache_still_works_as_a_cache():
    backend = RedisCache(_redis_url(), {"KEY_PREFIX": "test-core-cache"})
    backend.set("a", {"x": 1})
    backend.set_many({"b": 2, "c": 3})
    assert backend.get("a") == {"x": 1}
    assert backend.get_many(["a", "b", "c", "missing"]) == {"a": {"x": 1}, "b": 2, "c": 3}
    backend.delete_many(["a", "b", "c"])
    assert backend.get("a") is None


@pytest.mark.django_db
def test_rerendering_stored_markdown_bumps_the_markdown_version():
    from core.models import rerender_all_markdown
    from tests.factories import make_paper

    paper = make_paper()
    before = fragments.versions(fragments.MARKDOWN)
    type(paper).objects.filter(pk=paper.pk).update(guide_html="<p>stale</p>")
    assert rerender_all_markdown() >= 1
    assert fragments.versions(fragments.MARKDOWN) != before
    unchanged = fragments.versions(fragments.MARKDOWN)
    assert rerender_all_markdown() == 0
    assert fragments.versions(fragments.MARKDOWN) == unchanged


def test_fragment_keys_change_with_the_release(settings, tmp_path):
    """A deploy that changes a template must not serve HTML cached by the previous release."""
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.html"
    page.write_text("<p>one</p>")
    settings.BASE_DIR = tmp_path
    fragments.release.cache_clear()
    try:
        first = fragments.fragment_key("card", 1)
        page.write_text("<p>two</p>")
        fragments.release.cache_clear()
        assert fragments.fragment_key("card", 1) != first
    finally:
        fragments.release.cache_clear()


def test_fragments_are_served_from_the_process_copy_until_it_expires(monkeypatch):
    rendered = []

    def render(items):
        rendered.extend(items)
        return [f"<i>{item}</i>" for item in items]

    fragments.cached_fragments("local", [1], lambda i: [i], render)
    cache.clear()  # the shared copy is gone; the process still has it
    assert fragments.cached_fragments("local", [1], lambda i: [i], render) == ["<i>1</i>"]
    assert rendered == [1]
    monkeypatch.setattr(fragments._LocalFragments, "LOCAL_TIMEOUT", -1.0)
    fragments.clear_local()
    fragments.cached_fragments("local", [2], lambda i: [i], render)  # stored already expired
    cache.clear()
    fragments.cached_fragments("local", [2], lambda i: [i], render)
    assert rendered == [1, 2, 2]


def test_the_process_copy_keeps_only_the_most_recent(monkeypatch):
    monkeypatch.setattr(fragments._LocalFragments, "LOCAL_MAX_ENTRIES", 2)
    fragments.clear_local()
    for n in (1, 2, 3):
        fragments.cached_html(fragments.fragment_key("lru", n), lambda n=n: str(n))
    cache.clear()
    assert fragments.cached_html(fragments.fragment_key("lru", 3), lambda: "new") == "3"
    assert fragments.cached_html(fragments.fragment_key("lru", 1), lambda: "new") == "new"


def test_join_escaped_escapes_only_what_is_not_already_safe():
    joined = fragments.join_escaped([SafeString("<b>kept</b>"), "<i>escaped</i>", ""])
    assert joined == "<b>kept</b>&lt;i&gt;escaped&lt;/i&gt;"
    assert isinstance(joined, SafeString)


def test_fill_slots_escapes_values_and_never_rescans_them():
    html = SafeString('<a title="slotxa">slotxb</a>')
    filled = fragments.fill_slots(html, {"slotxa": '"><script>', "slotxb": "slotxa"})
    assert filled == '<a title="&quot;&gt;&lt;script&gt;">slotxa</a>'
    assert isinstance(filled, SafeString)


def test_redis_cache_takes_keys_memcached_would_warn_about():
    import warnings

    backend = RedisCache("redis://127.0.0.1:6379/15", {})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.validate_key("a key with spaces " + "x" * 300)


def test_format_escaped_escapes_like_format_html():
    from django.utils.html import format_html
    from django.utils.safestring import SafeString, mark_safe

    from core.cache import format_escaped

    template = '<p title="{a}">{b} {n} {safe} {lazy}</p>'
    from django.utils.translation import gettext_lazy

    values = {"a": '"><script>&', "b": "<b>'x'</b>", "n": 3, "safe": mark_safe("<i>ok</i>"), "lazy": gettext_lazy("<")}
    fast = format_escaped(template, **values)
    assert fast == format_html(template, **values)
    assert isinstance(fast, SafeString) and "<script>" not in fast and "<i>ok</i>" in fast
