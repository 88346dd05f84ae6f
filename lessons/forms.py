from django import forms
from django.utils.translation import gettext_lazy as _

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


class LessonUploadForm(forms.Form):
    document = forms.FileField(
        label=_("레슨 문서"),
        help_text=_(
            "docs/lesson-format.md 형식의 UTF-8 Markdown 파일(.md). 한 번에 모두 가져오거나 하나도 가져오지 않습니다."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("미리 보기만 하기"),
        required=False,
        help_text=_("무엇이 만들어지고 바뀌는지만 보여 주고 아무것도 저장하지 않습니다."),
    )

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("문서가 너무 큽니다 (최대 2MB)."))
        return document
