from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from quizzes.gift import GiftError, export_gift, import_gift, parse_gift
from quizzes.models import Question, Quiz
from tests.factories import make_paper, make_question, make_quiz

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "moodle-gift"
if not CONFORMANCE.is_dir():
    CONFORMANCE = Path("/work/shared/conformance/moodle-gift")

SAMPLE = r"""// 이 파일의 주석은 무시됩니다.
$CATEGORY: 딥러닝/기초

// question: 1
::활성화 함수::[markdown]**ReLU**의 정의는? {
  =max(0, x) # 맞습니다
  ~sigmoid # 아닙니다
  ~%50%max(0, x)의 근사 # 절반
  #### ReLU는 $$\max(0, x)$$ 입니다.
}

::복수 선택::다음 중 정규화 기법은? {
  ~%50%Dropout
  ~%50%Batch Normalization
  ~%-100%ReLU # 활성화 함수입니다
}

::참거짓 T::역전파는 1986년에 발표되었다.{T}

::참거짓 FALSE::Transformer는 RNN을 쓴다.{FALSE#틀렸어요#맞아요: RNN이 없습니다.####셀프 어텐션만 씁니다.}

::짧은 답::Attention 논문의 모델 이름은?{
  =Transformer#정답
  =%50%Trans*#거의
}

::수치 허용 오차::$$\sqrt\{d_k\}$$에서 d_k\=64일 때 값은? {#8:0.5}

::수치 범위::1부터 5 사이의 수는?{#1..5}

::여러 수치::π는?{#
  =3.14159:0.0001#정확해요
  =%50%3.1:0.1#근사
  ~#아니에요
}

$CATEGORY: 딥러닝/논술

::논술::역전파를 설명하시오.{}

::이스케이프::a\=b, c\~d, e\#f, \{g\}, h\:i 와 줄\n바꿈, 역슬래시 \\ 는?{=a\=b\:c#피드백 \# 기호}

::html::[html]<p onclick="x()">굵게 <b>b</b></p><script>alert(1)</script>{=ok}

::plain::[plain]*별표* <태그> 그대로{=ok}

Grant is {~buried =entombed ~living} in Grant's tomb.

// qtype: model
// model_answer: 오차를 뒤로 전파해\n가중치를 고칩니다.
// points: 2
::모범 답안::역전파의 목표는?{}
"""


def by_name(doc):
    return {q.name: q for q in doc.questions}


# ---------------------------------------------------------------- parser


def test_parser_reads_every_feature_of_the_sample():
    doc = parse_gift(SAMPLE)
    assert doc.skipped == []
    q = by_name(doc)
    assert len(doc.questions) == 14

    mc = q["활성화 함수"]
    assert (mc.qtype, mc.line, mc.category) == ("single", 5, "딥러닝/기초")
    assert mc.text == "**ReLU**의 정의는?"
    assert [(a.text, a.fraction, a.feedback) for a in mc.answers] == [
        ("max(0, x)", 1, "맞습니다"), ("sigmoid", 0, "아닙니다"), ("max(0, x)의 근사", Decimal("0.5"), "절반"),
    ]  # fmt: skip
    assert mc.general_feedback == "ReLU는 $$\\max(0, x)$$ 입니다."

    multi = q["복수 선택"]
    assert multi.qtype == "multiple"
    assert [a.fraction for a in multi.answers] == [Decimal("0.5"), Decimal("0.5"), Decimal(-1)]

    tf_true, tf_false = q["참거짓 T"], q["참거짓 FALSE"]
    assert tf_true.qtype == "truefalse" and [(a.value, a.fraction) for a in tf_true.answers] == [(1, 1), (0, 0)]
    assert [(a.value, a.fraction, a.feedback) for a in tf_false.answers] == [
        (1, 0, "틀렸어요"),
        (0, 1, "맞아요: RNN이 없습니다."),
    ]
    assert tf_false.general_feedback == "셀프 어텐션만 씁니다."

    short = q["짧은 답"]
    assert short.qtype == "short"
    assert [(a.text, a.fraction, a.feedback) for a in short.answers] == [
        ("Transformer", 1, "정답"),
        ("Trans*", Decimal("0.5"), "거의"),
    ]

    tolerance = q["수치 허용 오차"]
    assert tolerance.qtype == "numerical" and tolerance.text == "$$\\sqrt{d_k}$$에서 d_k=64일 때 값은?"
    assert [(a.value, a.tolerance) for a in tolerance.answers] == [(8, Decimal("0.5"))]
    assert [(a.value, a.tolerance) for a in q["수치 범위"].answers] == [(3, 2)]
    several = q["여러 수치"].answers
    assert [(a.value, a.tolerance, a.fraction, a.feedback) for a in several] == [
        (Decimal("3.14159"), Decimal("0.0001"), 1, "정확해요"),
        (Decimal("3.1"), Decimal("0.1"), Decimal("0.5"), "근사"),
        (None, 0, 0, "아니에요"),
    ]

    essay = q["논술"]
    assert essay.qtype == "essay" and essay.answers == [] and essay.category == "딥러닝/논술"

    escaped = q["이스케이프"]
    assert escaped.text == "a=b, c~d, e#f, {g}, h:i 와 줄\n바꿈, 역슬래시 \\ 는?"
    assert [(a.text, a.feedback) for a in escaped.answers] == [("a=b:c", "피드백 # 기호")]

    assert q["plain"].text == "\\*별표\\* &lt;태그&gt; 그대로"
    assert q["html"].text.startswith('<p onclick="x()">')  # sanitized when rendered, below

    missing_word = next(x for x in doc.questions if x.name == "")
    assert missing_word.qtype == "single" and missing_word.text == "Grant is _____ in Grant's tomb."

    model = q["모범 답안"]
    assert (model.qtype, model.model_answer, model.points) == (
        "model",
        "오차를 뒤로 전파해\n가중치를 고칩니다.",
        Decimal(2),
    )


