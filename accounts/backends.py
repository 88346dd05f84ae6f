from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef

from core.permissions import INSTRUCTORS_GROUP, remember_instructor


class AccountBackend(ModelBackend):
    """Django's ModelBackend, whose `get_user` also answers "is this an instructor?".

    Every page asks it (the navigation shows instructor links), so it comes
    with the one query that loads the signed-in user on each request instead
    of a second query on the groups table.
    """

    def get_user(self, user_id):
        User = get_user_model()
        in_group = Group.user_set.through.objects.filter(user_id=OuterRef("pk"), group__name=INSTRUCTORS_GROUP)
        try:
            user = User._default_manager.annotate(in_instructors_group=Exists(in_group)).get(pk=user_id)
        except User.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        remember_instructor(user, user.is_staff or user.in_instructors_group)
        return user
