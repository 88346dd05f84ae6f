from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core.permissions import is_instructor


def site(request):
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": _("논문 읽기 학교"),
        "DEBUG": settings.DEBUG,
        # Lazy: only pages that show instructor links pay for the query.
        "is_instructor": SimpleLazyObject(lambda: is_instructor(user)),
    }
