from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from units.models import UnitKindField

POINTS = {"max_digits": 7, "decimal_places": 2}


class Framework(TimeStampedModel):
    """The framework (bộ chỉ số) of one year for one kind of unit: its criteria tree is data."""

    year = models.PositiveSmallIntegerField(_("năm"))
    unit_kind = UnitKindField(_("áp dụng cho"))
    name = models.CharField(_("tên bộ chỉ số"), max_length=255)
    max_points = models.DecimalField(_("thang điểm"), default=Decimal("100"), **POINTS)
    max_bonus = models.DecimalField(_("điểm thưởng tối đa"), default=Decimal("0"), **POINTS)
    max_penalty = models.DecimalField(_("điểm trừ tối đa"), default=Decimal("0"), **POINTS)
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("sao chép từ"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "unit_kind"]
        verbose_name = _("bộ chỉ số")
        verbose_name_plural = pgettext_lazy("số nhiều", "bộ chỉ số")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "unit_kind"], name="one_framework_per_year_kind"
            ),
            models.CheckConstraint(
                condition=Q(max_points__gt=0) & Q(max_bonus__gte=0) & Q(max_penalty__gte=0),
                name="framework_points_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class RatingBand(models.Model):
    """A named band by percent (A ≥ 90%, Tốt, Khá...): thresholds are data, per framework."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="bands")
    label = models.CharField(_("xếp loại"), max_length=50)
    min_percent = models.DecimalField(_("từ (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["framework", "-min_percent"]
        verbose_name = _("mức xếp loại")
        verbose_name_plural = pgettext_lazy("số nhiều", "mức xếp loại")
        constraints = [
            models.UniqueConstraint(fields=["framework", "label"], name="band_label_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ≥ {self.min_percent}%"


class ScoringMethod(models.TextChoices):
    ENTERED = "entered", _("Nhập điểm")
    YES_NO = "yes_no", _("Đạt / không đạt")
    BANDS = "bands", _("Theo mức (tỷ lệ %)")
    PROPORTIONAL = "proportional", _("Tỷ lệ thuận")
    SURVEY = "survey", _("Từ điều tra xã hội học")
    NOT_APPLICABLE = "not_applicable", _("Không áp dụng")


class Criterion(TimeStampedModel):
    """A node of the framework tree: a component (level 1), a criterion or a sub-criterion.

    Leaves are scored; a parent's maximum is the sum of its children's (framework_validate checks).
    `component` points at the level-1 ancestor (itself for a component) so that scores can be summed
    per component without walking the tree.
    """

    framework = models.ForeignKey(
        Framework, verbose_name=_("bộ chỉ số"), on_delete=models.CASCADE, related_name="criteria"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("thuộc tiêu chí"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    component = models.ForeignKey(
        "self",
        verbose_name=_("chỉ số thành phần"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="descendants",
    )
    code = models.CharField(_("mã"), max_length=20)
    name = models.CharField(_("tên tiêu chí"), max_length=500)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    level = models.PositiveSmallIntegerField(_("cấp"), default=1)
    # Kept by indicators.services.framework_refresh_tree: only leaves are scored.
    is_leaf = models.BooleanField(_("tiêu chí lá"), default=True, editable=False)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    method = models.CharField(
        _("cách chấm"), max_length=20, choices=ScoringMethod.choices, default=ScoringMethod.ENTERED
    )
    step = models.DecimalField(
        _("bước điểm"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Ví dụ 0,25 hoặc 0,5; để trống nếu không giới hạn."),
    )
    # For method "bands": [{"min": 100, "points": 1}, {"min": 95, "points": 0.5}], highest first.
    bands = models.JSONField(_("các mức"), default=list, blank=True)
    evidence_required = models.BooleanField(_("cần tài liệu kiểm chứng"), default=True)
    guidance = models.TextField(_("hướng dẫn chấm"), blank=True)
    continues_from = models.ForeignKey(
        "self",
        verbose_name=_("tiếp nối tiêu chí năm trước"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continued_by",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["framework", "order"]
        verbose_name = _("tiêu chí")
        verbose_name_plural = pgettext_lazy("số nhiều", "tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="criterion_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="criterion_max_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_component(self) -> bool:
        return self.parent_id is None

    def clean(self) -> None:
        """Form-level guard (admin, imports): a child never pushes its siblings past the parent."""
        from django.core.exceptions import ValidationError

        if self.parent_id is None or self.max_points is None:
            return
        if self.parent.framework_id != self.framework_id:
            raise ValidationError({"parent": _("Tiêu chí cha phải thuộc cùng bộ chỉ số.")})
        siblings = self.parent.children.exclude(pk=self.pk).aggregate(
            total=models.Sum("max_points")
        )
        total = (siblings["total"] or Decimal("0")) + self.max_points
        if total > self.parent.max_points:
            raise ValidationError(
                {
                    "max_points": _(
                        "Tổng điểm tối đa các tiêu chí con của %(code)s sẽ là %(sum)s, vượt quá "
                        "%(max)s."
                    )
                    % {"code": self.parent.code, "sum": total, "max": self.parent.max_points}
                }
            )
