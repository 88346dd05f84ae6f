import unicodedata
from decimal import Decimal
from types import SimpleNamespace

import pytest

from quizzes import grading
from quizzes.grading import Key

D = Decimal


# ---------------------------------------------------------------- single / true-false


def test_single_choice_scores_the_chosen_fraction():
    keys = [Key(id=1, fraction=D(1)), Key(id=2, fraction=D("0.5")), Key(id=3, fraction=D(0))]
    assert grading.grade_single(selected=[1], keys=keys) == grading.Outcome(D(1), 1)
    assert grading.grade_single(selected=[2], keys=keys).fraction == D("0.5")
    assert grading.grade_single(selected=[3], keys=keys).fraction == 0
    assert grading.grade_single(selected=[], keys=keys) == grading.Outcome(D(0))
    assert grading.grade_single(selected=[99], keys=keys).fraction == 0


def test_single_choice_negative_fraction_is_floored_at_zero():
    assert grading.grade_single(selected=[1], keys=[Key(id=1, fraction=D(-1))]).fraction == 0


def test_true_false_grades_like_a_choice_of_two():
    keys = [Key(id=10, text="참", value=D(1), fraction=D(0)), Key(id=11, text="거짓", value=D(0), fraction=D(1))]
    assert grading.grade_response(qtype="truefalse", keys=keys, selected=[11]).fraction == 1
    assert grading.grade_response(qtype="truefalse", keys=keys, selected=[10]).fraction == 0


# ---------------------------------------------------------------- multiple response


MULTI = [
    Key(id=1, fraction=D("0.5")),
    Key(id=2, fraction=D("0.5")),
    Key(id=3, fraction=D(-1)),
    Key(id=4, fraction=D("-0.5")),
]


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ([1, 2], D(1)),
        ([1], D("0.5")),
        ([1, 2, 4], D("0.5")),  # partial credit with a penalty
        ([1, 3], D(0)),  # never below 0
        ([1, 2, 3, 4], D(0)),  # ticking everything does not pay
        ([], D(0)),
    ],
)
def test_multiple_response_partial_credit_and_penalties(selected, expected):
    assert grading.grade_multiple(selected=selected, keys=MULTI).fraction == expected


def test_multiple_response_total_is_capped_at_one():
    keys = [Key(id=1, fraction=D(1)), Key(id=2, fraction=D(1))]
    assert grading.grade_multiple(selected=[1, 2], keys=keys).fraction == 1


# ---------------------------------------------------------------- short answer


def test_short_answer_is_case_insensitive_unless_set():
    keys = [Key(id=1, text="ReLU", fraction=D(1))]
    assert grading.grade_short(text="relu", keys=keys).fraction == 1
    assert grading.grade_short(text="relu", keys=keys, case_sensitive=True).fraction == 0
    assert grading.grade_short(text="ReLU", keys=keys, case_sensitive=True).fraction == 1


@pytest.mark.parametrize(
    ("pattern", "response", "matches"),
    [
        ("Rectified*", "Rectified Linear Unit", True),
        ("*linear*", "rectified linear unit", True),
        ("*", "anything at all", True),
        ("a*c", "abbbc", True),
        ("a*c", "abd", False),
        ("ReLU", "ReLUs", False),  # anchored at both ends
        ("a.c", "abc", False),  # regex characters are literal
        ("(x)", "(x)", True),
        ("5\\*3", "5*3", True),  # an escaped star is a literal star
        ("5\\*3", "543", False),
    ],
)
def test_short_answer_wildcards(pattern, response, matches):
    assert grading.short_answer_matches(response=response, accepted=pattern) is matches


def test_short_answer_blank_never_matches_even_the_catch_all():
    assert grading.grade_short(text="   ", keys=[Key(id=1, text="*", fraction=D(0))]) == grading.Outcome(D(0))


def test_short_answer_korean_spacing_at_the_ends_and_decomposed_hangul():
    keys = [Key(id=1, text="역전파", fraction=D(1))]
    decomposed = unicodedata.normalize("NFD", "역전파")
    assert decomposed != "역전파"
    assert grading.grade_short(text=f"  {decomposed}\u3000\n", keys=keys).fraction == 1
    assert grading.grade_short(text="역전 파", keys=keys).fraction == 0  # inner spacing still matters


def test_short_answer_normalizes_runs_of_whitespace_and_full_width_forms():
    keys = [Key(id=1, text="gradient  descent", fraction=D(1))]
    assert grading.grade_short(text="Gradient\t descent", keys=keys).fraction == 1
    assert grading.grade_short(text="ＧＲＡＤＩＥＮＴ descent", keys=keys).fraction == 1  # NFKC folds full width


def test_short_answer_first_matching_answer_in_order_wins_with_its_fraction():
    keys = [
        Key(id=1, text="Frog", fraction=D(1)),
        Key(id=2, text="Cat", fraction=D("0.5")),
        Key(id=3, text="*", fraction=D(0)),
    ]
    assert grading.grade_short(text="cat", keys=keys) == grading.Outcome(D("0.5"), 2)
    assert grading.grade_short(text="dog", keys=keys) == grading.Outcome(D(0), 3)  # catch-all, for its feedback
    assert grading.grade_short(text="frog", keys=keys) == grading.Outcome(D(1), 1)


