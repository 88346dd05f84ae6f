from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

INSTRUCTORS_GROUP = "Instructors"


def is_instructor(user) -> bool:
    """Staff or a member of the Instructors group (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_is_instructor", None)
    if cached is None:
        cached = user.is_staff or user.groups.filter(name=INSTRUCTORS_GROUP).exists()
        remember_instructor(user, cached)
    return cached


def remember_instructor(user, value: bool) -> None:
    """Cache the answer on this user object (accounts.backends sets it when it loads the user)."""
    user._is_instructor = value


def instructor_required(view):
    """Signed-in instructors only: anonymous users go to sign in, learners get 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_instructor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
