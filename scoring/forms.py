from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.numbers import fmt_number
from indicators.computation import points_problem
from indicators.models import Criterion


class PointsField(forms.DecimalField):
    """Points typed the Vietnamese way ("4,5") or the English way ("4.5")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("required", False)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(" ", "")
            if value.count(",") == 1 and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)


class CriterionScoreForm(forms.Form):
    """One criterion's row of the scoring sheet: bounds and steps come from the criterion."""

    self_points = PointsField(label=_("Điểm tự đánh giá"))
    appraised_points = PointsField(label=_("Điểm thẩm định"))
    comment = forms.CharField(label=_("Nhận xét"), required=False, widget=forms.Textarea)

    def __init__(self, *args, criterion: Criterion, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        for name in ("self_points", "appraised_points"):
            field = self.fields[name]
            field.min_value = Decimal("0")
            field.max_value = criterion.max_points
            field.widget.attrs.update(
                {
                    "min": "0",
                    "max": str(criterion.max_points),
                    "step": str(criterion.step or "0.01"),
                }
            )

    def _clean_points(self, name: str):
        value = self.cleaned_data.get(name)
        if value is None:
            return value
        problem = points_problem(
            value, max_points=self.criterion.max_points, step=self.criterion.step
        )
        if problem == "range":
            raise forms.ValidationError(
                _("Điểm phải từ 0 đến %(max)s."),
                code="out_of_range",
                params={"max": self.criterion.max_points},
            )
        if problem == "step":
            raise forms.ValidationError(
                _("Điểm phải là bội số của %(step)s."),
                code="step",
                params={"step": self.criterion.step},
            )
        return value

    def clean_self_points(self):
        return self._clean_points("self_points")

    def clean_appraised_points(self):
        return self._clean_points("appraised_points")


class MeasuredField(PointsField):
    """A measured value in % (on-time rate...): decimal comma accepted, 0 to 100."""


_SCORE_LABELS = {
    "self_points": _("Điểm tự đánh giá"),
    "appraised_points": _("Điểm thẩm định lần 1"),
    "final_points": _("Điểm thẩm định lần 2"),
    "measured_value": _("Giá trị đo (%)"),
    "not_applicable": _("Không áp dụng"),
    "comment": _("Nhận xét"),
    "self_explanation": _("Giải thích cách tự chấm"),
}


def sheet_field_name(name: str, criterion_id: int) -> str:
    return f"{name}-{criterion_id}"


class SheetForm(forms.Form):
    """The whole scoring sheet: one set of fields per leaf criterion, only the ones the user may
    edit now. Bounds and steps come from each criterion; the service checks them again."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, criteria: list[Criterion], editable: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.editable = editable
        for c in criteria:
            dropped = c.method == "not_applicable"  # by the framework: nothing to type
            for name in ("self_points", "appraised_points", "final_points"):
                if (
                    name not in editable
                    or dropped
                    or (name == "self_points" and c.method == "survey")
                ):
                    continue
                field = PointsField(label=f"{_SCORE_LABELS[name]} {c.code}")
                field.widget.attrs.update(
                    {
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "class": "form-control form-control-sm num pts",
                        "data-kind": name,
                        "data-max": str(c.max_points),
                        "data-step": str(c.step or ""),
                        "aria-label": f"{_SCORE_LABELS[name]} {c.code}",
                    }
                )
                self.fields[sheet_field_name(name, c.pk)] = field
            if "measured_value" in editable and c.method in ("bands", "proportional"):
                field = MeasuredField(label=f"{_SCORE_LABELS['measured_value']} {c.code}")
                field.widget.attrs.update(
                    {
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "class": "form-control form-control-sm num measured",
                        "aria-label": f"{_SCORE_LABELS['measured_value']} {c.code}",
                    }
                )
                self.fields[sheet_field_name("measured_value", c.pk)] = field
            if "not_applicable" in editable and not dropped:
                self.fields[sheet_field_name("not_applicable", c.pk)] = forms.BooleanField(
                    required=False,
                    label=f"{_SCORE_LABELS['not_applicable']} {c.code}",
                    widget=forms.CheckboxInput(
                        attrs={"class": "form-check-input na", "tabindex": "-1"}
                    ),
                )
            for name in ("comment", "self_explanation"):
                if name in editable:
                    self.fields[sheet_field_name(name, c.pk)] = forms.CharField(
                        required=False,
                        max_length=4000,
                        label=f"{_SCORE_LABELS[name]} {c.code}",
                        widget=forms.Textarea(
                            attrs={
                                "rows": 1,
                                "class": "form-control form-control-sm note",
                                "aria-label": f"{_SCORE_LABELS[name]} {c.code}",
                            }
                        ),
                    )

    def clean(self):
        cleaned = super().clean()
        for c in self.criteria:
            for name in ("self_points", "appraised_points", "final_points"):
                key = sheet_field_name(name, c.pk)
                value = cleaned.get(key)
                if key not in self.fields or value is None:
                    continue
                problem = points_problem(value, max_points=c.max_points, step=c.step)
                if problem == "range":
                    self.add_error(
                        key,
                        _("Tiêu chí %(code)s: điểm phải từ 0 đến %(max)s.")
                        % {"code": c.code, "max": fmt_number(c.max_points)},
                    )
                elif problem == "step":
                    self.add_error(
                        key,
                        _("Tiêu chí %(code)s: điểm phải là bội số của %(step)s.")
                        % {"code": c.code, "step": fmt_number(c.step)},
                    )
            key = sheet_field_name("measured_value", c.pk)
            value = cleaned.get(key)
            if key in self.fields and value is not None and not (0 <= value <= 100):
                self.add_error(
                    key, _("Tiêu chí %(code)s: giá trị đo phải từ 0 đến 100.") % {"code": c.code}
                )
        return cleaned

    def rows(self) -> dict[int, dict]:
        """The typed values by criterion id, for scoring.services.sheet_save."""
        out: dict[int, dict] = {}
        for c in self.criteria:
            values = {}
            # The page marks each row it rendered (an unticked checkbox posts nothing); for rows
            # without the mark, only the values actually posted count.
            whole_row = sheet_field_name("row", c.pk) in self.data
            for name in _SCORE_LABELS:
                key = sheet_field_name(name, c.pk)
                if key in self.fields and (whole_row or key in self.data):
                    values[name] = self.cleaned_data.get(key)
            if values:
                out[c.pk] = values
        return out


class TransitionForm(forms.Form):
    to_state = forms.CharField()
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class DeductionForm(forms.Form):
    points = PointsField(label=_("Điểm bị trừ"), required=True)
    reason = forms.ModelChoiceField(
        label=_("Lý do"), queryset=None, required=False, empty_label=_("— Lý do khác —")
    )
    note = forms.CharField(
        label=_("Diễn giải"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        from .models import DeductionReason

        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = DeductionReason.objects.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("reason") and not (cleaned.get("note") or "").strip():
            raise forms.ValidationError(_("Cần chọn lý do hoặc ghi diễn giải."))
        points = cleaned.get("points")
        if points is not None and points <= 0:
            self.add_error("points", _("Điểm bị trừ phải lớn hơn 0."))
        return cleaned


class ExplanationForm(forms.Form):
    text = forms.CharField(
        label=_("Nội dung giải trình"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("Chấp nhận")), ("0", _("Không chấp nhận"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(
        label=_("Ý kiến"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    withdraw = forms.BooleanField(label=_("Gỡ điểm bị trừ (hoàn trả điểm)"), required=False)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Tệp tài liệu"))
    note = forms.CharField(label=_("Ghi chú (số văn bản, trang)"), required=False, max_length=500)


class ReopenRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do đề nghị mở lại"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenDecisionForm(forms.Form):
    grant = forms.TypedChoiceField(
        choices=[("1", _("Đồng ý mở lại")), ("0", _("Từ chối"))], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(
        label=_("Lý do quyết định"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ScoresUploadForm(forms.Form):
    file = forms.FileField(label=_("Tệp Excel (.xlsx) hoặc CSV"))
    round = forms.TypedChoiceField(
        label=_("Cột điểm ghi vào"),
        choices=[("1", _("Điểm thẩm định lần 1")), ("2", _("Điểm thẩm định lần 2"))],
        coerce=int,
        initial="1",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
