"""Periods, assessments and what is scored in them: criterion scores, deductions, adjustments and
the workflow's audit trail."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from indicators.models import POINTS, Criterion, Framework
from units.models import Unit

from ..workflow import State


class Period(TimeStampedModel):
    """An assessment round (kỳ đánh giá), one per year."""

    class Status(models.TextChoices):
        OPEN = "open", _("Đang đánh giá")
        PUBLISHED = "published", _("Đã công bố")
        CLOSED = "closed", _("Đã đóng")

    year = models.PositiveSmallIntegerField(_("năm"), unique=True)
    name = models.CharField(_("tên kỳ đánh giá"), max_length=200)
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    self_assessment_deadline = models.DateField(_("hạn tự đánh giá"), null=True, blank=True)
    appraisal_deadline = models.DateField(_("hạn thẩm định"), null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = pgettext_lazy("số nhiều", "kỳ đánh giá")

    def __str__(self) -> str:
        return self.name


class Assessment(TimeStampedModel):
    """One unit's assessment in one period, with its workflow state."""

    period = models.ForeignKey(
        Period, verbose_name=_("kỳ đánh giá"), on_delete=models.PROTECT, related_name="assessments"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="assessments"
    )
    framework = models.ForeignKey(
        Framework, verbose_name=_("bộ chỉ số"), on_delete=models.PROTECT, related_name="assessments"
    )
    state = models.CharField(
        _("trạng thái"), max_length=20, choices=State.choices, default=State.DRAFT
    )
    # Bumped by every save of the sheet: a stale form is refused instead of overwriting.
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    # Staff may let one unit self-assess after the period's deadline, until this day (inclusive).
    self_deadline_extended_to = models.DateField(
        _("gia hạn tự đánh giá đến"), null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["period", "unit"]
        verbose_name = _("bản đánh giá")
        verbose_name_plural = pgettext_lazy("số nhiều", "bản đánh giá")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit"], name="one_assessment_per_unit_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.period}"


