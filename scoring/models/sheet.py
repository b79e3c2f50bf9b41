"""The scoring sheet's attachments and conversations: evidence files, explanations of deductions and
reopen requests."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from ..workflow import State
from .assessments import Assessment, CriterionScore, Deduction


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
