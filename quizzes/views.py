from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Prefetch, Q, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from core.cache import versions_with_session
from core.chrome import csrf_token
from core.frame import render_page
from core.permissions import instructor_required, is_instructor
from core.rows import fits_bigint
from quizzes import fragments, grading, sql
from quizzes.forms import GradeForm
from quizzes.gift import export_gift
from quizzes.models import (
    RATING_LABELS,
    Attempt,
    AttemptClosed,
    AttemptError,
    Question,
    Quiz,
    Response,
)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _vary(response):
    patch_vary_headers(response, ("HX-Request",))
    return response


def _own_attempt(request, pk, *, responses: bool = False, related: str = "quiz__paper") -> Attempt:
    """The signed-in learner's attempt; anyone else's is a 404 (instructors included)."""
    queryset = Attempt.objects.select_related(related)
    if responses:
        queryset = queryset.with_responses()
    attempt = get_object_or_404(queryset, pk=pk, user=request.user)
    attempt.user = request.user  # the same row; saves signal receivers a query
    return attempt


# ---------------------------------------------------------------- learners


@require_GET
def quiz_detail(request, slug):
    """The quiz before starting: what it is, and the learner's attempts and grade (one query)."""
    user = request.user
    signed_in = user.is_authenticated
    quiz, question_count, attempts = sql.quiz_with_history(
        slug=slug, user_id=user.pk if signed_in else None, published_only=not is_instructor(user)
    )
    if quiz is None:
        raise Http404("No quiz matches the given query.")
    context = {"quiz": quiz, "question_count": question_count, "can_manage": is_instructor(user)}
    if signed_in:
        for attempt in attempts:
            attempt.quiz, attempt.user = quiz, user  # the same rows; saves the signal receivers queries
            attempt.close_if_overdue()  # overdue ones are auto-submitted first
        context.update(
            attempts=attempts,
            open_attempt=next((a for a in attempts if a.is_in_progress), None),
            summary=quiz.grade_for(attempts),
            attempts_left=quiz.attempts_left(len(attempts)),
        )
    return render(request, "quizzes/quiz_detail.html", context)


@login_required
@require_POST
def attempt_start(request, slug):
    user = request.user
    quiz, _count, attempts = sql.quiz_with_history(slug=slug, user_id=user.pk, published_only=not is_instructor(user))
    if quiz is None:
        raise Http404("No quiz matches the given query.")
    try:
        attempt, created = Attempt.start(quiz=quiz, user=user, attempts=attempts)
    except AttemptError as exc:
        messages.error(request, str(exc))
        return redirect(quiz)
    if not created:
        messages.info(request, _("진행 중인 시도를 이어서 합니다. 저장된 답이 모두 남아 있습니다."))
    return redirect(attempt)


@login_required
@require_GET
def attempt_detail(request, pk):
    """The take page while in progress, the review page once submitted."""
    attempt, responses = _attempt_and_responses(request, pk)  # anyone else's is a 404
    if attempt.close_if_overdue():
        messages.warning(request, _("제한 시간이 지나 마감 시각까지 저장된 답으로 자동 제출되었습니다."))
    if attempt.is_in_progress:
        return _vary(_take_page(request, attempt, responses))
    attempt.quiz = Quiz.objects.select_related("paper").get(pk=attempt.quiz_id)
    prefetch_related_objects([attempt], Prefetch("responses", queryset=Response.objects.with_keys()))
    if request.htmx and not request.htmx.history_restore_request:
        return _vary(
            render(request, "quizzes/attempt_review.html#attempt-summary", _review_context(attempt, with_items=False))
        )
    return _vary(render(request, "quizzes/attempt_review.html", _review_context(attempt)))


def _attempt_and_responses(request, pk) -> tuple[Attempt, list[Response]]:
    """The learner's attempt and its responses in its question order, in one query (404 for anyone else's)."""
    if not fits_bigint(pk):
        raise Http404  # beyond any id
    attempt, responses = sql.attempt_with_responses(attempt_id=pk, user_id=request.user.pk)
    if attempt is None:
        raise Http404
    attempt.user = request.user  # the same row; saves signal receivers a query
    return attempt, attempt.in_question_order(responses)


