"""How a request's signed-in user is loaded: once per change, not once per request.

Every page needs the user (the session names only its id) and whether they are
an instructor (the navigation shows instructor links). `AccountBackend` reads
both with one query and keeps the row in the cache (Redis in production), so a
request costs one cache round trip instead of a database query.

The cached copy is tagged with the user's version token; `forget_user()` (the
signals in accounts/signals.py call it on every save or delete of the user, on
group membership changes and on group changes) puts a new token in place at
once and again after the commit. A copy tagged with an older token is never
used, so a request that read the row just before a change cannot keep it
alive. Sign-in, password checks and permissions are Django's ModelBackend's.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Exists, OuterRef

from core.cache import bump_on_commit, read_many, read_with_session_for_user, tokens_in, version_key
from core.permissions import INSTRUCTORS_GROUP, remember_instructor

USER_CACHE_TIMEOUT = 10 * 60
ALL_USERS = "user:all"  # the version every cached user depends on (group renames and deletes)


def _user_version(user_id) -> str:
    return f"user:{user_id}"


def user_cache_keys(user_id) -> list[str]:
    """The cache keys `AccountBackend.get_user` reads: the cached row, then its version tags."""
    return [f"user:{user_id}", version_key(_user_version(user_id)), version_key(ALL_USERS)]


# Every signed-in request reads them: the session store brings them with the session.
read_with_session_for_user(user_cache_keys)


def forget_user(user_id=None) -> None:
    """Stop using cached copies of one user (or of every user, with no id)."""
    bump_on_commit(_user_version(user_id) if user_id is not None else ALL_USERS)


def load_user(user_id):
    """The user with `in_instructors_group` annotated, from the database."""
    User = get_user_model()
    in_group = Group.user_set.through.objects.filter(user_id=OuterRef("pk"), group__name=INSTRUCTORS_GROUP)
    user = User._default_manager.annotate(in_instructors_group=Exists(in_group)).get(pk=user_id)
    remember_instructor(user, user.is_staff or user.in_instructors_group)
    return user


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        keys = user_cache_keys(user_id)
        data_key = keys[0]
        names = (_user_version(user_id), ALL_USERS)
        found = read_many(keys)
        cached = found.get(data_key)
        if cached is not None and cached[0] == tuple(found.get(version_key(name)) for name in names):
            user = cached[1]
        else:
            # The tag is read before the row: a change after this read gets a new tag.
            tag = tokens_in(found, names)
            try:
                user = load_user(user_id)
            except get_user_model().DoesNotExist:
                return None
            cache.set(data_key, (tag, user), timeout=USER_CACHE_TIMEOUT)
        return user if self.user_can_authenticate(user) else None
