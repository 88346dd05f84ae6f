from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from quizzes import grading
from quizzes.forms import GiftImportForm
from quizzes.gift import GiftError, export_gift, import_gift
from quizzes.models import Answer, Attempt, Question, Quiz, Response

# The live preview renders through core.markdown.render_markdown (settings).
MARKDOWN_WIDGETS = {MarkdownxField: {"widget": AdminMarkdownxWidget}}

# Changing any of these (or any answer) changes grades: submitted attempts are regraded.
QUESTION_KEY_FIELDS = {"qtype", "points", "case_sensitive"}


def regrade_and_report(request, quiz: Quiz) -> None:
    result = grading.regrade_quiz(quiz=quiz)
    if result.attempts:
        messages.info(
            request,
            _("“%(quiz)s”의 제출된 시도 %(attempts)d개를 재채점했습니다 (%(changed)d개 점수 변경).")
            % {"quiz": quiz, "attempts": result.attempts, "changed": result.attempts_changed},
        )


class QuestionInline(admin.TabularInline):
    """The quiz's questions at a glance; each is edited on its own page (with its answers)."""

    model = Question
    fields = ["order", "qtype", "name", "text_preview", "points"]
    readonly_fields = ["order", "qtype", "name", "text_preview", "points"]
    show_change_link = True
    extra = 0
    can_delete = False
    verbose_name_plural = _("문항 (제목 옆 ‘변경’ 링크로 편집; 추가는 아래 링크)")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("내용"))
    def text_preview(self, obj):
        return obj.text[:80]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    ordering = ["paper__category__order", "paper__order", "pk"]
    formfield_overrides = MARKDOWN_WIDGETS
    inlines = [QuestionInline]
    list_display = ["title", "paper", "question_count", "attempts_allowed", "grading_method", "is_published"]
    list_filter = ["is_published", "grading_method", "shuffle_questions", "paper__category"]
    list_select_related = ["paper"]
    search_fields = ["title", "slug", "paper__title"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["paper"]
    readonly_fields = ["tools"]
    actions = ["export_gift_action", "regrade_action"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["paper", "title", "slug", "is_published", "instructions", "tools"]}),
        (
            _("응시 규칙"),
            {"fields": ["pass_mark", "attempts_allowed", "time_limit", "grading_method", "shuffle_questions"]},
        ),
        (
            _("제출 후 학습자에게 보여 줄 것"),
            {
                "fields": [
                    "review_own_answers",
                    "review_correctness",
                    "review_marks",
                    "review_feedback",
                    "review_model_answers",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=_("문항 수"), ordering="question_total")
    def question_count(self, obj):
        return obj.question_total

    @admin.display(description=_("도구"))
    def tools(self, obj):
        if not obj or not obj.pk:
            return _("저장한 뒤 문항을 추가하거나 GIFT 파일을 가져올 수 있습니다.")
        links = [
            (reverse("admin:quizzes_question_changelist") + f"?quiz__id__exact={obj.pk}", _("문항 목록")),
            (reverse("admin:quizzes_question_add") + f"?quiz={obj.pk}", _("문항 추가")),
            (reverse("admin:quizzes_quiz_import_gift", args=[obj.pk]), _("GIFT 가져오기")),
            (reverse("quizzes:quiz_export_gift", args=[obj.slug]), _("GIFT 내보내기")),
            (reverse("quizzes:quiz_stats", args=[obj.slug]), _("통계·재채점")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/import-gift/",
                self.admin_site.admin_view(self.import_gift_view),
                name="quizzes_quiz_import_gift",
            ),
            *super().get_urls(),
        ]

    def import_gift_view(self, request, object_id):
        quiz = get_object_or_404(Quiz, pk=object_id)
        if not self.has_change_permission(request, quiz):
            raise PermissionDenied
        form = GiftImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = import_gift(quiz=quiz, text=form.cleaned_data["file"], replace=form.cleaned_data["replace"])
            except GiftError as exc:
                form.add_error("file", str(exc) + " " + str(_("아무 문항도 가져오지 않았습니다.")))
            else:
                messages.success(
                    request,
                    ngettext(
                        "문항 %(count)d개를 가져왔습니다.", "문항 %(count)d개를 가져왔습니다.", len(result.created)
                    )
                    % {"count": len(result.created)},
                )
                for skipped in result.skipped:
                    messages.warning(
                        request,
                        _("%(line)d행 “%(name)s”: %(reason)s")
                        % {"line": skipped.line, "name": skipped.name or "—", "reason": skipped.reason},
                    )
                return HttpResponseRedirect(reverse("admin:quizzes_quiz_change", args=[quiz.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": quiz,
            "quiz": quiz,
            "form": form,
            "title": _("GIFT 파일 가져오기"),
        }
        return TemplateResponse(request, "quizzes/admin_gift_import.html", context)

    @admin.action(description=_("선택한 퀴즈를 GIFT 파일로 내보내기"))
    def export_gift_action(self, request, queryset):
        quizzes = list(queryset.order_by("pk"))
        text = "\n\n".join(export_gift(quiz=quiz) for quiz in quizzes)
        name = quizzes[0].slug if len(quizzes) == 1 else "quizzes"
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.gift.txt"'
        return response

    @admin.action(description=_("선택한 퀴즈의 제출된 시도 모두 재채점"))
    def regrade_action(self, request, queryset):
        for quiz in queryset:
            regrade_and_report(request, quiz)


class AnswerInlineFormSet(forms.BaseInlineFormSet):
    """Checks that the answer key can be graded for the question's type."""

    def clean(self):
        super().clean()
        question = self.instance
        qtype = question.qtype
        rows = [
            f.cleaned_data for f in self.forms if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
        ]
        if qtype in (Question.Type.MODEL_ANSWER, Question.Type.ESSAY):
            return
        if not rows:
            raise forms.ValidationError(_("이 유형의 문항에는 답 항목이 하나 이상 있어야 합니다."))
        if qtype == Question.Type.NUMERICAL and any(r.get("value") is None and r.get("text") != "*" for r in rows):
            raise forms.ValidationError(
                _("수치형 문항의 답에는 숫자 값이 있어야 합니다 (모든 답을 받는 항목은 text에 * 입력).")
            )
        if qtype == Question.Type.TRUE_FALSE and len(rows) != 2:
            raise forms.ValidationError(
                _("참/거짓 문항에는 답 항목이 두 개(참, 거짓) 있어야 합니다. 값 1은 참, 0은 거짓입니다.")
            )
        if all((r.get("fraction") or 0) <= 0 for r in rows):
            raise forms.ValidationError(_("점수를 받는 답(비율 0보다 큼)이 하나 이상 있어야 합니다."))


class AnswerInline(admin.TabularInline):
    model = Answer
    formset = AnswerInlineFormSet
    fields = ["order", "text", "fraction", "feedback", "value", "tolerance"]
    extra = 1  # without JavaScript there is no "add another" link
    formfield_overrides = {
        # Answer text and feedback are short; a small box keeps the table readable.
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    }


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    formfield_overrides = MARKDOWN_WIDGETS
    inlines = [AnswerInline]
    list_display = ["__str__", "quiz", "order", "qtype", "points", "category"]
    list_filter = ["qtype", "quiz__paper__category", "quiz"]
    list_select_related = ["quiz"]
    search_fields = ["name", "text", "quiz__title", "category"]
    autocomplete_fields = ["quiz"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["quiz", "order", "qtype", "name", "text", "points"]}),
        (_("채점"), {"fields": ["case_sensitive", "model_answer", "general_feedback", "category"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        key_changed = bool(QUESTION_KEY_FIELDS & set(form.changed_data)) or any(fs.has_changed() for fs in formsets)
        if change and key_changed:
            regrade_and_report(request, form.instance.quiz)


class ResponseInline(admin.TabularInline):
    model = Response
    fields = ["question", "text", "selected", "score", "self_rating", "grader", "grader_comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    """Read-only record of attempts; grading happens on the grading pages."""

    inlines = [ResponseInline]
    list_display = ["user", "quiz", "number", "state", "grade", "needs_grading", "auto_submitted", "submitted_at"]
    list_filter = ["state", "needs_grading", "auto_submitted", "quiz"]
    list_select_related = ["user", "quiz"]
    search_fields = ["user__username", "quiz__title"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
