"""Stored-XSS payloads and the checks that say whether any of them survived.

Every payload, if it ran, would set `window.__xss` and/or open a dialog, so
the browser test (tests/browser/test_xss.py) can watch for both. The
server-side checks parse the HTML and look at what a browser would execute:
tags, event-handler attributes and URL schemes. Escaped text such as
`&lt;script&gt;` is inert and allowed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# One payload per line of attack; each is tried in every author-controlled field.
HTML_PAYLOADS = [
    # script tags
    "<script>window.__xss=1;alert('xss-script')</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    '<script type="module">window.__xss=1</script>',
    # event handlers
    "<img src=x onerror=\"window.__xss=1;alert('xss-img')\">",
    '<IMG SRC="x" ONERROR="window.__xss=1">',
    "<body onload=window.__xss=1>",
    '<div onmouseover="window.__xss=1" style="width:100%;height:100%">hover</div>',
    '<details open ontoggle="window.__xss=1;alert(1)"><summary>s</summary></details>',
    "<input autofocus onfocus=window.__xss=1>",
    '<a href="#" onclick="window.__xss=1">click</a>',
    '<p style="background:url(javascript:window.__xss=1)">styled</p>',
    # javascript:, data:, vbscript: links and embeds
    '<a href="javascript:window.__xss=1;alert(1)">js-link</a>',
    '<a href="JaVaScRiPt:window.__xss=1">js-case</a>',
    '<a href="jav&#x09;ascript:window.__xss=1">js-tab</a>',
    '<a href="&#106;&#97;vascript:window.__xss=1">js-entity</a>',
    '<a href=" \x01javascript:window.__xss=1">js-control</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data-link</a>',
    '<a href="vbscript:msgbox(1)">vb-link</a>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<object data="javascript:window.__xss=1"></object>',
    '<embed src="data:text/html,<script>window.__xss=1</script>">',
    '<form action="javascript:window.__xss=1"><button formaction="javascript:window.__xss=1">go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    '<link rel="stylesheet" href="javascript:window.__xss=1">',
    # SVG and MathML tricks (including mutation-XSS shapes)
    "<svg onload=window.__xss=1>",
    "<svg><script>window.__xss=1</script></svg>",
    '<svg><a xlink:href="javascript:window.__xss=1"><text x="0" y="15">svg-link</text></a></svg>',
    '<svg><animate onbegin="window.__xss=1" attributeName="x" dur="1s"/></svg>',
    '<svg><set attributeName="href" to="javascript:window.__xss=1"/></svg>',
    '<svg><foreignObject><img src=x onerror="window.__xss=1"></foreignObject></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
    '<math href="javascript:window.__xss=1">math-link</math>',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    '<img src=x alt="a" title="`onerror=window.__xss=1`">',
    "<!--<img src=x onerror=window.__xss=1>-->",
    "<![CDATA[<img src=x onerror=window.__xss=1>]]>",
    # htmx attributes in content would make the page fetch and run things
    '<div hx-get="/xss-htmx/" hx-trigger="load" hx-swap="outerHTML">htmx</div>',
    '<div data-hx-post="/xss-htmx/" data-hx-trigger="load">data-htmx</div>',
    '<button hx-on:click="window.__xss=1">hx-on</button>',
]

MARKDOWN_PAYLOADS = [
    "[md-js](javascript:window.__xss=1)",
    "[md-js-case](JaVaScRiPt:window.__xss=1)",
    "[md-js-space]( javascript:window.__xss=1)",
    "[md-entity](&#106;avascript:window.__xss=1)",
    "[md-data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[md-vb](vbscript:msgbox(1))",
    "![md-img](javascript:window.__xss=1)",
    '![md-img-attr](x" onerror="window.__xss=1)',
    "![md-img-data](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[md-title](https://ok.example "x\\" onmouseover=\\"window.__xss=1")',
    "[md-ref][xssref]\n\n[xssref]: javascript:window.__xss=1",
    "<javascript:window.__xss=1>",
    '<https://ok.example/" onmouseover="window.__xss=1>',
    '# md-attr-list {: onclick="window.__xss=1" }',
    'md-para\n{: onmouseover="window.__xss=1" }',
    "`<script>window.__xss=1</script>` and ```<img src=x onerror=window.__xss=1>```",
    "$$\\href{javascript:window.__xss=1}{math-href}$$",
    '$$</span><img src=x onerror="window.__xss=1"><span>$$',
    "$$\\htmlData{x=1}{y} \\url{javascript:window.__xss=1}$$",
    "*emph<img src=x onerror=window.__xss=1>*",
    "| a | b |\n|---|---|\n| <img src=x onerror=window.__xss=1> | [t](javascript:window.__xss=1) |",
    "{{ request.user }} {% debug %} ${7*7}",
]

ALL_PAYLOADS = HTML_PAYLOADS + MARKDOWN_PAYLOADS


def markdown_blob(marker: str) -> str:
    """All payloads in one Markdown document, with a visible marker proving the field was rendered."""
    return f"{marker}\n\n" + "\n\n".join(ALL_PAYLOADS) + f"\n\n{marker}-end"


def inline_blob(marker: str, *, limit: int | None = None) -> str:
    """A one-line payload mix for plain text fields (titles, names), cut to the field's length."""
    text = (
        f"{marker} <script>window.__xss=1</script><img src=x onerror=window.__xss=1>"
        '"><svg onload=window.__xss=1>\'><a href="javascript:window.__xss=1">j</a>'
    )
    return text[:limit] if limit else text