def _take_page(request, attempt, responses):
    """One query (the attempt with its responses): the rest comes from the cache (quizzes.fragments)."""
    head, items, questions_html = fragments.take_page(attempt, responses)
    content = fragments.take_content(attempt, head, items, questions_html, csrf_token=csrf_token(request))
    fills, context = {"content": content}, {"head": head}
    return render_page(request, "quizzes/attempt_take.html", fills=fills, context=context, key=(head.title,))


def _review_context(attempt, *, with_items: bool = True):
    quiz = attempt.quiz
    context = {
        "attempt": attempt,
        "quiz": quiz,
        "passed": attempt.passed,
        "show": {
            "answers": quiz.review_own_answers,
            "correctness": quiz.review_correctness,
            "marks": quiz.review_marks,
            "feedback": quiz.review_feedback,
            "model_answers": quiz.review_model_answers,
        },
        "ratings": list(RATING_LABELS.items()),
    }
    if with_items:
        context["items"] = attempt.ordered_responses()
    return context


# The question's version comes in the session's round trip (its part is then in this process's copy).
@versions_with_session(lambda question_id, **_: [fragments.question_version(question_id)])
@login_required
@require_POST
def attempt_autosave(request, pk, question_id):
    """One question's answer, as it changes (htmx); returns its "saved" status.

    Usually one query: a conditional UPDATE that also checks that the
    attempt is the learner's and open and that the page's number is current
    (`Attempt.save_answer_at_once`). The question's type and choices come
    from the take page's cache. Anything unusual goes the long way: the
    response with its attempt (the ownership check: 404 for anyone else's
    attempt or a question not in it), then the refusal or the save.
    """
    question = fragments.question_for_saving(question_id)
    if question is None:
        raise Http404  # no such question, or deleted just now
    values = request.POST.getlist(f"q-{question_id}")
    sequence = _int_or_none(request.POST.get(f"seq-{question_id}"))
    item = Attempt.save_answer_at_once(
        attempt_id=pk,
        user=request.user,
        question_id=question_id,
        values=values,
        sequence=sequence,
        qtype=question.qtype,
        choice_ids=question.choice_ids,
    )
    if item is not None:
        item.qtype = question.qtype
        if not request.htmx:
            return redirect(reverse("quizzes:attempt_detail", args=[pk]) + f"#q-{question_id}")
        return _vary(HttpResponse(fragments.save_status(item)))
    # `attempt__pk`, not `attempt_id`: an id beyond the column's range is then a 404, not a database error.
    item = get_object_or_404(
        Response.objects.select_related("attempt"), attempt__pk=pk, attempt__user=request.user, question__pk=question_id
    )
    item.qtype = question.qtype
    attempt = item.attempt
    attempt.user = request.user  # the same row; saves signal receivers a query
    error, closed = None, False
    try:
        attempt.save_response(
            item, values=values, sequence=sequence, qtype=question.qtype, choice_ids=question.choice_ids
        )
    except AttemptError as exc:
        error, closed = str(exc), isinstance(exc, AttemptClosed)
        if sequence is not None and not closed:
            item.sequence = sequence  # keep the page's number: the learner reloads first
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{attempt.get_absolute_url()}#q-{question_id}")
    if error is None:
        return _vary(HttpResponse(fragments.save_status(item)))
    response = render(
        request,
        "quizzes/attempt_take.html#save-status",
        {"attempt": attempt, "item": item, "save_error": error},
        status=409,
    )
    if closed:
        trigger_client_event(response, "attemptClosed", {"url": attempt.get_absolute_url()})
    return _vary(response)


