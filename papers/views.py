from itertools import groupby

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from core.permissions import is_instructor
from papers.models import Category, ChecklistStep, Lesson, Paper


def _wants_partial(request) -> bool:
    # A history restore (back button with htmx's cache off) needs the whole page.
    return bool(request.htmx) and not request.htmx.history_restore_request


@require_GET
def paper_list(request):
    query = " ".join(Paper.objects.search_terms(request.GET.get("q")))
    category_slug = request.GET.get("category", "").strip()
    categories = list(Category.objects.all())
    category = next((c for c in categories if c.slug == category_slug), None)

    papers = (
        Paper.objects.visible_to(request.user)
        .search(query)
        .select_related("category")
        .with_step_counts(request.user)
        .order_by("category__order", "category__pk", "order", "pk")
    )
    if category is not None:
        papers = papers.filter(category=category)
    papers = list(papers)
    groups = [(cat, list(items)) for cat, items in groupby(papers, key=lambda p: p.category)]

    context = {
        "query": query,
        "categories": categories,
        "category": category,
        "unknown_category": bool(category_slug) and category is None,
        "groups": groups,
        "paper_count": len(papers),
        "is_filtered": bool(query) or category is not None,
    }
    template = "papers/paper_list.html#paper-results" if _wants_partial(request) else "papers/paper_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _related_papers(user):
    return Paper.objects.visible_to(user).only("title", "slug", "year", "status").with_step_counts(user)


@require_GET
def paper_detail(request, slug):
    user = request.user
    paper = get_object_or_404(
        Paper.objects.visible_to(user)
        .select_related("category")
        .prefetch_related(
            "checklist_steps",
            Prefetch("prerequisites", queryset=_related_papers(user)),
            Prefetch("successors", queryset=_related_papers(user)),
            "quizzes",
            "terms",
        ),
        slug=slug,
    )
    instructor = is_instructor(user)
    quizzes = [quiz for quiz in paper.quizzes.all() if instructor or quiz.is_published]
    context = {
        "paper": paper,
        "checklist": paper.checklist_for(user),
        "quizzes": quizzes,
        "terms": list(paper.terms.all()),
        "prerequisites": list(paper.prerequisites.all()),
        "successors": list(paper.successors.all()),
        "bibtex": paper.get_bibtex(),
    }
    return render(request, "papers/paper_detail.html", context)


@require_POST
def step_toggle(request, slug, step_id):
    """Tick (`done=1`) or untick (`done=0`) a step; without `done`, flip it."""
    paper_url = reverse("papers:paper_detail", args=[slug])
    if not request.user.is_authenticated:
        response = redirect_to_login(paper_url)
        if request.htmx:
            return HttpResponseClientRedirect(response.url)
        return response

    step = get_object_or_404(
        ChecklistStep.objects.select_related("paper"),
        pk=step_id,
        paper__slug=slug,
        paper__in=Paper.objects.visible_to(request.user),
    )
    wanted = request.POST.get("done")
    if wanted in ("0", "1"):
        done = wanted == "1"
    else:
        done = not step.progress.filter(user=request.user).exists()
    step.set_done(request.user, done)

    if not request.htmx:
        return redirect(f"{paper_url}#checklist")
    paper = step.paper
    response = render(
        request,
        "papers/paper_detail.html#checklist",
        {"paper": paper, "checklist": paper.checklist_for(request.user)},
    )
    trigger_client_event(response, "readingProgressChanged", {"paper": paper.slug})
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
def guide(request):
    lesson = Lesson.objects.filter(is_reading_method=True).prefetch_related("steps").first()
    return render(
        request,
        "papers/guide.html",
        {"lesson": lesson, "steps": list(lesson.steps.all()) if lesson else []},
    )
