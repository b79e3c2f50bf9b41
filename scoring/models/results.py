"""Stored results (written only by the recompute engine), recompute jobs and published snapshots."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from indicators.models import POINTS, Criterion
from units.models import RankingGroup, Unit

from .assessments import Assessment, Period


class AssessmentResult(models.Model):
    """Stored results of an assessment, written only by the recompute service."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, primary_key=True, related_name="result"
    )
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="results")
    group = models.ForeignKey(
        RankingGroup, on_delete=models.PROTECT, null=True, related_name="results"
    )
    total_points = models.DecimalField(_("tổng điểm"), **POINTS)
    max_points = models.DecimalField(_("điểm tối đa áp dụng"), **POINTS)
    percent = models.DecimalField(_("chỉ số (%)"), max_digits=5, decimal_places=2)
    rank = models.PositiveIntegerField(_("xếp hạng"), null=True)
    rank_change = models.IntegerField(_("thay đổi thứ hạng"), null=True)
    band = models.CharField(_("xếp loại"), max_length=50, blank=True)
    computed_at = models.DateTimeField(_("tính lúc"))

    class Meta:
        verbose_name = _("kết quả")
        verbose_name_plural = pgettext_lazy("số nhiều", "kết quả")
        indexes = [
            # Ranking dashboard: one period's group, by rank.
            models.Index(fields=["period", "group", "rank"], name="result_period_group_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.percent}%"


class ComponentResult(models.Model):
    """Points and percent of one component indicator in one assessment."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="component_results"
    )
    component = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("điểm"), **POINTS)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    percent = models.DecimalField(_("tỷ lệ (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("kết quả chỉ số thành phần")
        verbose_name_plural = pgettext_lazy("số nhiều", "kết quả chỉ số thành phần")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "component"], name="one_result_per_component"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.component.code}: {self.points}"


class RecomputeRun(models.Model):
    """One recompute of a period's stored results: queued by edits, run by a Celery worker.

    Edits made while a run is still queued merge into it (`unit_ids` grows, or becomes null for the
    whole period), so a burst of edits costs one recompute. Pages read the latest runs to say when
    results were computed and whether a recompute is pending.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ tính lại")
        RUNNING = "running", _("Đang tính")
        DONE = "done", _("Đã tính xong")
        FAILED = "failed", _("Tính lại bị lỗi")

    class Trigger(models.TextChoices):
        EDIT = "edit", _("Sửa điểm")
        MANUAL = "manual", _("Cán bộ yêu cầu")
        NIGHTLY = "nightly", _("Tính lại hằng đêm")
        COMMAND = "command", _("Lệnh quản trị")
        PUBLISH = "publish", _("Công bố kết quả")
        DIRECT = "direct", _("Gọi trực tiếp")

    period = models.ForeignKey(
        Period,
        verbose_name=_("kỳ đánh giá"),
        on_delete=models.CASCADE,
        related_name="recompute_runs",
    )
    status = models.CharField(
        _("trạng thái"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(
        _("nguồn yêu cầu"), max_length=10, choices=Trigger.choices, default=Trigger.EDIT
    )
    # Units whose assessments changed; null means the whole period.
    unit_ids = models.JSONField(_("đơn vị cần tính"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người yêu cầu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("yêu cầu lúc"), auto_now_add=True)
    started_at = models.DateTimeField(_("bắt đầu lúc"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("số lần chạy"), default=0)
    progress = models.PositiveSmallIntegerField(_("tiến độ (%)"), default=0)
    assessments = models.PositiveIntegerField(_("số bản đánh giá"), default=0)
    results_changed = models.PositiveIntegerField(_("số kết quả thay đổi"), default=0)
    components_changed = models.PositiveIntegerField(
        _("số kết quả chỉ số thành phần thay đổi"), default=0
    )
    ranks_changed = models.PositiveIntegerField(_("số thứ hạng thay đổi"), default=0)
    duration_ms = models.PositiveIntegerField(_("thời gian tính (ms)"), null=True, blank=True)
    error = models.TextField(_("lỗi"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lượt tính lại kết quả")
        verbose_name_plural = pgettext_lazy("số nhiều", "lượt tính lại kết quả")
        constraints = [
            # Coalescing: edits join the one queued run of their period instead of adding another.
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(status="queued"),
                name="one_queued_recompute_per_period",
            ),
        ]
        indexes = [
            # Status fragment: the latest runs of one period.
            models.Index(fields=["period", "-created_at"], name="recompute_run_period_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.period} · {self.get_status_display()} · {self.created_at:%d/%m/%Y %H:%M}"


class _Frozen(models.Model):
    """Published figures are written once and never changed or deleted through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Published results are immutable; publish a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Published results are immutable; publish a correction instead.")


class ResultSnapshot(_Frozen):
    """The published results of a period, frozen: version 1 at publication, then one new dated
    version per correction, each with its reason. Rows are never updated or deleted."""

    class Kind(models.TextChoices):
        PUBLICATION = "publication", _("Công bố")
        CORRECTION = "correction", _("Đính chính")

    period = models.ForeignKey(
        Period, verbose_name=_("kỳ đánh giá"), on_delete=models.PROTECT, related_name="snapshots"
    )
    version = models.PositiveIntegerField(_("phiên bản"))
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("lý do"), blank=True)
    created_at = models.DateTimeField(_("công bố lúc"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người công bố"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    class Meta:
        ordering = ["period", "-version"]
        verbose_name = _("bản công bố kết quả")
        verbose_name_plural = pgettext_lazy("số nhiều", "bản công bố kết quả")
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="one_snapshot_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="snapshot_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.period} · v{self.version}"


class ResultSnapshotRow(_Frozen):
    """One assessment's result as published; names are copied so later renames do not rewrite
    what was published."""

    snapshot = models.ForeignKey(ResultSnapshot, on_delete=models.CASCADE, related_name="rows")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="+"
    )
    unit_name = models.CharField(_("tên đơn vị"), max_length=255)
    group = models.ForeignKey(
        RankingGroup, verbose_name=_("khối"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    group_name = models.CharField(_("tên khối"), max_length=200, blank=True)
    total_points = models.DecimalField(_("tổng điểm"), **POINTS)
    max_points = models.DecimalField(_("điểm tối đa áp dụng"), **POINTS)
    percent = models.DecimalField(_("chỉ số (%)"), max_digits=5, decimal_places=2)
    rank = models.PositiveIntegerField(_("xếp hạng"), null=True)
    rank_change = models.IntegerField(_("thay đổi thứ hạng"), null=True)
    band = models.CharField(_("xếp loại"), max_length=50, blank=True)
    # Left out of the publication by staff (not appraised in time): no figures, no rank.
    not_assessed_reason = models.TextField(_("lý do không đánh giá"), blank=True, db_default="")

    class Meta:
        ordering = ["snapshot", "group_name", "rank", "unit_name"]
        verbose_name = _("kết quả đã công bố")
        verbose_name_plural = pgettext_lazy("số nhiều", "kết quả đã công bố")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "unit"], name="one_snapshot_row_per_unit"),
        ]
        indexes = [
            # The dashboards page and window a published ranking in the database, by rank.
            models.Index(fields=["snapshot", "group", "rank"], name="snapshot_row_group_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} · {self.unit_name}: {self.percent}%"


class ResultSnapshotComponent(_Frozen):
    """A component indicator's points in a published row."""

    row = models.ForeignKey(ResultSnapshotRow, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("điểm"), **POINTS)
    max_points = models.DecimalField(_("điểm tối đa"), **POINTS)
    percent = models.DecimalField(_("tỷ lệ (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("kết quả chỉ số thành phần đã công bố")
        verbose_name_plural = pgettext_lazy("số nhiều", "kết quả chỉ số thành phần đã công bố")
        constraints = [
            models.UniqueConstraint(
                fields=["row", "component"], name="one_snapshot_component_per_row"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.row} · {self.component_id}: {self.points}"