class CriterionScore(TimeStampedModel):
    """The score of one leaf criterion in one assessment.

    `points` is the effective score (appraised, else self-assessed; minus deductions; clamped) and is
    kept by scoring.services; `max_points` and `component` are copied from the criterion so that a
    recompute sums one table and the database itself refuses points above the maximum.
    """

    # No index of its own: one_score_per_assessment_criterion (assessment, criterion) serves every
    # lookup by assessment, and each index is written again for every row an import changes.
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("bản đánh giá"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="scores"
    )
    component = models.ForeignKey(
        Criterion,
        verbose_name=_("chỉ số thành phần"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    self_points = models.DecimalField(_("điểm tự đánh giá"), null=True, blank=True, **POINTS)
    appraised_points = models.DecimalField(
        _("điểm thẩm định lần 1"), null=True, blank=True, **POINTS
    )
    final_points = models.DecimalField(_("điểm thẩm định lần 2"), null=True, blank=True, **POINTS)
    measured_value = models.DecimalField(
        _("giá trị đo (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    not_applicable = models.BooleanField(_("không áp dụng"), default=False)
    points = models.DecimalField(_("điểm"), default=0, **POINTS)
    comment = models.TextField(_("nhận xét"), blank=True)
    self_explanation = models.TextField(
        _("giải thích cách tự chấm"),
        blank=True,
        help_text=_("Bắt buộc khi tự chấm điểm mà không có tài liệu kiểm chứng."),
    )
    # An import writes one history row per score it changes (200,000 for a national file), so the
    # history keeps only the indexes its reads use (by assessment, by score) and its user is not
    # checked row by row at commit (Django still sets it to null when a user is deleted).
    history = HistoricalRecords(no_db_index=["component", "criterion"], user_db_constraint=False)

    class Meta:
        ordering = ["assessment", "criterion__order"]
        verbose_name = _("điểm tiêu chí")
        verbose_name_plural = pgettext_lazy("số nhiều", "điểm tiêu chí")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="one_score_per_assessment_criterion"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(points__lte=F("max_points")),
                name="score_points_within_max",
            ),
            models.CheckConstraint(
                condition=(Q(self_points__isnull=True) | Q(self_points__gte=0))
                & (Q(self_points__isnull=True) | Q(self_points__lte=F("max_points"))),
                name="score_self_points_within_max",
            ),
            models.CheckConstraint(
                condition=(Q(appraised_points__isnull=True) | Q(appraised_points__gte=0))
                & (Q(appraised_points__isnull=True) | Q(appraised_points__lte=F("max_points"))),
                name="score_appraised_points_within_max",
            ),
            models.CheckConstraint(
                condition=(Q(final_points__isnull=True) | Q(final_points__gte=0))
                & (Q(final_points__isnull=True) | Q(final_points__lte=F("max_points"))),
                name="score_final_points_within_max",
            ),
        ]
        indexes = [
            # Recompute: sum(points) per assessment and component.
            models.Index(fields=["assessment", "component"], name="score_assessment_component"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.criterion.code}"


class DeductionReason(models.Model):
    """A reusable reason for deducting points (nộp báo cáo trễ hạn, thiếu tài liệu kiểm chứng...)."""

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    label = models.CharField(_("lý do"), max_length=255)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("lý do trừ điểm")
        verbose_name_plural = pgettext_lazy("số nhiều", "lý do trừ điểm")

    def __str__(self) -> str:
        return self.label


class DeductionQuerySet(models.QuerySet):
    def active(self):
        """The deductions that count: not withdrawn after an accepted explanation."""
        return self.filter(withdrawn_at__isnull=True)


class Deduction(TimeStampedModel):
    """Points deducted from a criterion by the appraisal, with the reason (điểm bị trừ).

    A deduction the unit explained away (its explanation accepted with the points given back) is
    withdrawn, not deleted: it stays on record with its explanation, and no longer counts. Every
    sum or count of deductions reads `active()` ones (or filters `withdrawn_at__isnull` in a join).
    """

    score = models.ForeignKey(
        CriterionScore,
        verbose_name=_("điểm tiêu chí"),
        on_delete=models.CASCADE,
        related_name="deductions",
    )
    points = models.DecimalField(_("điểm bị trừ"), **POINTS)
    reason = models.ForeignKey(
        DeductionReason,
        verbose_name=_("lý do"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deductions",
    )
    note = models.TextField(_("diễn giải"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ghi"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("gỡ lúc"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gỡ"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # An import writes a history row for every deduction it adds, edits or withdraws (20,000 in a
    # national file): the history is read by score only, so it keeps no index on its reason and
    # users, and its user is not checked row by row at commit (as for the scores' history).
    history = HistoricalRecords(
        no_db_index=["created_by", "reason", "withdrawn_by"], user_db_constraint=False
    )

    objects = DeductionQuerySet.as_manager()

    class Meta:
        ordering = ["score", "created_at"]
        verbose_name = _("điểm bị trừ")
        verbose_name_plural = pgettext_lazy("số nhiều", "điểm bị trừ")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="deduction_points_positive"),
        ]

    def __str__(self) -> str:
        return f"−{self.points} · {self.score}"


class Adjustment(TimeStampedModel):
    """Bonus or penalty points of an assessment; the framework caps their sums."""

    class Kind(models.TextChoices):
        BONUS = "bonus", _("Điểm thưởng")
        PENALTY = "penalty", _("Điểm trừ")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    points = models.DecimalField(_("điểm"), **POINTS)
    reason = models.CharField(_("lý do"), max_length=500)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("điểm thưởng / điểm trừ")
        verbose_name_plural = pgettext_lazy("số nhiều", "điểm thưởng / điểm trừ")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="adjustment_points_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points}"


class StateChange(models.Model):
    """The log of workflow moves: who moved an assessment from which state to which, and why."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="state_changes"
    )
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "at"]
        verbose_name = _("chuyển trạng thái")
        verbose_name_plural = pgettext_lazy("số nhiều", "chuyển trạng thái")

    def __str__(self) -> str:
        return f"{self.assessment}: {self.from_state} → {self.to_state}"
