"""Sessions in the cache and the database (Django's `cached_db`), read in one round trip with
what the request will need next.

A signed-in request reads its session, then the user's cached row and the
versions of the content its page shows (see `core.cache.read_with_session`).
This store asks for all of them in the session's own `get_many`, so a page
needs one cache round trip before its own content instead of three.

The user's keys depend on the user's id, which is inside the session. The id
a session key belongs to never changes (signing in or out always gives a new
session key), so each process remembers it from the session's previous load.
On a process's first request for a session only the session and the content
versions are read together; nothing depends on the remembered id being right,
since the user's row is checked against its version tags as always.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from core.cache import remember, session_read_keys, snapshot_active

MAX_REMEMBERED = 100_000
_user_of_session: dict[str, str] = {}


class SessionStore(CachedDBStore):
    def load(self):
        if not snapshot_active() or not self.session_key:
            return super().load()
        user_id = _user_of_session.get(self.session_key)
        extra = session_read_keys(user_id)
        try:
            found = self._cache.get_many([self.cache_key, *extra])
        except Exception:  # as CachedDBStore.load: an unusable cache key means no cached session
            found = {}
        remember(found, extra)
        data = found.get(self.cache_key)
        if data is None:
            data = super().load()
        user_id = data.get(SESSION_KEY)
        if user_id is not None:
            if len(_user_of_session) >= MAX_REMEMBERED:
                _user_of_session.clear()
            _user_of_session[self.session_key] = user_id
        return data
