"""The Korean/English catalogs: complete, compiled, and actually used by the pages.

Korean msgids (templates, most messages) are translated in locale/en; English
msgids (model fields, help texts) in locale/ko, so the default Korean UI,
admin included, reads in Korean.
"""

import gettext
import importlib.util
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client
from django.utils import translation

from glossary.models import Card
from quizzes.models import Attempt
from tests.factories import make_category, make_instructor, make_paper, make_question, make_quiz, make_term, make_user

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGS = ["en", "ko"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _load_check_script():
    spec = importlib.util.spec_from_file_location("i18n_check", Path(settings.BASE_DIR) / "scripts" / "i18n-check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# One .po reader and one Korean/English rule: the check script's.
i18n_check = _load_check_script()
read_po = i18n_check.read_po
is_korean = i18n_check.is_korean


def translates(lang: str, msgid: str) -> bool:
    """locale/en translates the Korean msgids, locale/ko the English ones."""
    return is_korean(msgid) == (lang == "en")


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def catalog(lang: str) -> list[dict]:
    return [entry for entry in read_po(po_path(lang)) if entry["msgid"]]


def test_po_reader_reads_context_plural_and_continuation_lines(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#: a.html:1\n#, python-format\nmsgctxt "c"\nmsgid "논문 %(n)s편"\nmsgid_plural "논문 %(n)s편"\n'
        'msgstr[0] "%(n)s paper"\nmsgstr[1] ""\n"%(n)s papers"\n\n'
        '#, fuzzy\nmsgid "복습"\nmsgstr "Review"\n',
        encoding="utf-8",
    )
    header, plural, fuzzy = read_po(path)
    assert header["msgid"] == "" and header["msgstr"] == ["Language: en\n"]
    assert plural["msgctxt"] == "c" and plural["msgid_plural"] == "논문 %(n)s편"
    assert plural["msgstr"] == ["%(n)s paper", "%(n)s papers"] and plural["flags"] == {"python-format"}
    assert fuzzy["flags"] == {"fuzzy"} and fuzzy["msgstr"] == ["Review"]


def test_korean_and_english_msgids_are_told_apart():
    assert is_korean("논문 %(counter)s편")
    assert is_korean("GIFT 가져오기")
    assert not is_korean("Korean name")
    assert not is_korean("e.g. 역전파")
    assert not is_korean("Short imperative, e.g. '구조적 접근하기'.")


def test_check_script_lists_untranslated_and_fuzzy_entries(tmp_path):
    spec = importlib.util.spec_from_file_location("i18n_check", settings.BASE_DIR / "scripts" / "i18n-check.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = tmp_path / "django.po"
    path.write_text(
        'msgid ""\nmsgstr "Language: en\\n"\n\n'
        'msgid "논문"\nmsgstr "Papers"\n\nmsgid "용어집"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "복습"\nmsgstr "Review"\n\nmsgid "Korean name"\nmsgstr ""\n',
        encoding="utf-8",
    )
    assert script.problems("en", path) == [(7, "untranslated", "용어집"), (11, "fuzzy", "복습")]
    assert script.problems("ko", path) == [(11, "fuzzy", "복습"), (14, "untranslated", "Korean name")]
    assert script.problems("en") == script.problems("ko") == []


@pytest.mark.parametrize("lang", LANGS)
def test_catalogs_exist_with_their_compiled_files(lang):
    assert po_path(lang).is_file()
    assert po_path(lang).with_suffix(".mo").is_file()
    header = read_po(po_path(lang))[0]
    assert header["msgid"] == "" and f"Language: {lang}\n" in header["msgstr"][0]
    plural_forms = {"en": "nplurals=2; plural=(n != 1);", "ko": "nplurals=1; plural=0;"}[lang]
    assert f"Plural-Forms: {plural_forms}\n" in header["msgstr"][0]


@pytest.mark.parametrize("lang", LANGS)
def test_no_fuzzy_entries(lang):
    fuzzy = [entry["msgid"] for entry in read_po(po_path(lang)) if "fuzzy" in entry["flags"]]
    assert fuzzy == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_of_the_other_language_is_translated(lang):
    entries = [entry for entry in catalog(lang) if translates(lang, entry["msgid"])]
    assert len(entries) > (400 if lang == "en" else 150)
    untranslated = [entry["msgid"] for entry in entries if not all(entry["msgstr"])]
    assert untranslated == []


def test_plural_entries_have_one_form_in_korean_and_two_in_english():
    for lang, forms in (("en", 2), ("ko", 1)):
        plurals = [entry for entry in catalog(lang) if entry["msgid_plural"]]
        assert plurals
        assert {len(entry["msgstr"]) for entry in plurals} == {forms}


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_placeholders_and_html(lang):
    for entry in catalog(lang):
        for msgstr in filter(None, entry["msgstr"]):
            assert sorted(set(PLACEHOLDER.findall(msgstr))) == sorted(set(PLACEHOLDER.findall(entry["msgid"]))), msgstr
            assert TAG.findall(msgstr) == TAG.findall(entry["msgid"]), msgstr
            if "python-format" in entry["flags"]:
                names = {name[2:-2]: 1 for name in PLACEHOLDER.findall(entry["msgid"])}
                msgstr % names  # a broken %-sequence raises here, not on the page


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_files_match_the_po_files(lang):
    """The committed .mo holds exactly the .po's translations (re-run `make messages` when this fails)."""
    with po_path(lang).with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in catalog(lang):
        msgid, context, forms = entry["msgid"], entry["msgctxt"], entry["msgstr"]
        if entry["msgid_plural"]:
            for n, form in zip((1, 2), forms + forms[-1:], strict=False):
                expected = form or (msgid if n == 1 else entry["msgid_plural"])
                got = (
                    compiled.npgettext(context, msgid, entry["msgid_plural"], n)
                    if context
                    else compiled.ngettext(msgid, entry["msgid_plural"], n)
                )
                assert got == expected, msgid
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            assert got == (forms[0] or msgid), msgid


def _template_messages():
    """(template, context, msgid, msgid_plural) as Django looks them up when rendering."""
    root = Path(settings.BASE_DIR) / "templates"
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        nodelist = engines["django"].get_template(name).template.nodelist
        for node in nodelist.get_nodes_by_type(TranslateNode):
            variable = node.filter_expression.var
            if getattr(variable, "literal", None) is None:
                continue  # {% translate some_variable %}
            context = node.message_context.var if node.message_context else None
            yield name, context, variable.literal.replace("%", "%%"), None
        for node in nodelist.get_nodes_by_type(BlockTranslateNode):
            context = node.message_context.var if node.message_context else None
            plural = node.render_token_list(node.plural)[0] if node.plural else None
            yield name, context, node.render_token_list(node.singular)[0], plural


def test_every_template_string_is_translated_as_looked_up_at_render_time():
    """Catches strings added after the last `make messages` and msgids that differ at render time."""
    messages = list(_template_messages())
    assert len(messages) > 300
    missing = []
    for name, context, msgid, plural in messages:
        with translation.override("en" if is_korean(msgid) else "ko"):
            if plural and context:
                same = translation.npgettext(context, msgid, plural, 2) == plural
            elif plural:
                same = translation.ngettext(msgid, plural, 2) == plural
            else:
                same = (translation.pgettext(context, msgid) if context else translation.gettext(msgid)) == msgid
        if same:
            missing.append((name, msgid))
    assert missing == []


# --- pages -------------------------------------------------------------------------


def _english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302


def _ui_hangul(html: str) -> list[str]:
    """Korean left on an English page, apart from the switch back to Korean."""
    html = re.sub(r'<button[^>]*lang="ko"[^>]*>\s*한국어\s*</button>', "", html)
    return sorted(set(re.findall(r"[^<>]{0,30}[\uac00-\ud7a3]+[^<>]{0,30}", html)))


@pytest.fixture
def english_content(db):
    """Content in ASCII only, so that any Hangul on an English page is untranslated UI."""
    category = make_category(name_ko="Vision", name_en="Vision")
    paper = make_paper(title="Deep Residual Learning", category=category, summary="Residual connections.")
    make_quiz(paper=paper, title="ResNet quiz", questions=2)
    make_term(name_en="Residual connection", definition="A shortcut.", papers=[paper])
    return paper


@pytest.mark.django_db
def test_korean_by_default(client, english_content):
    html = client.get("/").content.decode()
    assert '<html lang="ko"' in html
    assert ">논문</a>" in html and ">용어집</a>" in html and "논문 읽기 학교" in html
    html = client.get("/papers/").content.decode()
    assert "<h1>논문</h1>" in html and "논문 검색" in html


@pytest.mark.django_db
def test_home_and_paper_list_in_english_after_switching(client, english_content):
    _english(client)
    html = client.get("/").content.decode()
    assert '<html lang="en"' in html
    assert ">Papers</a>" in html and ">Glossary</a>" in html and ">Reading guide</a>" in html
    assert "Paper Reading School" in html and "Learn to read AI research papers properly" in html
    assert ">한국어</button>" in html  # the way back
    assert _ui_hangul(html) == []
    html = client.get("/papers/").content.decode()
    assert "<h1>Papers</h1>" in html and "Search papers" in html and "Deep Residual Learning" in html
    assert _ui_hangul(html) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/papers/deep-residual/", "/glossary/", "/quizzes/resnet-quiz/", "/dashboard/", "/accounts/login/", "/nowhere/"],
)
def test_other_pages_have_no_korean_ui_in_english(client, english_content, url):
    english_content.slug = "deep-residual"
    english_content.save()
    english_content.quizzes.update(slug="resnet-quiz")
    _english(client)
    if url == "/dashboard/":
        client.force_login(make_user(username="reader"))
    response = client.get(url)
    assert response.status_code == (404 if url == "/nowhere/" else 200)
    assert _ui_hangul(response.content.decode()) == []


@pytest.mark.django_db
def test_quiz_and_flashcard_flows_have_no_korean_ui_in_english(english_content):
    """Taking and reviewing a quiz of every question type, flashcards, and the instructor's pages."""
    quiz = make_quiz(paper=english_content, slug="mixed", questions=0, time_limit=timedelta(minutes=30))
    for qtype in ("single", "multiple", "truefalse", "short", "numerical", "model", "essay"):
        make_question(quiz=quiz, qtype=qtype, text=f"Question {qtype}")
    learner, teacher = make_user(username="reader"), make_instructor(username="teacher")
    term = english_content.terms.get()
    pages = {}
    client = Client()
    _english(client)
    client.force_login(learner)
    pages["attempt"] = client.post("/quizzes/mixed/start/", follow=True)
    attempt = Attempt.objects.get(user=learner)
    pages["confirm"] = client.get(f"/quizzes/attempts/{attempt.pk}/submit/")
    pages["results"] = client.post(f"/quizzes/attempts/{attempt.pk}/submit/confirm/", follow=True)
    pages["deck"] = client.post(f"/glossary/deck/add/{term.slug}/", {"next": "/glossary/deck/"}, follow=True)
    card = Card.objects.filter(user=learner).first()
    pages["reveal"] = client.get(f"/glossary/review/{card.pk}/reveal/")
    pages["rated"] = client.post(f"/glossary/review/{card.pk}/rate/", {"rating": 3, "reps": 0}, follow=True)
    pages["term"] = client.get(f"/glossary/{term.slug}/")
    pages["dashboard"] = client.get("/dashboard/")
    pages["forbidden"] = client.get("/instructor/")
    client = Client()
    _english(client)
    client.force_login(teacher)
    essay = attempt.responses.get(question__qtype="essay")
    pages["queue"] = client.get("/quizzes/grading/?show=pending")
    pages["grade"] = client.post(f"/quizzes/grading/responses/{essay.pk}/", {"score": "9"})
    pages["matrix"] = client.get("/instructor/")
    pages["learner"] = client.get(f"/instructor/learners/{learner.pk}/")
    pages["progress stats"] = client.get("/instructor/quizzes/mixed/")
    pages["quiz stats"] = client.get("/quizzes/mixed/stats/")
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {**dict.fromkeys(pages, 200), "forbidden": 403}
    left = {name: _ui_hangul(response.content.decode()) for name, response in pages.items()}
    assert left == dict.fromkeys(pages, [])
    assert "Submitted." in pages["results"].content.decode()
    assert "Next review:" in pages["rated"].content.decode()


@pytest.mark.django_db
def test_admin_paper_form_reads_in_korean_by_default(client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    html = client.get("/admin/papers/paper/add/").content.decode()
    assert "논문 읽기 학교 · 관리" in html
    for label in (
        "제목",
        "저자",
        "연도",
        "학회·저널",
        "한 줄 요약",
        "검색 키워드",
        "논문 URL",
        "읽기 가이드",
        "상태",
        "순서",
    ):
        assert f">{label}:</label>" in html, label
    assert "발표된 그대로의 논문 제목." in html and "초안 논문은 학습자에게 보이지 않습니다." in html
    assert "서지 정보" in html and "체크리스트 단계" in html
    assert "The paper&#x27;s title as published." not in html and "one-line summary" not in html.lower()


@pytest.mark.django_db
def test_admin_paper_form_in_english(client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    _english(client)
    html = client.get("/admin/papers/paper/add/").content.decode()
    assert "Paper Reading School · Admin" in html
    assert ">Title:</label>" in html and ">One-line summary:</label>" in html
    assert "Bibliographic details" in html
