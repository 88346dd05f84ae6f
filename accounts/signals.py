"""Keep the Instructors group able to author every content model.

The group is created by a data migration; this keeps its permissions in step
when apps add models later, and makes its members staff so that they reach
the admin.
"""

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_migrate
from django.dispatch import receiver

from accounts.permissions import sync_instructor_permissions
from core.permissions import INSTRUCTORS_GROUP


@receiver(post_migrate)
def _sync_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate runs once per app, after that app's permissions exist; syncing
    # every time (idempotent, a few queries) means the last run sees every model.
    sync_instructor_permissions(using=using)


@receiver(m2m_changed, sender=Group.user_set.through)
def _instructors_are_staff(sender, instance, action, reverse, pk_set, **kwargs):
    if action != "post_add":
        return
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if reverse:  # group.user_set.add(users)
        if instance.name == INSTRUCTORS_GROUP:
            User.objects.filter(pk__in=pk_set, is_staff=False).update(is_staff=True)
    elif Group.objects.filter(pk__in=pk_set, name=INSTRUCTORS_GROUP).exists():  # user.groups.add(group)
        if not instance.is_staff:
            instance.is_staff = True
            instance.save(update_fields=["is_staff"])
