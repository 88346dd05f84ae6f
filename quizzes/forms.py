from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_GIFT_BYTES = 2 * 1024 * 1024


class GradeForm(forms.Form):
    score = forms.DecimalField(
        label=_("점수"), min_value=Decimal(0), max_digits=8, decimal_places=3, help_text=_("0점부터 배점까지.")
    )
    comment = forms.CharField(
        label=_("코멘트"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("학습자가 결과 화면에서 봅니다."),
    )

    def __init__(self, *args, points: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.points = points
        self.fields["score"].max_value = points
        self.fields["score"].widget.attrs.update({"max": points, "min": 0, "step": "any"})
        self.fields["score"].help_text = _("0점부터 %(points)s점까지.") % {"points": points.normalize()}

    def clean_score(self):
        score = self.cleaned_data["score"]
        if score > self.points:
            raise forms.ValidationError(
                _("배점(%(points)s점)보다 클 수 없습니다.") % {"points": self.points.normalize()}
            )
        return score


class GiftImportForm(forms.Form):
    file = forms.FileField(
        label=_("GIFT 파일"), help_text=_("Moodle GIFT 형식의 UTF-8 텍스트 파일 (.txt, .gift). 최대 2MB.")
    )
    replace = forms.BooleanField(
        label=_("기존 문항을 지우고 바꿔 넣기"),
        required=False,
        help_text=_("응시 기록이 없는 퀴즈에서만 할 수 있습니다. 끄면 기존 문항 뒤에 추가합니다."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_GIFT_BYTES:
            raise forms.ValidationError(_("파일이 너무 큽니다 (최대 2MB)."))
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("UTF-8 텍스트 파일이 아닙니다. UTF-8로 저장해 다시 올려 주세요.")) from None