@login_required
@require_POST
def attempt_save(request, pk):
    """The take page's form without JavaScript: save all, then stay, review or finish."""
    attempt = _own_attempt(request, pk)
    action = request.POST.get("action", "save")
    answers = {}
    for key in request.POST:
        if key.startswith("seq-") and (question_id := _int_or_none(key[4:])) is not None:
            answers[question_id] = (request.POST.getlist(f"q-{question_id}"), _int_or_none(request.POST[key]))
    try:
        report = attempt.save_answers(answers)
    except AttemptError as exc:
        messages.error(request, str(exc))
        return redirect(attempt)
    if report.errors:
        numbers = {pk: i for i, pk in enumerate(attempt.question_order, start=1)}
        for question_id, exc in sorted(report.errors.items(), key=lambda e: numbers.get(e[0], 0)):
            messages.error(
                request, _("%(number)s번 문항: %(message)s") % {"number": numbers.get(question_id, "?"), "message": exc}
            )
    if action == "finish":
        if attempt.submit():
            messages.success(request, _("제출했습니다."))
        return redirect(attempt)
    if action == "review":
        return redirect("quizzes:attempt_confirm", pk=attempt.pk)
    if not report.errors:
        messages.success(request, _("답을 저장했습니다."))
    return redirect(attempt)


@login_required
@require_GET
def attempt_confirm(request, pk):
    """Submit step without JavaScript: what is still unanswered, then one button."""
    attempt = _own_attempt(request, pk, responses=True)
    if attempt.close_if_overdue() or not attempt.is_in_progress:
        return redirect(attempt)
    items = attempt.ordered_responses()
    unanswered = [(number, item) for number, item in enumerate(items, start=1) if not item.is_answered]
    return render(
        request,
        "quizzes/attempt_confirm.html",
        {"attempt": attempt, "quiz": attempt.quiz, "items": items, "unanswered": unanswered},
    )


@login_required
@require_POST
def attempt_submit(request, pk):
    """Idempotent: a double click or a replay finds the attempt submitted and grades nothing."""
    attempt = sql.attempt_with_quiz(attempt_id=pk, user_id=request.user.pk) if fits_bigint(pk) else None
    if attempt is None:
        raise Http404  # anyone else's too
    attempt.user = request.user  # the same row; saves the signal receivers a query
    if attempt.close_if_overdue():
        messages.warning(request, _("제한 시간이 지나 마감 시각까지 저장된 답으로 자동 제출되었습니다."))
    elif attempt.submit():
        messages.success(request, _("제출했습니다."))
    return redirect(attempt)


@login_required
@require_POST
def response_rate(request, pk, response_id):
    """The learner rates a model-answer question against the model answer."""
    # Submitted attempts only: the partial below is the review, answer key included.
    item = get_object_or_404(
        Response.objects.with_keys().select_related("attempt__quiz__paper"),
        pk=response_id,
        attempt_id=pk,
        attempt__user=request.user,
        attempt__state=Attempt.State.FINISHED,
    )
    error = None
    try:
        item.rate(request.POST.get("rating", ""))
    except AttemptError as exc:
        error = str(exc)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{item.attempt.get_absolute_url()}#review-question-{item.pk}")
    attempt = item.attempt
    number = (attempt.question_order.index(item.question_id) + 1) if item.question_id in attempt.question_order else ""
    context = _review_context(attempt, with_items=False) | {
        "item": item,
        "question": item.question,
        "number": number,
        "rating_error": error,
    }
    response = render(request, "quizzes/attempt_review.html#review-question", context, status=409 if error else 200)
    if not error:
        trigger_client_event(response, "attemptScored", {"attempt": item.attempt_id})
    return _vary(response)


# ---------------------------------------------------------------- instructors

QUEUE_VIEWS = {
    "pending": Q(score__isnull=True),
    "rated": Q(question__qtype=Question.Type.MODEL_ANSWER) & ~Q(self_rating="") & Q(grader__isnull=True),
    "graded": Q(grader__isnull=False),
}


