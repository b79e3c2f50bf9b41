from django import forms
from django.utils.translation import gettext_lazy as _

from units.models import Unit

from .models import Metric, TaskStatus

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class TargetForm(forms.Form):
    unit = forms.ModelChoiceField(
        Unit.objects.order_by("kind", "name"),
        label=_("Đơn vị"),
        required=False,
        empty_label=_("Toàn tỉnh"),
    )
    metric = forms.ChoiceField(label=_("Chỉ tiêu"), choices=Metric.choices)
    component_code = forms.CharField(label=_("Mã chỉ số thành phần"), max_length=20, required=False)
    value = forms.DecimalField(
        label=_("Mức mục tiêu"), max_digits=7, decimal_places=2, min_value=0, localize=True
    )
    note = forms.CharField(label=_("Ghi chú"), max_length=500, required=False)


class TargetImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp mục tiêu (.xlsx, .csv)"))


PROPOSE_METRICS = [
    (m.value, m.label) for m in (Metric.POINTS, Metric.PERCENT, Metric.SIPAS, Metric.RANK)
]


class ProposeForm(forms.Form):
    metric = forms.ChoiceField(label=_("Chỉ tiêu"), choices=PROPOSE_METRICS)
    step = forms.DecimalField(
        label=_("Mức tăng so với năm trước"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        initial=2,
        localize=True,
        help_text=_("Điểm, điểm phần trăm, hoặc số bậc với thứ hạng."),
    )


class PlanCreateForm(forms.Form):
    deadline = forms.DateField(label=_("Hạn hoàn thành"), input_formats=DATE_FORMATS)


class TaskForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Trạng thái"),
        choices=[(s.value, s.label) for s in TaskStatus if s != TaskStatus.OVERDUE],
    )
    progress_note = forms.CharField(
        label=_("Tiến độ thực hiện"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    evidence = forms.CharField(
        label=_("Minh chứng"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    evidence_file = forms.FileField(
        label=_("Tệp minh chứng (PDF, ảnh, tài liệu văn phòng)"), required=False
    )
    deadline = forms.DateField(
        label=_("Hạn hoàn thành"), input_formats=DATE_FORMATS, required=False
    )
