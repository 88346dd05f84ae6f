from django import forms
from django.utils.translation import gettext_lazy as _

from papers.models import Category
from progress.reports import MatrixFilters


class MatrixFilterForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("분야"),
        queryset=Category.objects.order_by("order", "pk"),
        to_field_name="slug",
        required=False,
        empty_label=_("모든 분야"),
    )
    since = forms.DateField(
        label=_("마지막 활동 시작일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("마지막 활동 종료일"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(
        label=_("학습자 검색"),
        required=False,
        max_length=150,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("아이디, 이름, 이메일")}),
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["category"].error_messages["invalid_choice"] = _("그런 분야가 없습니다.")
        self.fields["since"].error_messages["invalid"] = _("날짜는 YYYY-MM-DD 형식으로 입력하세요.")
        self.fields["until"].error_messages["invalid"] = _("날짜는 YYYY-MM-DD 형식으로 입력하세요.")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("종료일은 시작일보다 빠를 수 없습니다."))
        return data

    def filters(self) -> MatrixFilters:
        """The valid filters; a filter with an error is left out (its message is shown)."""
        if not self.is_bound:
            return MatrixFilters()
        self.is_valid()
        data = self.cleaned_data
        return MatrixFilters(
            category=data.get("category"),
            since=data.get("since"),
            until=data.get("until"),
            q=data.get("q") or "",
        )