@instructor_required
@require_GET
def grading_queue(request):
    """Essays and unrated model answers to grade; self-ratings to check and override."""
    Attempt.objects.close_overdue()
    show = request.GET.get("show", "pending")
    if show not in QUEUE_VIEWS:
        show = "pending"
    quizzes = list(Quiz.objects.select_related("paper").order_by("title"))
    quiz = next((q for q in quizzes if q.slug == request.GET.get("quiz")), None)
    responses = (
        Response.objects.filter(
            QUEUE_VIEWS[show],
            attempt__state=Attempt.State.FINISHED,
            question__qtype__in=[Question.Type.MODEL_ANSWER, Question.Type.ESSAY],
        )
        .select_related("attempt__user", "attempt__quiz", "question", "grader")
        .order_by("attempt__submitted_at", "question__order")
    )
    if quiz is not None:
        responses = responses.filter(attempt__quiz=quiz)
    page = Paginator(responses, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "quizzes/grading_queue.html",
        {"page": page, "show": show, "quizzes": quizzes, "quiz": quiz},
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def response_grade(request, pk):
    item = get_object_or_404(
        Response.objects.select_related("attempt__user", "attempt__quiz", "question", "grader").prefetch_related(
            "question__answers"
        ),
        pk=pk,
        attempt__state=Attempt.State.FINISHED,
    )
    points = item.question.points
    initial = {"score": item.score if item.score is not None else "", "comment": item.grader_comment}
    form = GradeForm(request.POST or None, points=points, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item.grade_manually(
                score=form.cleaned_data["score"], comment=form.cleaned_data["comment"], grader=request.user
            )
        except AttemptError as exc:
            form.add_error("score", str(exc))
        else:
            messages.success(
                request,
                _("%(user)s 님의 %(question)s 답을 채점했습니다.")
                % {"user": item.attempt.user.get_username(), "question": item.question},
            )
            next_url = request.POST.get("next", "")
            if not next_url.startswith("/") or next_url.startswith("//"):
                next_url = reverse("quizzes:grading_queue")
            return redirect(next_url)
    return render(
        request,
        "quizzes/response_grade.html",
        {"item": item, "form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
    )


@instructor_required
@require_GET
def quiz_stats(request, slug):
    quiz = get_object_or_404(Quiz.objects.select_related("paper"), slug=slug)
    Attempt.objects.filter(quiz=quiz).close_overdue()
    attempts = list(Attempt.objects.filter(quiz=quiz).select_related("user").order_by("user__username", "number"))
    by_user = defaultdict(list)
    for attempt in attempts:
        by_user[attempt.user].append(attempt)
    learners = [(user, items, quiz.grade_for(items)) for user, items in by_user.items()]
    totals = Attempt.objects.filter(quiz=quiz).aggregate(
        finished=Count("pk", filter=Q(state=Attempt.State.FINISHED)),
        in_progress=Count("pk", filter=Q(state=Attempt.State.IN_PROGRESS)),
        pending=Count("pk", filter=Q(state=Attempt.State.FINISHED, needs_grading=True)),
        average=Avg("grade", filter=Q(state=Attempt.State.FINISHED, needs_grading=False)),
    )
    return render(
        request,
        "quizzes/quiz_stats.html",
        {
            "quiz": quiz,
            "stats": grading.question_statistics(quiz=quiz),
            "learners": learners,
            "totals": totals,
        },
    )


@instructor_required
@require_POST
def quiz_regrade(request, slug):
    """Grade all submitted attempts again after an answer key changed (`dry_run` only counts)."""
    quiz = get_object_or_404(Quiz, slug=slug)
    dry_run = bool(request.POST.get("dry_run"))
    result = grading.regrade_quiz(quiz=quiz, dry_run=dry_run)
    values = {"attempts": result.attempts, "changed": result.attempts_changed, "responses": result.responses_changed}
    if dry_run:
        messages.info(
            request,
            _("미리 보기: 제출된 시도 %(attempts)d개 중 %(changed)d개의 점수가 바뀝니다 (답 %(responses)d개).")
            % values,
        )
    else:
        messages.success(
            request, _("재채점했습니다: 제출된 시도 %(attempts)d개 중 %(changed)d개의 점수가 바뀌었습니다.") % values
        )
    return redirect("quizzes:quiz_stats", slug=quiz.slug)


@instructor_required
@require_GET
def quiz_export_gift(request, slug):
    quiz = get_object_or_404(Quiz, slug=slug)
    response = HttpResponse(export_gift(quiz=quiz), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{quiz.slug}.gift.txt"'
    return response
