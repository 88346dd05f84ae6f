"""Cached HTML of shared content, under versioned keys.

A page that every learner sees the same way (a paper card, a term entry, the
body of a paper) is rendered once per language and content version and then
read from the cache (Redis in production) by every request. Invalidation is a
version bump, never a key scan: `bump("papers")` makes every key built with
`versions("papers")` new, and the old entries simply age out.

Rules for what goes in:
- only HTML that is the same for every user who may see it (no CSRF token, no
  CSP nonce, no user name, no per-user state, no answer key of an open quiz);
- the key names everything the HTML depends on: the versions of the content it
  shows and the language (`fragment_key` adds the language itself).

Writers call `bump_on_commit(...)` after changing content. It bumps at once
(tests run inside one transaction) and again after the commit, so that a
request that rendered the old rows between the save and the commit cannot keep
them cached under the new version.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

FRAGMENT_TIMEOUT = 24 * 60 * 60  # versioned keys never go stale; this only frees memory

# Bumped by core.models.rerender_all_markdown: every stored `*_html` may have changed
# (glossary links), in bulk and without save() signals. Fragments that show stored
# Markdown HTML include this version.
MARKDOWN = "markdown"


def version_key(name: str) -> str:
    return f"ver:{name}"


def versions(*names: str) -> tuple[str, ...]:
    """The current version token of each content name (one cache round trip)."""
    return tokens_in(cache.get_many([version_key(name) for name in names]), names)


def tokens_in(found: dict, names: Iterable[str]) -> tuple[str, ...]:
    """The version tokens of `names`, from a `get_many` result that asked for their `version_key`s.

    A version that was evicted gets a new random token, never an old one
    again, so nothing cached under an earlier token can come back.
    """
    tokens = []
    for key in map(version_key, names):
        token = found.get(key)
        if token is None:
            token = uuid.uuid4().hex[:12]
            if not cache.add(key, token, timeout=None):
                token = cache.get(key) or token
        tokens.append(token)
    return tuple(tokens)


def bump(*names: str) -> None:
    cache.set_many({version_key(name): uuid.uuid4().hex[:12] for name in names}, timeout=None)


def bump_on_commit(*names: str) -> None:
    bump(*names)
    transaction.on_commit(lambda: bump(*names))


@once
def release() -> str:
    """A digest of the code, templates and translations that fragments are rendered with.

    Part of every fragment key, so a deploy that changes a template or a
    translation never serves HTML cached by the previous release (both can
    share one Redis while servers roll over). Worked out once per process.
    """
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    patterns = ("templates/**/*.html", "*/templates/**/*.html", "*/*.py", "*/templatetags/*.py")
    patterns += ("locale/*/LC_MESSAGES/*.mo",)
    for path in sorted({p for pattern in patterns for p in root.glob(pattern) if ".venv" not in p.parts}):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


M2M_WRITES = frozenset({"post_add", "post_remove", "post_clear"})


def on_m2m_write(callback: Callable[[], None]):
    """An `m2m_changed` receiver that calls `callback()` once links were added, removed or cleared."""

    def receiver(sender, *, action, **kwargs):
        if action in M2M_WRITES:
            callback()

    return receiver


def fragment_key(kind: str, *parts) -> str:
    return ":".join(["frag", release(), kind, get_language() or "-", *(str(part) for part in parts)])


def cached_fragments(
    kind: str,
    items: Sequence,
    key_parts: Callable[[object], Iterable],
    render: Callable[[list], list[str]],
    *,
    timeout: int = FRAGMENT_TIMEOUT,
) -> list[SafeString]:
    """HTML for each item, in order: one `get_many` for all, `render` only the misses (in one call).

    `key_parts(item)` names what the item's HTML depends on (its pk and
    `updated_at`, or a version from `versions()`); `render(missing_items)`
    returns their HTML in the same order.
    """
    keys = [fragment_key(kind, *key_parts(item)) for item in items]
    found = _local.get_many(keys)
    wanted = [key for key in keys if key not in found]
    if wanted:
        shared = cache.get_many(wanted)
        _local.set_many(shared, timeout)
        found.update(shared)
    missing = [(i, item) for i, (key, item) in enumerate(zip(keys, items, strict=True)) if key not in found]
    html = [found.get(key) for key in keys]
    if missing:
        rendered = render([item for _i, item in missing])
        fresh = {}
        for (i, _item), text in zip(missing, rendered, strict=True):
            html[i] = text
            fresh[keys[i]] = text
        cache.set_many(fresh, timeout=timeout)
        _local.set_many(fresh, timeout)
    # Only our own rendered templates are stored, so the text is as safe as when it was rendered.
    return [mark_safe(text) for text in html]  # noqa: S308


def cached_html(key: str, render: Callable[[], str], *, timeout: int = FRAGMENT_TIMEOUT) -> SafeString:
    """One fragment under a full key from `fragment_key`."""
    html = _local.get_many([key]).get(key)
    if html is None:
        html = cache.get(key)
        if html is None:
            html = render()
            cache.set(key, html, timeout=timeout)
        _local.set_many({key: html}, timeout)
    return mark_safe(html)  # noqa: S308 (our own rendered template, see cached_fragments)


class _LocalFragments:
    """A small per-process copy of recently used fragments, in front of the shared cache.

    Fragment keys name the versions and the release they were rendered for,
    so the HTML under a key never changes: a copy can be kept in the process
    without asking Redis again. Bumping a version simply stops using the old
    keys. Entries also expire after LOCAL_TIMEOUT (or the fragment's own
    shorter timeout), so fragments cached for a limited time stay limited,
    and the least recently used go first beyond LOCAL_MAX_ENTRIES.
    """

    LOCAL_TIMEOUT = 60.0
    LOCAL_MAX_ENTRIES = 4000

    def __init__(self):
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        now = time.monotonic()
        found = {}
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is None:
                    continue
                if entry[0] < now:
                    del self._entries[key]
                    continue
                self._entries.move_to_end(key)
                found[key] = entry[1]
        return found

    def set_many(self, items: dict[str, str], timeout) -> None:
        if not items:
            return
        expires = time.monotonic() + min(self.LOCAL_TIMEOUT, timeout or self.LOCAL_TIMEOUT)
        with self._lock:
            for key, html in items.items():
                self._entries[key] = (expires, html)
                self._entries.move_to_end(key)
            while len(self._entries) > self.LOCAL_MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_local = _LocalFragments()


def clear_local() -> None:
    """Forget this process's copies (tests, after clearing the shared cache)."""
    _local.clear()