def test_parser_reads_moodles_own_fixtures():
    doc = parse_gift((CONFORMANCE / "questions.gift.txt").read_text(encoding="utf-8"))
    types = sorted(q.qtype for q in doc.questions)
    assert types == sorted(["essay", "single", "multiple", "numerical", "short", "truefalse", "truefalse", "truefalse"])
    assert [(s.line, s.name) for s in doc.skipped] == [(5, "Moodle activities")]
    assert "matching" in doc.skipped[0].reason
    q = by_name(doc)
    assert [a.fraction for a in q["colours"].answers] == [Decimal("0.5"), Decimal(-1), Decimal("0.5"), Decimal(-1)]
    assert [(a.value, a.tolerance, a.feedback) for a in q["Q5"].answers] == [(3, 2, ""), (None, 0, "Completely wrong")]
    assert [(a.text, a.fraction) for a in q["Shortanswer"].answers] == [("Frog", 1), ("Cat", Decimal("0.5")), ("*", 0)]
    assert q["Q1"].general_feedback.startswith("This is, of course")
    assert q["Q2"].answers[2].text == "blue"  # [plain]

    doc = parse_gift((CONFORMANCE / "questions_in_category.gift.txt").read_text(encoding="utf-8"))
    assert {q.category for q in doc.questions} == {"$course$/Default for New Features"}
    assert sorted(q.qtype for q in doc.questions) == ["short", "single", "truefalse"]
    assert [(s.line, s.name) for s in doc.skipped] == [(5, "Moodle activities")]
    greeting = by_name(doc)["Greeting"]
    assert greeting.text.startswith(
        '<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen to this greeting:</a>'
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("::ok::fine{T}\n\n::broken::no closing brace {=a ~b\n", 3, "'}'"),
        ("::a::x {=a}\n\n\n::b:: y }{\n", 4, "'}'"),
        ("::unclosed title {T}\n", 1, "::"),
        ("::w::q{\n=a\n~%abc%b\n}\n", 3, "가중치"),
        ("::w::q{~%150%a ~b}\n", 1, "-100%"),
        ("::n::q{#\n=3:abc\n}\n", 2, "숫자"),
        ("::n::q{#}\n", 1, "수치"),
        ("::one::q{~only}\n", 1, "두 개"),
        ("::two::q{=a ~b} and {=c ~d}\n", 1, "하나만"),
        ("::nest::q{=a { ~b}\n", 1, "'{'"),
        ("// c\n::points::q{}\n// points: many\n", 3, "points"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(GiftError) as excinfo:
        parse_gift(text)
    assert excinfo.value.line == line
    assert message in excinfo.value.message
    assert f"{line}행" in str(excinfo.value)


def test_description_questions_are_skipped_with_their_line():
    doc = parse_gift("::d::Just some text\n\n::q::Real question{T}\n")
    assert [(s.line, s.name) for s in doc.skipped] == [(1, "d")] and len(doc.questions) == 1


def test_comment_only_blocks_and_windows_newlines():
    doc = parse_gift("\ufeff// only comments\r\n// here\r\n\r\n::a::q{T}\r\n")
    assert len(doc.questions) == 1 and doc.questions[0].line == 4


# ---------------------------------------------------------------- importer


@pytest.mark.django_db
def test_import_writes_questions_and_sanitized_html():
    quiz = make_quiz(questions=1)
    result = import_gift(quiz=quiz, text=SAMPLE)
    assert len(result.created) == 14 and result.skipped == []
    assert list(quiz.questions.order_by("order").values_list("order", flat=True)) == list(range(1, 16))
    html_q = quiz.questions.get(name="html")
    assert "<b>b</b>" in html_q.text_html and "onclick" not in html_q.text_html and "<script" not in html_q.text_html
    assert quiz.questions.get(name="활성화 함수").text_html.startswith("<p><strong>ReLU</strong>")
    plain = quiz.questions.get(name="plain")
    assert "*별표*" in plain.text_html and "&lt;태그&gt;" in plain.text_html and "<em>" not in plain.text_html
    tf = quiz.questions.get(name="참거짓 FALSE")
    assert [(a.text, a.value, a.fraction) for a in tf.answers.order_by("order")] == [("참", 1, 0), ("거짓", 0, 1)]
    model = quiz.questions.get(name="모범 답안")
    assert model.qtype == "model" and model.points == 2 and "가중치를" in model.model_answer_html
    assert quiz.questions.get(name="여러 수치").answers.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["questions.gift.txt", "questions_in_category.gift.txt"])
def test_import_of_moodles_fixtures(name):
    quiz = make_quiz(questions=0)
    result = import_gift(quiz=quiz, text=(CONFORMANCE / name).read_text(encoding="utf-8"))
    expected = 8 if name == "questions.gift.txt" else 3
    assert len(result.created) == expected == quiz.questions.count()
    assert [s.line for s in result.skipped] == [5]


@pytest.mark.django_db
def test_a_malformed_file_imports_nothing():
    quiz = make_quiz(questions=0)
    with pytest.raises(GiftError) as excinfo:
        import_gift(quiz=quiz, text=SAMPLE + "\n::bad::broken {=a\n")
    assert excinfo.value.line == SAMPLE.count("\n") + 2
    assert quiz.questions.count() == 0


@pytest.mark.django_db
def test_replace_is_refused_once_there_are_attempts(learner):
    from quizzes.models import Attempt

    quiz = make_quiz(questions=2)
    import_gift(quiz=quiz, text="::a::q{T}\n", replace=True)
    assert list(quiz.questions.values_list("name", flat=True)) == ["a"]
    Attempt.start(quiz=quiz, user=learner)
    with pytest.raises(GiftError):
        import_gift(quiz=quiz, text="::b::q{T}\n", replace=True)
    assert list(quiz.questions.values_list("name", flat=True)) == ["a"]


# ---------------------------------------------------------------- exporter


def snapshot(quiz):
    return [
        (
            q.qtype, q.name, q.text, q.general_feedback, q.model_answer, q.points, q.category, q.case_sensitive,
            [(a.text, a.fraction, a.feedback, a.value, a.tolerance) for a in q.answers.order_by("order")],
        )
        for q in quiz.questions.order_by("order")
    ]  # fmt: skip


@pytest.mark.django_db
def test_export_then_import_round_trips_every_type():
    quiz = make_quiz(questions=0)
    import_gift(quiz=quiz, text=SAMPLE)
    make_question(
        quiz=quiz,
        qtype="single",
        name="특수문자",
        text="중괄호 {a}, 등호 =, 물결 ~, 샵 #, 콜론 :, 역슬래시 \\\n\n두 번째 문단",
        general_feedback="해설 {#}",
        category="딥러닝/논술",
        answers=[
            {"text": "x = {1}", "fraction": 1, "feedback": "#1"},
            {"text": "y", "fraction": "0.33333", "feedback": ""},
        ],
    )
    exported = export_gift(quiz=quiz)
    assert "$CATEGORY: 딥러닝/기초" in exported and "// qtype: model" in exported
    copy = make_quiz(questions=0)
    result = import_gift(quiz=copy, text=exported)
    assert result.skipped == []
    original, imported = snapshot(quiz), snapshot(copy)
    # Plain-format text was stored as escaped Markdown, and a missing-word question has no name: both survive as is.
    assert imported == original


@pytest.mark.django_db
def test_exported_file_matches_moodles_syntax():
    quiz = make_quiz(questions=0, title="Q")
    make_question(quiz=quiz, qtype="truefalse", name="tf", text="참인가?", general_feedback="해설")
    make_question(quiz=quiz, qtype="numerical", name="n", answers=[{"value": 3, "tolerance": 2, "fraction": 1}])
    make_question(quiz=quiz, qtype="essay", name="e", text="설명하시오.")
    exported = export_gift(quiz=quiz)
    assert "::tf::[markdown]참인가?{TRUE####해설}" in exported
    assert "::n::[markdown]Question 2?{#\n\t=%100%3:2\n}" in exported
    assert "::e::[markdown]설명하시오.{}" in exported


# ---------------------------------------------------------------- command and admin


@pytest.mark.django_db
def test_import_gift_command(capsys):
    quiz = make_quiz(questions=0, slug="moodle")
    call_command("import_gift", str(CONFORMANCE / "questions.gift.txt"), "--quiz", "moodle")
    out, err = capsys.readouterr()
    assert "Imported 8 question(s)" in out and "skipped 1" in out
    assert ":5: skipped Moodle activities" in err
    assert quiz.questions.count() == 8

    with pytest.raises(CommandError, match="No quiz"):
        call_command("import_gift", str(CONFORMANCE / "questions.gift.txt"), "--quiz", "nope")
    paper = make_paper(slug="gift-paper")
    call_command(
        "import_gift", str(CONFORMANCE / "questions_in_category.gift.txt"), "--quiz", "new-quiz", "--paper", paper.slug
    )
    assert Quiz.objects.get(slug="new-quiz").questions.count() == 3


@pytest.mark.django_db
def test_import_gift_command_refuses_a_malformed_file(tmp_path):
    quiz = make_quiz(questions=0, slug="target")
    path = tmp_path / "bad.gift.txt"
    path.write_text("::ok::fine{T}\n\n::bad::{=a\n", encoding="utf-8")
    with pytest.raises(CommandError, match="3행"):
        call_command("import_gift", str(path), "--quiz", "target")
    assert quiz.questions.count() == 0
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9{T}".encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_gift", str(latin), "--quiz", "target")


