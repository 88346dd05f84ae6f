from django.contrib.admin.views.decorators import staff_member_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.markdown import render_markdown
from papers.models import Category, Paper


@require_GET
def home(request):
    papers = Paper.objects.published()
    featured = papers.select_related("category").order_by("category__order", "order", "pk")[:6]
    return render(
        request,
        "core/home.html",
        {
            "paper_count": papers.count(),
            "category_count": Category.objects.count(),
            "featured": list(featured),
        },
    )


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@staff_member_required
@require_POST
def markdown_preview(request):
    """The admin editor's live preview (django-markdownx posts `content`); sanitized like stored HTML."""
    return HttpResponse(render_markdown(request.POST.get("content", "")))


def placeholder(request, *args, **kwargs):
    """Scaffold for routes whose app is being built (replaced by each app's views)."""
    from django.http import HttpResponse

    return HttpResponse("Not built yet", status=501)
