"""Keep the Instructors group able to author every content model.

The group is created by a data migration; this keeps its permissions in step
when apps add models later, and makes its members staff so that they reach
the admin.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver

from accounts.backends import forget_user
from accounts.permissions import sync_instructor_permissions
from core.cache import M2M_WRITES
from core.permissions import INSTRUCTORS_GROUP


@receiver(post_migrate)
def _sync_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate runs once per app, after that app's permissions exist; syncing
    # every time (idempotent, a few queries) means the last run sees every model.
    sync_instructor_permissions(using=using)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _user_changed(sender, instance, **kwargs):
    forget_user(instance.pk)


@receiver(post_save, sender=Group)
@receiver(post_delete, sender=Group)
def _group_changed(sender, **kwargs):
    forget_user()  # a renamed or deleted group can change anyone's instructor flag


@receiver(m2m_changed, sender=Group.user_set.through)
def _membership_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in M2M_WRITES:
        return
    if not reverse:
        forget_user(instance.pk)
    elif pk_set:
        for user_id in pk_set:
            forget_user(user_id)
    else:
        forget_user()  # group.user_set.clear(): the members are not named


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
