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

import functools
import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache as once
from html import escape as escape_text
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.html import conditional_escape
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
    """The current version token of each content name (one cache round trip, or none when the
    request's session read brought them: see `read_with_session`)."""
    return tokens_in(read_many([version_key(name) for name in names]), names)


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
            if _snapshot.active:
                _snapshot.values[key] = token
        tokens.append(token)
    return tuple(tokens)


def bump(*names: str) -> None:
    cache.set_many({version_key(name): uuid.uuid4().hex[:12] for name in names}, timeout=None)
    forget_snapshot()  # this request reads its own writes


def bump_on_commit(*names: str) -> None:
    bump(*names)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: bump(*names))
    # else autocommit: the write is committed already, and one bump after it is enough.


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
    prefix = fragment_key(kind)  # the same for every item: worked out once
    keys = [":".join([prefix, *map(str, key_parts(item))]) for item in items]
    found = get_versioned(keys, timeout)
    missing = [(i, item) for i, (key, item) in enumerate(zip(keys, items, strict=True)) if key not in found]
    html = [found.get(key) for key in keys]
    if missing:
        rendered = render([item for _i, item in missing])
        fresh = {}
        for (i, _item), text in zip(missing, rendered, strict=True):
            html[i] = text
            fresh[keys[i]] = text
        set_versioned(fresh, timeout)
    # Only our own rendered templates are stored, so the text is as safe as when it was rendered.
    return [mark_safe(text) for text in html]  # noqa: S308


def cached_html(key: str, render: Callable[[], str], *, timeout: int = FRAGMENT_TIMEOUT) -> SafeString:
    """One fragment under a full key from `fragment_key`."""
    html = get_versioned([key], timeout).get(key)
    if html is None:
        html = render()
        set_versioned({key: html}, timeout)
    return mark_safe(html)  # noqa: S308 (our own rendered template, see cached_fragments)


def fill_slots(html: str, values: Mapping[str, str]) -> SafeString:
    """HTML our own templates rendered (and escaped), with each slot marker replaced by its value.

    Markers are plain words that the templates' escaping left as they were;
    values are escaped unless already safe. One pass: a value is never
    searched for other markers.
    """
    if not values:
        return mark_safe(html)  # noqa: S308 (our own rendered template, see cached_fragments)
    escaped = {marker: str(conditional_escape(value)) for marker, value in values.items()}
    return mark_safe(_slot_pattern(tuple(escaped)).sub(lambda m: escaped[m.group()], html))  # noqa: S308


def join_escaped(pieces: Iterable[str]) -> SafeString:
    """The pieces joined in order; any that is not already safe (cached fragments are) is escaped.

    `format_html("{}" * n, *pieces)` without parsing a format string.
    """
    return mark_safe("".join(map(conditional_escape, pieces)))  # noqa: S308 (every piece safe or escaped)


def format_escaped(template: str, /, **values) -> SafeString:
    """`format_html(template, **values)` for our own cached format strings, at a fraction of its cost.

    Safe values (SafeString, cached fragments) go in as they are, numbers as
    numbers, anything else escaped as `escape()` would: without
    `format_html`'s per-value lazy-string checks, which add up on a page
    that fills in a hundred values.
    """
    for name, value in values.items():
        if type(value) is str:
            values[name] = escape_text(value)  # what django.utils.html.escape does
        elif not isinstance(value, (int, SafeString)):
            values[name] = conditional_escape(value)
    return mark_safe(template.format(**values))  # noqa: S308 (our own template, every value escaped or safe)


@functools.lru_cache(maxsize=64)
def _slot_pattern(markers: tuple[str, ...]) -> re.Pattern:
    # Longest first: a marker that begins another must not win over it.
    return re.compile("|".join(map(re.escape, sorted(markers, key=len, reverse=True))))


class _LocalFragments:
    """A small per-process copy of recently used fragments, in front of the shared cache.

    Fragment keys name the versions and the release they were rendered for,
    so the HTML under a key never changes: a copy can be kept in the process
    without asking Redis again. Bumping a version simply stops using the old
    keys. Entries also expire after LOCAL_TIMEOUT (or the fragment's own
    shorter timeout), so fragments cached for a limited time stay limited,
    and the least recently used go first beyond LOCAL_MAX_ENTRIES: enough
    for every paper, term and quiz question of the large benchmark set, at
    a few kB each (some tens of MB per worker at most).
    """

    LOCAL_TIMEOUT = 600.0
    LOCAL_MAX_ENTRIES = 20_000

    def __init__(self, max_entries: int | None = None):
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        if max_entries is not None:
            self.LOCAL_MAX_ENTRIES = max_entries

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


def get_versioned(keys: Sequence[str], timeout: int = FRAGMENT_TIMEOUT) -> dict:
    """Values under versioned keys (they never change): this process's copy first, then the cache.

    What the cache had is kept in the process's copy too; `set_versioned` stores new values in both.
    """
    found = _local.get_many(keys)
    wanted = [key for key in keys if key not in found]
    if wanted:
        shared = cache.get_many(wanted)
        _local.set_many(shared, timeout)
        found.update(shared)
    return found


def set_versioned(items: dict, timeout: int = FRAGMENT_TIMEOUT) -> None:
    cache.set_many(items, timeout=timeout)
    _local.set_many(items, timeout)


_rendered_once: dict[tuple, object] = {}


def rendered_once(key: tuple, render: Callable[[], object]):
    """What `render()` made of our own templates, once per process for each `key`.

    For HTML that depends only on the code, the templates and the `key` (the
    chrome, the quiz page's save statuses), so it is kept for the life of the
    process; with DEBUG on it is rendered every time, so template edits show at once.
    """
    value = _rendered_once.get(key)
    if value is None or settings.DEBUG:
        value = _rendered_once[key] = render()
    return value


