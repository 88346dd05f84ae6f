from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from core.frame import render_page
from core.permissions import instructor_required
from progress import charts, reports
from progress.forms import MatrixFilterForm
from quizzes.models import Quiz

PAPER_TABLE = "progress/paper_table.html#paper-table"


@require_GET
@login_required
def dashboard(request):
    """The learner's dashboard; its content is cached per learner until their progress changes.

    `overview` is computed only when the content is rendered (or when a test
    reads it from the response's context).
    """
    user = request.user
    overview = SimpleLazyObject(lambda: reports.learner_overview(user=user))
    body = reports.cached_for_learner(
        user=user,
        kind="progress-dashboard",
        render=lambda: render_to_string("progress/dashboard_body.html", {"overview": overview}),
    )
    return render_page(request, "progress/dashboard.html", fills={"body": body}, context={"overview": overview})


@require_GET
@login_required
def papers(request):
    """Every published paper with the learner's progress, a page at a time (htmx swaps just the table)."""
    user = request.user
    number = reports.page_number(request.GET.get("page"))
    papers = SimpleLazyObject(lambda: reports.learner_papers_page(user=user, page_number=number))
    table = reports.cached_for_learner(
        user=user,
        kind="progress-papers",
        parts=[number],
        render=lambda: render_to_string(PAPER_TABLE, {"rows": papers.rows, "page": papers.page}),
    )
    if request.htmx and not request.htmx.boosted:
        response = HttpResponse(table)
    else:
        response = render(request, "progress/papers.html", {"table": table, "papers": papers})
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@instructor_required
def instructor_matrix(request):
    form = MatrixFilterForm(request.GET or None)
    filters = form.filters()
    matrix = reports.matrix_page(filters=filters, page_number=request.GET.get("page"))
    query = urlencode(filters.as_query())
    context = {"form": form, "filters": filters, "matrix": matrix, "query": query}
    template = "progress/instructor_matrix.html"
    if request.htmx and not request.htmx.boosted:
        template += "#matrix-results"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@instructor_required
def learner_detail(request, user_id: int):
    learner = get_object_or_404(get_user_model(), pk=user_id)
    overview = reports.learner_overview(user=learner, id_prefix="learner-", every_paper=True)
    attempts = reports.learner_attempts(user=learner)
    return render(
        request, "progress/learner_detail.html", {"learner": learner, "overview": overview, "attempts": attempts}
    )


@require_GET
@instructor_required
def quiz_stats(request, slug: str):
    quiz = get_object_or_404(Quiz.objects.select_related("paper"), slug=slug)
    stats = reports.quiz_statistics(quiz=quiz)
    distribution_svg = charts.bar_chart_svg(bars=stats.distribution, title=gettext("성적 분포"), id_prefix="grades")
    return render(
        request, "progress/quiz_stats.html", {"quiz": quiz, "stats": stats, "distribution_svg": distribution_svg}
    )


def _csv_response(rows, *, name: str) -> StreamingHttpResponse:
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@instructor_required
def export_progress(request):
    filters = MatrixFilterForm(request.GET or None).filters()
    return _csv_response(reports.progress_csv(filters=filters), name="progress")


@require_GET
@instructor_required
def export_grades(request):
    filters = MatrixFilterForm(request.GET or None).filters()
    return _csv_response(reports.grades_csv(filters=filters), name="grades")
