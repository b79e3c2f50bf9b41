"""Targets per period (for the province or a unit) and the improvement plan's tasks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from indicators.models import Criterion
from scoring.models import Period
from units.models import Unit


class Metric(models.TextChoices):
    POINTS = "points", _("Tổng điểm")
    PERCENT = "percent", _("Chỉ số CCHC (%)")
    SIPAS = "sipas", _("Chỉ số hài lòng SIPAS (%)")
    RANK = "rank", _("Thứ hạng trong khối")
    COMPONENT = "component", _("Chỉ số thành phần (%)")


class Target(TimeStampedModel):
    """What the province (unit empty: the average of its units) or a unit aims for in a period.

    `value` is points, a percent or, for the rank, the place to reach (lower is better).
    """

    period = models.ForeignKey(
        Period, verbose_name=_("kỳ đánh giá"), on_delete=models.CASCADE, related_name="targets"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("đơn vị"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        help_text=_("Để trống: mục tiêu chung của tỉnh (bình quân các đơn vị)."),
    )
    metric = models.CharField(_("chỉ tiêu"), max_length=12, choices=Metric.choices)
    component_code = models.CharField(_("mã chỉ số thành phần"), max_length=20, blank=True)
    value = models.DecimalField(_("mức mục tiêu"), max_digits=7, decimal_places=2)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người đặt"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["period", "unit__name", "metric", "component_code"]
        verbose_name = _("mục tiêu")
        verbose_name_plural = pgettext_lazy("số nhiều", "mục tiêu")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "unit", "metric", "component_code"],
                condition=Q(unit__isnull=False),
                name="one_unit_target_per_metric",
            ),
            models.UniqueConstraint(
                fields=["period", "metric", "component_code"],
                condition=Q(unit__isnull=True),
                name="one_province_target_per_metric",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_not_negative"),
            models.CheckConstraint(
                condition=Q(metric="component", component_code__gt="")
                | (~Q(metric="component") & Q(component_code="")),
                name="target_component_code_iff_component",
            ),
        ]

    def __str__(self) -> str:
        who = self.unit.name if self.unit_id else _("Toàn tỉnh")
        return f"{who} · {self.get_metric_display()} {self.component_code} · {self.value}"


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Chưa bắt đầu")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    DONE = "done", _("Đã hoàn thành")
    OVERDUE = "overdue", _("Quá hạn")


OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.OVERDUE)


def task_evidence_upload_to(instance: "PlanTask", filename: str) -> str:
    """A generated name, as for the scoring sheet's evidence: the uploader's file name never
    reaches the disk; the extension is the one scoring's content check accepted."""
    import uuid

    ext = getattr(instance, "_checked_extension", "") or "bin"
    return f"plan-evidence/{instance.unit_id}/{uuid.uuid4().hex}.{ext}"


class PlanTask(TimeStampedModel):
    """One task of a period's improvement plan: fix what a unit lost on one criterion the period
    before (kế hoạch khắc phục)."""

    period = models.ForeignKey(
        Period, verbose_name=_("kỳ đánh giá"), on_delete=models.CASCADE, related_name="plan_tasks"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị thực hiện"), on_delete=models.CASCADE, related_name="tasks"
    )
    # The criterion of the previous period's framework that lost points.
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("tiêu chí"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("nội dung khắc phục"), max_length=500)
    points_lost = models.DecimalField(_("điểm bị trừ năm trước"), max_digits=6, decimal_places=2)
    deadline = models.DateField(_("hạn hoàn thành"))
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    progress_note = models.TextField(_("tiến độ thực hiện"), blank=True)
    evidence = models.TextField(
        _("minh chứng"), blank=True, help_text=_("Số, ngày văn bản hoặc đường dẫn tới tài liệu.")
    )
    # Served only by targets.views.plans.task_evidence (the task's access rule), never /media/.
    evidence_file = models.FileField(
        _("tệp minh chứng"), upload_to=task_evidence_upload_to, blank=True, max_length=255
    )
    evidence_file_name = models.CharField(_("tên tệp minh chứng"), max_length=255, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nghiệm thu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("nghiệm thu lúc"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("báo quá hạn lúc"), null=True, blank=True)

    class Meta:
        ordering = ["period", "unit__name", "criterion__order"]
        verbose_name = _("nhiệm vụ khắc phục")
        verbose_name_plural = pgettext_lazy("số nhiều", "nhiệm vụ khắc phục")
        constraints = [
            # Creating the plan twice adds nothing: one task per criterion and unit.
            models.UniqueConstraint(
                fields=["period", "unit", "criterion"], name="one_task_per_unit_criterion"
            ),
        ]
        indexes = [
            # The daily overdue job: open tasks past their deadline.
            models.Index(fields=["status", "deadline"], name="plantask_status_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
