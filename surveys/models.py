from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from indicators.models import Criterion
from units.models import Unit


class Survey(TimeStampedModel):
    """A survey round: SIPAS (citizen satisfaction) or a sociological survey of leaders/officials."""

    class Kind(models.TextChoices):
        SIPAS = "sipas", _("Chỉ số hài lòng (SIPAS)")
        SOCIOLOGICAL = "sociological", _("Điều tra xã hội học")

    year = models.PositiveSmallIntegerField(_("năm"))
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("tên cuộc điều tra"), max_length=255)

    class Meta:
        ordering = ["-year", "kind"]
        verbose_name = _("cuộc điều tra")
        verbose_name_plural = pgettext_lazy("số nhiều", "cuộc điều tra")

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class SurveyResult(models.Model):
    """A unit's result in a survey, as a share of favourable answers (%), optionally for one
    survey-derived criterion."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="survey_results")
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, null=True, blank=True, related_name="survey_results"
    )
    percent = models.DecimalField(_("tỷ lệ hài lòng (%)"), max_digits=5, decimal_places=2)
    respondents = models.PositiveIntegerField(_("số phiếu hợp lệ"), default=0)

    class Meta:
        verbose_name = _("kết quả điều tra")
        verbose_name_plural = pgettext_lazy("số nhiều", "kết quả điều tra")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "unit", "criterion"], name="one_survey_result_per_criterion"
            ),
            models.UniqueConstraint(
                fields=["survey", "unit"],
                condition=Q(criterion__isnull=True),
                name="one_overall_survey_result_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100), name="survey_percent_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.unit}: {self.percent}%"
