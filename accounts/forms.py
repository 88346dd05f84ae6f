from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("이메일"), required=False, help_text=_("선택 사항입니다. 비밀번호를 재설정할 때만 씁니다.")
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")
