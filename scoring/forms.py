from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

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
        if value < 0 or value > self.criterion.max_points:
            raise forms.ValidationError(
                _("Điểm phải từ 0 đến %(max)s."),
                code="out_of_range",
                params={"max": self.criterion.max_points},
            )
        step = self.criterion.step
        if step and (value / step) % 1:
            raise forms.ValidationError(
                _("Điểm phải là bội số của %(step)s."), code="step", params={"step": step}
            )
        return value

    def clean_self_points(self):
        return self._clean_points("self_points")

    def clean_appraised_points(self):
        return self._clean_points("appraised_points")
