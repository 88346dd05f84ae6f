from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lessons.forms import LessonUploadForm
from lessons.importer import ACTIONS, import_sources
from lessons.models import ImportLog
from lessons.parser import LessonError

# An import writes these rows, so whoever may author them may import (instructors).
IMPORT_PERMISSIONS = [
    "papers.add_paper",
    "papers.change_paper",
    "quizzes.add_question",
    "quizzes.change_question",
    "glossary.add_term",
    "glossary.change_term",
]


def can_import(user) -> bool:
    return user.is_active and user.is_staff and user.has_perms(IMPORT_PERMISSIONS)


ACTION_LABELS = {
    "created": _("생성"),
    "updated": _("수정"),
    "unchanged": _("변경 없음"),
    "deleted": _("삭제"),
}


def summary_table(counts: dict) -> str:
    """Created / updated / unchanged / deleted per model, as an HTML table (escaped)."""
    header = format_html_join("", "<th scope='col'>{}</th>", ((ACTION_LABELS[a],) for a in ACTIONS))
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th>{}</tr>",
        (
            (model, format_html_join("", "<td>{}</td>", ((row.get(a, 0),) for a in ACTIONS)))
            for model, row in counts.items()
            if any(row.values())
        ),
    )
    return format_html("<table><thead><tr><td></td>{}</tr></thead><tbody>{}</tbody></table>", header, rows)


@admin.register(ImportLog)
class ImportLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "source_name", "origin", "user"]
    list_filter = ["origin"]
    search_fields = ["source_name"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = ["source_name", "origin", "user", "created_at", "summary_table", "sha256"]
    readonly_fields = fields
    change_list_template = "lessons/admin/importlog_change_list.html"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return can_import(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or can_import(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or can_import(request.user)

    @admin.display(description=_("요약"))
    def summary_table(self, obj):
        return summary_table(obj.summary) if obj.summary else "—"

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:lessons_importlog_import")

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="lessons_importlog_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a lesson document: instructors, who may author papers, questions and terms.

        A real import redirects to its log entry; a dry run changes nothing, so
        its summary is shown on this page.
        """
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LessonUploadForm(request.POST, request.FILES) if request.method == "POST" else LessonUploadForm()
        preview = None
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["document"]
            dry_run = form.cleaned_data["dry_run"]
            try:
                summary = import_sources(
                    [(upload.name, upload.read())], dry_run=dry_run, origin=ImportLog.Origin.ADMIN, user=request.user
                )[0]
            except LessonError as err:
                form.add_error("document", str(err))
            else:
                if dry_run:
                    preview = {"name": upload.name, "table": summary_table(summary.counts())}
                    form = LessonUploadForm()
                else:
                    if summary.changed:
                        messages.success(request, gettext("레슨 문서를 가져왔습니다."))
                    else:
                        messages.info(request, gettext("이미 가져온 내용과 같아서 바뀐 것이 없습니다."))
                    return redirect(reverse("admin:lessons_importlog_change", args=[summary.log.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("레슨 문서 가져오기"),
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "lessons/admin/import_form.html", context)