# ---------------------------------------------------------------- numerical


@pytest.mark.parametrize(
    ("text", "number"),
    [("3.5", D("3.5")), ("3,5", D("3.5")), ("1,234.5", D("1234.5")), (" −2 ", D(-2)), ("1e-3", D("0.001")),
     ("１２", D(12)), (".5", D("0.5"))],
)  # fmt: skip
def test_parse_number_accepts_what_learners_type(text, number):
    assert grading.parse_number(text) == number


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "nan", "inf", "3 apples", "--1"])
def test_parse_number_rejects_non_numbers(text):
    assert grading.parse_number(text) is None


def test_numerical_with_tolerance():
    keys = [Key(id=1, value=D(3), tolerance=D(2), fraction=D(1)), Key(id=2, value=None, fraction=D(0))]
    assert grading.grade_numerical(text="5", keys=keys) == grading.Outcome(D(1), 1)
    assert grading.grade_numerical(text="1", keys=keys).fraction == 1
    assert grading.grade_numerical(text="5.01", keys=keys) == grading.Outcome(D(0), 2)
    assert grading.grade_numerical(text="not a number", keys=keys) == grading.Outcome(D(0))


def test_numerical_several_answers_with_partial_credit():
    keys = [
        Key(id=1, value=D("3.14"), tolerance=D("0.01"), fraction=D(1)),
        Key(id=2, value=D(3), tolerance=D("0.5"), fraction=D("0.5")),
    ]
    assert grading.grade_numerical(text="3.141", keys=keys).fraction == 1
    assert grading.grade_numerical(text="3.3", keys=keys).fraction == D("0.5")
    assert grading.grade_numerical(text="4", keys=keys).fraction == 0


# ---------------------------------------------------------------- model answer / essay


@pytest.mark.parametrize(("rating", "fraction"), [("correct", D(1)), ("partial", D("0.5")), ("missed", D(0))])
def test_model_answer_scored_by_self_rating(rating, fraction):
    assert grading.grade_model_answer(text="my answer", self_rating=rating).fraction == fraction


def test_model_answer_needs_rating_and_blank_is_missed():
    assert grading.grade_model_answer(text="my answer").pending
    assert grading.grade_model_answer(text="  ").fraction == 0


def test_essay_waits_for_a_grader_unless_blank():
    assert grading.grade_essay(text="긴 답안").pending
    assert grading.grade_essay(text="").fraction == 0


def test_unknown_type_is_an_error():
    with pytest.raises(ValueError):
        grading.grade_response(qtype="matching", keys=[])


# ---------------------------------------------------------------- attempts


def test_score_attempt_sums_scores_and_computes_the_percent():
    result = grading.score_attempt(items=[(D(1), D(1)), (D("0.5"), D(1)), (D(0), D(2))])
    assert (result.score, result.max_score, result.grade, result.needs_grading) == (D("1.5"), D(4), D("37.50"), False)


def test_score_attempt_with_anything_pending_has_no_grade_yet():
    result = grading.score_attempt(items=[(D(1), D(1)), (None, D(1))])
    assert result.needs_grading and result.grade is None and result.score == 1 and result.max_score == 2


def _attempt(number, grade, needs_grading=False, state="finished"):
    return SimpleNamespace(
        number=number, pk=number, grade=None if grade is None else D(grade), needs_grading=needs_grading, state=state
    )


ATTEMPTS = [_attempt(1, "40"), _attempt(2, "90"), _attempt(3, "65")]


@pytest.mark.parametrize(
    ("method", "grade", "passed"),
    [("highest", D(90), True), ("average", D("65.00"), True), ("first", D(40), False), ("last", D(65), True)],
)
def test_grading_methods(method, grade, passed):
    result = grading.quiz_grade(attempts=ATTEMPTS, method=method, pass_mark=D(60))
    assert result.grade == grade and result.passed is passed and not result.pending and result.finished == 3


def test_grading_method_ignores_in_progress_attempts():
    attempts = [*ATTEMPTS, _attempt(4, None, state="in_progress")]
    assert grading.quiz_grade(attempts=attempts, method="last", pass_mark=D(60)).grade == D(65)


def test_pending_attempt_is_awaiting_not_failed():
    pending_last = [_attempt(1, "40"), _attempt(2, None, needs_grading=True)]
    result = grading.quiz_grade(attempts=pending_last, method="last", pass_mark=D(60))
    assert result.grade is None and result.pending and not result.passed
    result = grading.quiz_grade(attempts=pending_last, method="average", pass_mark=D(60))
    assert result.grade == D(40) and result.pending and not result.passed
    result = grading.quiz_grade(attempts=pending_last, method="first", pass_mark=D(60))
    assert result.grade == D(40) and not result.pending and not result.passed


def test_highest_already_passed_is_not_held_up_by_a_pending_attempt():
    attempts = [_attempt(1, "80"), _attempt(2, None, needs_grading=True)]
    result = grading.quiz_grade(attempts=attempts, method="highest", pass_mark=D(60))
    assert result.passed and not result.pending


def test_no_attempts_means_no_grade():
    result = grading.quiz_grade(attempts=[], method="highest", pass_mark=D(60))
    assert result.grade is None and not result.passed and not result.pending and result.finished == 0
