"""The upload form of the answers page: which survey, which file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Survey

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # a million answer sheets as CSV are about 60 MB


class AnswersUploadForm(forms.Form):
    survey = forms.ModelChoiceField(
        label=_("Cuộc điều tra"),
        queryset=Survey.objects.order_by("-year", "kind", "name"),
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    file = forms.FileField(
        label=_("Tệp phiếu trả lời (.xlsx hoặc CSV)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Tệp lớn hơn 200 MB."))
        if not upload.size:
            raise forms.ValidationError(_("Tệp rỗng."))
        return upload
