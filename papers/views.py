from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from core.frame import render_page
from papers import pages
from papers.models import Lesson, Paper


def _wants_partial(request) -> bool:
    # A history restore (back button with htmx's cache off) needs the whole page.
    return bool(request.htmx) and not request.htmx.history_restore_request


@require_GET
def paper_list(request):
    """The catalog, a page at a time, grouped by category; searchable and filterable, with htmx or without."""
    query = " ".join(Paper.objects.search_terms(request.GET.get("q")))
    header_html, results_html = pages.list_html(
        request,
        query=query,
        category_slug=request.GET.get("category", "").strip(),
        page=pages.page_number(request.GET.get("page")),
    )
    if _wants_partial(request):
        response = render(request, "papers/paper_list.html#paper-results", {"results_html": results_html})
    else:
        fills = {"header_html": header_html, "results_html": results_html}
        response = render_page(request, "papers/paper_list.html", fills=fills)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
def paper_detail(request, slug):
    page = pages.PaperPage(request, slug)
    fills, context = {"content": page.content()}, {"paper": page.outline}
    return render_page(request, "papers/paper_detail.html", fills=fills, context=context, key=(page.outline.title,))


@require_POST
def step_toggle(request, slug, step_id):
    """Tick (`done=1`) or untick (`done=0`) a step; without `done`, flip it."""
    paper_url = reverse("papers:paper_detail", args=[slug])
    if not request.user.is_authenticated:
        response = redirect_to_login(paper_url)
        if request.htmx:
            return HttpResponseClientRedirect(response.url)
        return response

    page = pages.PaperPage(request, slug)  # 404 unless the user may see the paper
    if step_id not in page.outline.steps:
        raise Http404("No checklist step matches the given query.")
    was_done = step_id in page.mine
    wanted = request.POST.get("done")
    done = wanted == "1" if wanted in ("0", "1") else not was_done
    paper, step = page.paper_and_step(step_id)
    step.set_done(request.user, done, was_done=was_done)
    (page.mine.add if done else page.mine.discard)(step_id)

    if not request.htmx:
        return redirect(f"{paper_url}#checklist")
    response = HttpResponse(page.checklist())
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
