from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from papers.models import Category, ChecklistStep, Lesson, MethodStep, Paper
from papers.signals import catalog_changed

# The editor's live preview posts to markdownx's view, which renders through
# settings.MARKDOWNX_MARKDOWNIFY_FUNCTION = core.markdown.render_markdown,
# the same sanitizer that stores *_html on save.
MARKDOWN_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget}}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    ordering = ["order", "pk"]
    list_display = ["name_ko", "name_en", "slug", "order", "paper_count"]
    list_editable = ["order"]
    search_fields = ["name_ko", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(paper_count=Count("papers"))

    @admin.display(description=_("논문 수"), ordering="paper_count")
    def paper_count(self, obj):
        return obj.paper_count


class ChecklistStepInline(admin.StackedInline):
    model = ChecklistStep
    extra = 0
    fields = ["order", "title", "body"]
    formfield_overrides = MARKDOWN_WIDGETS
    verbose_name_plural = _("읽기 체크리스트 (비워 두고 저장하면 읽기 방법의 기본 단계가 채워집니다)")


class PaperAdminForm(forms.ModelForm):
    class Meta:
        model = Paper
        fields = "__all__"  # noqa: DJ007 (PaperAdmin.fieldsets chooses what is shown)

    def clean_prerequisites(self):
        prerequisites = self.cleaned_data.get("prerequisites")
        if prerequisites is not None and self.instance.pk and prerequisites.filter(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("논문은 자기 자신의 선수 논문이 될 수 없습니다."))
        return prerequisites


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    ordering = ["category__order", "order", "pk"]
    form = PaperAdminForm
    formfield_overrides = MARKDOWN_WIDGETS
    inlines = [ChecklistStepInline]
    list_display = ["title", "category", "year", "status", "order", "step_count"]
    list_display_links = ["title"]
    list_filter = ["category", "year", "status"]
    list_select_related = ["category"]
    search_fields = ["title", "authors", "keywords", "arxiv_id", "doi"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["prerequisites"]
    autocomplete_fields = ["category"]
    actions = ["publish", "unpublish", "fill_default_checklist"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "category", "order", "status"]}),
        (_("서지 정보"), {"fields": ["authors", "year", "venue", "summary", "keywords"]}),
        (_("링크"), {"fields": ["paper_url", "doi", "arxiv_id", "code_url", "bibtex"]}),
        (_("읽기 가이드"), {"fields": ["guide", "prerequisites", "lesson"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_count=Count("checklist_steps"))

    @admin.display(description=_("체크리스트 단계"), ordering="step_count")
    def step_count(self, obj):
        return obj.step_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and form.instance.ensure_checklist():
            self.message_user(request, _("읽기 방법의 기본 단계로 체크리스트를 채웠습니다."), messages.INFO)

    @admin.action(description=_("선택한 논문 공개하기"), permissions=["change"])
    def publish(self, request, queryset):
        count = queryset.exclude(status=Paper.Status.PUBLISHED).update(status=Paper.Status.PUBLISHED)
        catalog_changed()  # update() sends no signals
        self.message_user(
            request,
            ngettext("논문 %(count)d편을 공개했습니다.", "논문 %(count)d편을 공개했습니다.", count) % {"count": count},
        )

    @admin.action(description=_("선택한 논문 비공개(초안)로 돌리기"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = queryset.exclude(status=Paper.Status.DRAFT).update(status=Paper.Status.DRAFT)
        catalog_changed()  # update() sends no signals
        self.message_user(
            request,
            ngettext("논문 %(count)d편을 초안으로 돌렸습니다.", "논문 %(count)d편을 초안으로 돌렸습니다.", count)
            % {"count": count},
        )

    @admin.action(description=_("체크리스트가 없는 논문에 기본 단계 채우기"), permissions=["change"])
    def fill_default_checklist(self, request, queryset):
        filled = sum(1 for paper in queryset if paper.ensure_checklist())
        self.message_user(
            request,
            ngettext(
                "논문 %(count)d편에 기본 체크리스트를 채웠습니다.",
                "논문 %(count)d편에 기본 체크리스트를 채웠습니다.",
                filled,
            )
            % {"count": filled},
        )


class MethodStepInline(admin.StackedInline):
    model = MethodStep
    extra = 0
    fields = ["order", "title", "body"]
    formfield_overrides = MARKDOWN_WIDGETS


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    formfield_overrides = MARKDOWN_WIDGETS
    inlines = [MethodStepInline]
    list_display = ["title", "source_name", "is_reading_method", "imported_at"]
    list_filter = ["is_reading_method"]
    search_fields = ["title", "source_name"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "source_name", "is_reading_method", "intro_heading", "intro", "front_matter"]
