"""A page's frame, rendered once per process: base.html with the page's title, stylesheet and scripts.

Most pages are a thin template over base.html: a title, a stylesheet,
`{{ content }}` put together from the cache, perhaps a script. Rendering one
still walks base.html, its blocks and the chrome's tags: 0.25–0.35 ms a
request, a quarter of a cached page's time. `render_page` renders the
template once per process for each template, `key`, language, script prefix,
navigation section and kind of visitor, with markers where the `fills` (the
content) and the chrome's per-request values (CSRF token, user name, path,
CSP nonce) go, and fills them in on every request, in one pass
(`core.cache.fill_slots`: fills that are not already safe are escaped, as
the template would).

The template's `context` may show nothing of the request or the user but
through the chrome, and `key` must name everything else it shows (say, the
title). A `{% csrf_token %}` in the frame gets the request's token. A request
with messages to show is rendered as usual, and so is every request with
DEBUG on, so that template edits show at once.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.translation import get_language

from core import chrome
from core.cache import fill_slots, frame_get, frame_set

# A plain word that the templates' escaping leaves as it is; the fill's name follows it.
FILL = "frame7slot7"


def render_page(
    request,
    template_name: str,
    *,
    fills: Mapping[str, str],
    context: Mapping | None = None,
    key: tuple = (),
    status: int = 200,
) -> HttpResponse:
    """`render(request, template_name, {**context, **fills})`, from the template's frame for `key`."""
    context = context or {}
    if settings.DEBUG or _has_messages(request):
        return render(request, template_name, {**context, **fills}, status=status)
    frame_key = (
        template_name,
        key,
        get_language() or settings.LANGUAGE_CODE,
        get_script_prefix(),
        chrome.section(request),
        chrome.visitor(request),
        tuple(fills),
    )
    frame = frame_get(frame_key)
    if frame is None:
        frame = _render_frame(request, template_name, context, fills)
        frame_set(frame_key, frame)
    html, slots = frame
    values = chrome.slot_values(request, slots, nonce=get_nonce(request))
    values.update((FILL + name, value) for name, value in fills.items())
    _tell_the_test_client(template_name, {**context, **fills})
    return HttpResponse(fill_slots(html, values), status=status)


def _render_frame(request, template_name: str, context: Mapping, fills: Mapping[str, str]) -> tuple[str, frozenset]:
    context = {
        **context,
        **{name: format_html(FILL + name + "{}", "") for name in fills},  # the marker, safe as it is
        chrome.FRAME_FLAG: True,
        "csrf_token": chrome.SLOTS["csrf_token"],
        "csp_nonce": chrome.SLOTS["csp_nonce"],
        "messages": (),  # none to show (see render_page)
    }
    html = render_to_string(template_name, context, request=request)
    return html, chrome.slots_in(html)


def _tell_the_test_client(template_name: str, context: dict) -> None:
    """Under Django's test client, record the page's template and context as rendering it would have
    (`response.context`, `assertTemplateUsed`). Elsewhere django.test is not even imported."""
    signals = sys.modules.get("django.test.signals")
    if signals is not None and signals.template_rendered.receivers:
        template = get_template(template_name).template
        signals.template_rendered.send(sender=template, template=template, context=Context(context))


def _has_messages(request) -> bool:
    """Whether the request has messages to show (looking does not use them up)."""
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0
