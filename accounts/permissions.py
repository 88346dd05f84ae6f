from django.contrib.auth.models import Group, Permission

from core.permissions import INSTRUCTORS_GROUP

# Apps whose models instructors author in full in the admin.
CONTENT_APPS = ["papers", "quizzes", "glossary", "lessons"]
# Apps instructors may look at (learners' records) and grade.
VIEW_APPS = ["progress", "auth"]


def instructor_permissions(permission_model=Permission, *, using="default"):
    full = permission_model.objects.using(using).filter(content_type__app_label__in=CONTENT_APPS)
    view = permission_model.objects.using(using).filter(
        content_type__app_label__in=VIEW_APPS, codename__startswith="view_"
    )
    return list(full) + list(view)


def sync_instructor_permissions(*, using="default") -> Group:
    group, _ = Group.objects.using(using).get_or_create(name=INSTRUCTORS_GROUP)
    group.permissions.set(instructor_permissions(using=using))
    return group
