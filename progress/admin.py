from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from progress.models import Activity, PaperProgress


class ReadOnlyAdmin(admin.ModelAdmin):
    """Progress is computed from learners' activity: look, never edit by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "instructor_links": [
                (_("학습자 진도 표"), reverse("progress:instructor_matrix")),
                (_("진도 CSV"), reverse("progress:export_progress")),
                (_("성적 CSV"), reverse("progress:export_grades")),
            ],
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(PaperProgress)
class PaperProgressAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "paper",
        "status",
        "steps_display",
        "quiz_state",
        "quiz_grade",
        "best_grade",
        "attempts_used",
        "last_activity_at",
        "completed_at",
    ]
    list_filter = ["status", "quiz_state", "paper__category", "paper", "last_activity_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "paper__title"]
    list_select_related = ["user", "paper"]
    date_hierarchy = "last_activity_at"
    ordering = ["-last_activity_at", "-pk"]
    list_per_page = 100

    @admin.display(description=_("단계"))
    def steps_display(self, obj):
        return f"{obj.steps_done}/{obj.steps_total}"


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "paper", "detail"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__username", "paper__title", "detail"]
    list_select_related = ["user", "paper"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