@pytest.mark.django_db
def test_admin_upload_imports_and_reports(instructor_client):
    quiz = make_quiz(questions=0)
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    assert instructor_client.get(url).status_code == 200
    upload = SimpleUploadedFile(
        "q.gift.txt", (CONFORMANCE / "questions.gift.txt").read_bytes(), content_type="text/plain"
    )
    response = instructor_client.post(url, {"file": upload}, follow=True)
    html = response.content.decode()
    assert "문항 8개를 가져왔습니다" in html and "5행" in html
    assert quiz.questions.count() == 8

    bad = SimpleUploadedFile("bad.txt", b"::ok::fine{T}\n\n::bad:: x {=a\n", content_type="text/plain")
    response = instructor_client.post(url, {"file": bad})
    html = response.content.decode()
    assert response.status_code == 200 and "3행" in html and "아무 문항도 가져오지 않았습니다" in html
    assert quiz.questions.count() == 8
    binary = SimpleUploadedFile("x.txt", b"\xff\xfe\x00bad", content_type="text/plain")
    assert "UTF-8" in instructor_client.post(url, {"file": binary}).content.decode()


@pytest.mark.django_db
def test_admin_export_action(instructor_client):
    quiz = make_quiz(questions=2)
    response = instructor_client.post(
        reverse("admin:quizzes_quiz_changelist"), {"action": "export_gift_action", "_selected_action": [quiz.pk]}
    )
    assert response.status_code == 200 and response["Content-Disposition"].endswith(f'"{quiz.slug}.gift.txt"')
    assert response.content.decode().count("[markdown]") == 2
    assert Question.objects.filter(quiz=quiz).count() == 2
