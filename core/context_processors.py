from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core.permissions import is_instructor

# The links of the site's navigation (base.html), by short name.
NAV_URLS = {
    "home": "home",
    "papers": "papers:paper_list",
    "guide": "papers:guide",
    "glossary": "glossary:term_list",
    "dashboard": "progress:dashboard",
    "learners": "progress:instructor_matrix",
    "grading": "quizzes:grading_queue",
    "login": "login",
    "logout": "logout",
    "signup": "signup",
    "set_language": "set_language",
}


@cache
def nav_urls(script_prefix: str) -> dict[str, str]:
    # URLs do not depend on the request beyond the script prefix (no
    # language prefixes), so each page's seven to eleven `{% url %}` lookups
    # are done once per process.
    return {key: reverse(name) for key, name in NAV_URLS.items()}


def site_name() -> str:
    return _("논문 읽기 학교")


def site(request):
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": site_name(),
        "DEBUG": settings.DEBUG,
        "nav": nav_urls(get_script_prefix()),
        # Lazy: only pages that show instructor links pay for the query.
        "is_instructor": SimpleLazyObject(lambda: is_instructor(user)),
        # `{% csrf_token %}` with the token the chrome masked already (Django's own processor masks anew).
        "csrf_token": SimpleLazyObject(lambda: _masked_csrf_token(request)),
    }


def _masked_csrf_token(request) -> str:
    from core.chrome import csrf_token  # core.chrome imports this module

    return csrf_token(request)
