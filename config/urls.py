from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views
from core import views as core_views

admin.site.site_header = _("논문 읽기 학교 · 관리")
admin.site.site_title = _("논문 읽기 학교")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("papers.urls")),
    path("quizzes/", include("quizzes.urls")),
    path("glossary/", include("glossary.urls")),
    path("", include("progress.urls")),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The live preview of the admin's Markdown editor; staff only (no uploads route).
    path(settings.MARKDOWNX_URLS_PATH.strip("/") + "/", core_views.markdown_preview, name="markdownx_markdownify"),
    path("admin/", admin.site.urls),
]

if "bench" in settings.INSTALLED_APPS:
    # /bench/bare/ for `make bench`, only when BENCH_MODE=1.
    from bench.urls import bench_urlpatterns

    urlpatterns += bench_urlpatterns()
