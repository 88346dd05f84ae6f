"""The glossary's cached HTML and when it goes stale.

Index pages, search results, the papers dropdown, term pages and term
previews are cached (see `core.cache`) under one content version, `VERSION`.
It is bumped whenever anything they show may have changed:

- a term is saved or deleted (`linking.terms_changed`, which also covers the
  names, initials and summaries a save recomputes);
- terms are re-linked (`linking.relink_all` rewrites every `definition_html`
  with `bulk_update`, which sends no signals);
- a term's papers or related terms change (`m2m_changed`, either side);
- a paper or a category is saved or deleted (titles, slugs, drafts becoming
  visible, the order of the dropdown).

All of these are rare editor actions, so one version for the whole glossary
is simpler than tracking which page holds which term, and costs little.
"""

from __future__ import annotations

import hashlib

from core.cache import bump_on_commit, on_m2m_write, read_with_session, versions

VERSION = "glossary"
read_with_session(VERSION)  # every glossary page reads it: brought with the session (core.cache)


def version() -> str:
    """The current glossary content version (one cache round trip)."""
    return versions(VERSION)[0]


def content_changed() -> None:
    bump_on_commit(VERSION)


def digest(text: str) -> str:
    """A short, key-safe stand-in for user-supplied text (search words, slugs from the URL)."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


# --- signal receivers (connected in GlossaryConfig.ready) ---------------------------


def on_saved_or_deleted(sender, **kwargs) -> None:
    content_changed()


on_links_changed = on_m2m_write(content_changed)
