import pytest

from core.markdown import render_markdown

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><button>x</button></form>',
    '<p hx-get="/admin/" hx-trigger="load">x</p>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sanitizer_removes_active_content(payload):
    html = render_markdown(f"Intro\n\n{payload}\n\nOutro").lower()
    for needle in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "vbscript:",
        "data:text",
        "<iframe",
        "<form",
        "hx-get",
        "style=",
        "<svg",
        "<math",
    ):
        assert needle not in html


def test_markdown_renders_and_keeps_math_verbatim():
    html = render_markdown("**굵게** and $$\\sqrt{d_k}$$ with $$\\beta_1 = 0.9$$, $$\\beta_2 = 0.98$$")
    assert "<strong>굵게</strong>" in html
    assert '<span class="math">$$\\sqrt{d_k}$$</span>' in html
    assert "$$\\beta_1 = 0.9$$" in html and "<em>" not in html


def test_math_cannot_smuggle_html():
    html = render_markdown("$$<script>alert(1)</script>$$")
    assert "<script" not in html and "&lt;script&gt;" in html


def test_links_get_safe_rel_and_code_keeps_language_class():
    html = render_markdown("[paper](https://arxiv.org/abs/1706.03762)\n\n```python\nx = 1\n```")
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'class="language-python"' in html


def test_unknown_classes_are_stripped():
    assert "evil" not in render_markdown('<span class="evil math">x</span>')


def test_lists_nested_with_three_spaces_render_nested():
    html = render_markdown(
        "1. **구조적 접근하기**\n   - 제목부터\n   - 결론\n2. 둘째\n   - [링크](https://x.example)\n"
    )
    assert html.count("<ol>") == 1
    assert html.count("<ul>") == 2
    assert "<li><strong>구조적 접근하기</strong>" in html.replace("\n", "").replace("<p>", "").replace("</p>", "")


def test_list_indent_normalization_leaves_code_fences_alone():
    html = render_markdown("```\n  - not a list\n```")
    assert "  - not a list" in html