def local_get(key: str):
    """A value under a versioned key (it never changes) from this process's copy, or None."""
    return _local.get_many([key]).get(key)


def local_set(key: str, value, timeout: int = FRAGMENT_TIMEOUT) -> None:
    """Keep a value under a versioned key in this process's copy (see `_LocalFragments`)."""
    _local.set_many({key: value}, timeout)


# Whole pages put together from fragments for one combination of their per-learner values (say, the
# tick counts of a list page's cards): larger than fragments, so fewer are kept (some tens of MB at most).
_assembled = _LocalFragments(max_entries=2_000)


def assembled_get(key: str):
    """A page put together from versioned fragments, under a key that names all it was made of (or None)."""
    return _assembled.get_many([key]).get(key)


def assembled_set(key: str, value, timeout: int = FRAGMENT_TIMEOUT) -> None:
    _assembled.set_many({key: value}, timeout)


# Pages' frames (core.frame): small, one per template, title, language, section and kind of visitor.
_frames = _LocalFragments(max_entries=5_000)


def frame_get(key: tuple):
    """A page's frame rendered in this process (see core.frame), or None."""
    return _frames.get_many([key]).get(key)


def frame_set(key: tuple, value) -> None:
    _frames.set_many({key: value}, FRAGMENT_TIMEOUT)


def clear_local() -> None:
    """Forget this process's copies (tests, after clearing the shared cache)."""
    _local.clear()
    _assembled.clear()
    _frames.clear()


# --- what a request reads with its session -----------------------------------
#
# Every signed-in request first reads its session from the cache, then the
# user's cached row, then the versions of what its page shows: a cache round
# trip each, and on a busy server each round trip costs about as much as
# rendering a small page. Most pages read the same few versions (the catalog,
# the glossary, the learner's ticks), so the session store
# (`accounts.sessions`) asks for all of them in the session's own round trip,
# and `versions()` and `read_many()` answer from that snapshot for the rest of
# the request. The snapshot lives for one request (`request_snapshot()`, opened
# by `core.middleware.CacheSnapshotMiddleware`) and is dropped by any `bump()`
# in it, so a request always sees its own changes.

_SESSION_VERSIONS: list[str] = []
_SESSION_USER_KEYS: list[Callable[[object], Iterable[str]]] = []


def read_with_session(*names: str) -> None:
    """Content versions that most pages read: fetch them in the session's round trip."""
    _SESSION_VERSIONS.extend(name for name in names if name not in _SESSION_VERSIONS)


def read_with_session_for_user(keys: Callable[[object], Iterable[str]]) -> None:
    """`keys(user_id)`: cache keys of a signed-in user's own that most pages read."""
    if keys not in _SESSION_USER_KEYS:
        _SESSION_USER_KEYS.append(keys)


def read_with_this_session(*names: str) -> None:
    """Versions that this request will read (the question an autosave saves, say): fetched in its
    session's round trip if the session is still to be read, else by `versions()` as usual."""
    if _snapshot.active:
        _snapshot.extra = (*_snapshot.extra, *map(version_key, names))


def versions_with_session(names_of: Callable[..., Iterable[str]]):
    """View decorator: the versions `names_of(**view_kwargs)` come with the request's session.

    Put it above the decorators that read the session (`login_required`).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            read_with_this_session(*names_of(**kwargs))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def session_read_keys(user_id) -> list[str]:
    """The keys to read along with a session (whose user, if known, is `user_id`)."""
    keys = [version_key(name) for name in _SESSION_VERSIONS]
    keys.extend(key for key in _snapshot.extra if key not in keys)
    if user_id is not None:
        for user_keys in _SESSION_USER_KEYS:
            keys.extend(user_keys(user_id))
    return keys


class _Snapshot(threading.local):
    active = False

    def __init__(self):
        self.values: dict[str, object] = {}
        self.asked: frozenset[str] = frozenset()
        self.extra: tuple[str, ...] = ()  # this request's own (`read_with_this_session`)


_snapshot = _Snapshot()


@contextmanager
def request_snapshot() -> Iterator[None]:
    """Let the request's session read bring the keys of `session_read_keys` (see above).

    Only what is read after the session comes from the snapshot: a page that
    shows the user (every full page does, in its chrome) looks at the user
    before it reads versions. A partial that never needs the session (the
    glossary search) does not read it.
    """
    _snapshot.active = True
    _snapshot.extra = ()
    forget_snapshot()
    try:
        yield
    finally:
        _snapshot.active = False
        _snapshot.extra = ()
        forget_snapshot()


def snapshot_active() -> bool:
    return _snapshot.active


def remember(found: dict, asked: Iterable[str]) -> None:
    """What a `get_many` of the keys `asked` found, kept for the rest of the request."""
    if _snapshot.active:
        _snapshot.values = {key: found[key] for key in asked if key in found}
        _snapshot.asked = frozenset(asked)


def forget_snapshot() -> None:
    _snapshot.values = {}
    _snapshot.asked = frozenset()


def read_many(keys: Sequence[str]) -> dict:
    """`cache.get_many(keys)`, answered from the request's snapshot where it has asked already."""
    asked = _snapshot.asked
    if not asked:
        return cache.get_many(keys)
    values = _snapshot.values
    found = {key: values[key] for key in keys if key in values}
    rest = [key for key in keys if key not in asked]
    if rest:
        found.update(cache.get_many(rest))
    return found
