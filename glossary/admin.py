from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from glossary.models import Card, ReviewLog, Term


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["display_name", "abbreviation", "slug", "initial", "paper_list", "updated_at"]
    list_filter = ["papers", "initial"]
    search_fields = ["name_ko", "name_en", "abbreviation", "aliases", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["related"]
    filter_horizontal = ["papers"]
    readonly_fields = ["summary"]
    fieldsets = [
        (None, {"fields": ["name_ko", "name_en", "abbreviation", "aliases", "slug"]}),
        (_("정의"), {"fields": ["definition", "summary"]}),
        (_("연결"), {"fields": ["related", "papers"]}),
    ]
    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("papers")

    @admin.display(description=_("papers"))
    def paper_list(self, obj):
        return ", ".join(paper.title for paper in obj.papers.all())


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ["term", "user", "direction", "state", "reps", "due", "last_review"]
    list_filter = ["direction", "state"]
    search_fields = ["user__username", "term__name_ko", "term__name_en"]
    list_select_related = ["term", "user"]
    date_hierarchy = "due"


@admin.register(ReviewLog)
class ReviewLogAdmin(ReadOnlyAdmin):
    list_display = ["reviewed_at", "user", "card", "rating", "due_before", "due_after"]
    list_filter = ["rating"]
    search_fields = ["user__username", "card__term__name_ko", "card__term__name_en"]
    list_select_related = ["user", "card__term", "card__user"]
    date_hierarchy = "reviewed_at"
