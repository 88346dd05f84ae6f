"""The site's chrome (the head, navigation and footer of base.html), rendered once per process.

Every page shows the same chrome, give or take a few values: the language, the
navigation section that is current, whether the visitor is signed in (and an
instructor), and per request the CSRF token, the user name, the current path
and the CSP nonce. Rendering it with the template engine took a large share of
a small page's time, so each part of `core/chrome.html` is rendered once per
process for each (part, language, section, kind of visitor), with markers in
place of the per-request values, and `core.cache.fill_slots` puts those in,
escaped, on every request. With DEBUG on it is rendered every time, so
template edits show at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.middleware.csrf import get_token
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from core.cache import fill_slots, rendered_once
from core.context_processors import nav_urls, site_name
from core.permissions import is_instructor

# Plain letters and digits: the templates' escaping and `urlencode` leave them as they are.
SLOTS = {
    "csrf_token": "chrome7slot7csrf",
    "username": "chrome7slot7username",
    "full_path": "chrome7slot7path",
    "full_path_quoted": "chrome7slot7quotedpath",
    "csp_nonce": "chrome7slot7nonce",
}
PARTS = ("head", "header", "footer")
# In a template's context: render the chrome with its markers left in (core.frame fills them).
FRAME_FLAG = "chrome_markers_kept"


def csrf_token(request) -> str:
    """The request's masked CSRF token, masked once per request and secret.

    Django's `get_token` masks the secret anew on every call (32 random
    draws); the chrome and a page's own forms can share one masking, as the
    `{% csrf_token %}` tags of one template do.
    """
    secret = request.META.get("CSRF_COOKIE")
    memo = getattr(request, "_masked_csrf_token", None)
    if memo is None or memo[0] != secret:
        token = get_token(request)  # may set the secret first
        memo = request._masked_csrf_token = (request.META.get("CSRF_COOKIE"), token)
    return memo[1]


def section(request) -> str:
    """Which navigation link is the current page's (marked aria-current)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.url_name == "guide":
        return "guide"
    if match.url_name == "dashboard":
        return "dashboard"
    if match.app_name in ("papers", "glossary"):
        return match.app_name
    return ""


def visitor(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "visitor"
    return "instructor" if is_instructor(user) else "learner"


def _render(part: str, language: str, current: str, who: str) -> tuple[str, frozenset[str]]:
    context = {
        **SLOTS,
        "LANGUAGE_CODE": language,
        "SITE_NAME": site_name(),
        "nav": nav_urls(get_script_prefix()),
        "section": current,
        "signed_in": who != "visitor",
        "instructor": who == "instructor",
    }
    html = render_to_string(f"core/chrome.html#{part}", context)
    return html, slots_in(html)


def chrome(context, part: str) -> SafeString:
    """One part of the chrome for the request being rendered, its per-request values filled in.

    While a page's frame is rendered (`core.frame`), the markers stay: the frame fills them per request.
    """
    if part not in PARTS:
        raise ValueError(f"unknown chrome part {part!r}")
    request = context.get("request")
    language = get_language() or settings.LANGUAGE_CODE
    current, who = section(request), visitor(request)
    key = ("chrome", part, language, get_script_prefix(), current, who)
    html, slots = rendered_once(key, lambda: _render(part, language, current, who))
    values = {} if context.get(FRAME_FLAG) else slot_values(request, slots, nonce=context.get("csp_nonce"))
    return fill_slots(html, values)


def slot_values(request, slots: Iterable[str], *, nonce) -> dict[str, str]:
    """The request's value for each of `slots` (names of SLOTS), by marker.

    `nonce` is the request's LazyNonce: reading it puts it in the CSP header too.
    """
    values = {}
    if "csrf_token" in slots:
        values[SLOTS["csrf_token"]] = csrf_token(request) if request is not None else ""
    if "username" in slots:
        values[SLOTS["username"]] = request.user.get_username()
    if "full_path" in slots or "full_path_quoted" in slots:
        path = request.get_full_path() if request is not None else "/"
        values[SLOTS["full_path"]] = path
        values[SLOTS["full_path_quoted"]] = urlencode(path)
    if "csp_nonce" in slots:
        values[SLOTS["csp_nonce"]] = str(nonce) if nonce is not None else ""
    return values


def slots_in(html: str) -> frozenset[str]:
    """The names of the SLOTS whose markers `html` holds."""
    return frozenset(name for name, marker in SLOTS.items() if marker in html)
