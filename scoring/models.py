from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from indicators.models import POINTS, Criterion, Framework
from units.models import RankingGroup, Unit

from .workflow import State


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

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("bản đánh giá"), on_delete=models.CASCADE, related_name="scores"
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
    history = HistoricalRecords()

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
    history = HistoricalRecords()

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


# --- Scoring sheet: evidence, explanations, reopen requests ---


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    """A generated name: the uploader's file name never reaches the disk, so names cannot collide
    or climb out of MEDIA_ROOT; the extension is the one the content check accepted."""
    import uuid

    ext = getattr(instance, "_checked_extension", "") or "bin"
    return f"evidence/{instance.score.assessment_id}/{uuid.uuid4().hex}.{ext}"


class Evidence(TimeStampedModel):
    """A document (tài liệu kiểm chứng) attached to one criterion score; downloaded only through
    scoring.views.evidence_download, which checks who may see the assessment."""

    score = models.ForeignKey(
        CriterionScore,
        verbose_name=_("điểm tiêu chí"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("tệp"), upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("mã băm SHA-256"), max_length=64)
    note = models.CharField(
        _("ghi chú"), max_length=500, blank=True, help_text=_("Ví dụ: số văn bản, trang trích dẫn.")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tải lên"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["score", "created_at"]
        verbose_name = _("tài liệu kiểm chứng")
        verbose_name_plural = pgettext_lazy("số nhiều", "tài liệu kiểm chứng")

    def __str__(self) -> str:
        return self.original_name


class Explanation(TimeStampedModel):
    """The unit's answer (giải trình) to a deduction, accepted or rejected by the Interior
    Department."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ xem xét")
        ACCEPTED = "accepted", _("Chấp nhận")
        REJECTED = "rejected", _("Không chấp nhận")

    deduction = models.ForeignKey(
        Deduction,
        verbose_name=_("điểm bị trừ"),
        on_delete=models.CASCADE,
        related_name="explanations",
    )
    text = models.TextField(_("nội dung giải trình"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người giải trình"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    status = models.CharField(
        _("kết quả"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người xem xét"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("xem xét lúc"), null=True, blank=True)
    decision_note = models.TextField(_("ý kiến xem xét"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["deduction", "created_at"]
        verbose_name = _("giải trình")
        verbose_name_plural = pgettext_lazy("số nhiều", "giải trình")
        constraints = [
            # At most one explanation waiting for a decision per deduction.
            models.UniqueConstraint(
                fields=["deduction"],
                condition=Q(status="pending"),
                name="one_pending_explanation_per_deduction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deduction}: {self.get_status_display()}"


class ReopenRequest(TimeStampedModel):
    """A request to reopen a published or locked assessment, decided by someone else."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ quyết định")
        GRANTED = "granted", _("Đồng ý mở lại")
        REFUSED = "refused", _("Từ chối")

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("bản đánh giá"),
        on_delete=models.CASCADE,
        related_name="reopen_requests",
    )
    reason = models.TextField(_("lý do đề nghị"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đề nghị"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_state = models.CharField(_("trạng thái khi đề nghị"), max_length=20, choices=State.choices)
    status = models.CharField(
        _("kết quả"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người quyết định"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("quyết định lúc"), null=True, blank=True)
    decision_reason = models.TextField(_("lý do quyết định"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("đề nghị mở lại")
        verbose_name_plural = pgettext_lazy("số nhiều", "đề nghị mở lại")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=Q(status="pending"),
                name="one_pending_reopen_per_assessment",
            ),
            # Four eyes: nobody grants or refuses their own request.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="reopen_decided_by_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.get_status_display()}"


# --- Recompute jobs and published snapshots ---


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