# Names that glossary auto-linking will find inside the payload text itself.
LINKABLE_NAMES = ["script", "onerror", "javascript", "Alert", "svg"]


# ------------------------------------------------------------------ checks

_DANGEROUS_TAGS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "foreignobject", "animate", "set",
    "animatetransform", "animatemotion", "handler", "listener", "portal", "math", "noscript", "template",
    "xss", "mglyph", "malignmark",
}  # fmt: skip
_URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "lowsrc", "dynsrc",
    "ping", "codebase", "cite", "longdesc", "usemap", "to", "from", "values", "srcset",
}  # fmt: skip
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
_SPACE_AND_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def _scheme_is_bad(value: str) -> bool:
    compact = _SPACE_AND_CONTROL.sub("", value).lower()
    return compact.startswith(_BAD_SCHEMES)


class _Checker(HTMLParser):
    def __init__(self, *, content_only: bool):
        super().__init__(convert_charrefs=True)
        self.content_only = content_only
        self.problems: list[str] = []
        self.script_depth = 0

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        where = self.getpos()
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if self.content_only or not src.startswith(("/static/", "/admin/jsi18n/")):
                self.problems.append(f"{where}: <script {attrs}>")
        elif tag in _DANGEROUS_TAGS:
            self.problems.append(f"{where}: <{tag}>")
        elif tag == "svg" and self.content_only:
            self.problems.append(f"{where}: <svg> in content")
        elif tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.problems.append(f"{where}: <meta http-equiv>")
        elif tag == "link" and self.content_only:
            self.problems.append(f"{where}: <link>")
        elif tag == "style" and self.content_only:
            self.problems.append(f"{where}: <style> in content")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{where}: <{tag} {name}={value!r}>")
            elif name in _URL_ATTRIBUTES and _scheme_is_bad(value):
                self.problems.append(f"{where}: <{tag} {name}={value!r}>")
            elif name == "srcdoc":
                self.problems.append(f"{where}: <{tag} srcdoc>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{where}: <{tag} {name}> (hx-on is not allowed)")
            elif name.startswith(("hx-", "data-hx-")) and (self.content_only or "xss-htmx" in value.lower()):
                self.problems.append(f"{where}: <{tag} {name}={value!r}>")
            elif name == "style" and re.search(r"(javascript:|expression\s*\(|url\s*\()", value, re.I):
                self.problems.append(f"{where}: <{tag} style={value!r}>")

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag == "script":
            self.script_depth += 1

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script" and self.script_depth:
            self.script_depth -= 1

    def handle_data(self, data):
        if self.script_depth and data.strip():
            self.problems.append(f"{self.getpos()}: inline script {data[:60]!r}")


def dangerous_markup(html_text: str, *, content_only: bool = False) -> list[str]:
    """What in `html_text` a browser would execute (empty list: nothing).

    `content_only` is for stored author HTML: there no script, svg, style or
    htmx attribute is acceptable at all. For whole pages, the site's own
    `<script src="/static/…">` tags, SVG charts and htmx attributes are fine.
    """
    checker = _Checker(content_only=content_only)
    checker.feed(html_text)
    checker.close()
    return checker.problems


class _Inventory(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.seen: list[tuple[str, str, str]] = []  # (tag, attribute or "", value)

    def handle_starttag(self, tag, attrs):
        self.seen.append((tag, "", ""))
        self.seen.extend((tag, name, value or "") for name, value in attrs)

    handle_startendtag = handle_starttag


# What the glossary linker and nh3 add on top of core.markdown's allow-list.
_ADDED_ATTRIBUTES = {"a": {"rel", "class", "data-term"}}


def outside_allow_list(stored_html: str) -> list[str]:
    """Tags and attributes in stored `*_html` that core.markdown's allow-list does not permit."""
    from core.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

    inventory = _Inventory()
    inventory.feed(stored_html)
    inventory.close()
    problems = []
    for tag, name, value in inventory.seen:
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}>")
        elif name and name not in ALLOWED_ATTRIBUTES.get(tag, set()) | _ADDED_ATTRIBUTES.get(tag, set()):
            problems.append(f"<{tag} {name}={value!r}>")
    return problems
