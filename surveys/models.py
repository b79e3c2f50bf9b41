from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from indicators.models import Criterion
from units.models import Unit


class Survey(TimeStampedModel):
    """A survey round: SIPAS (citizen satisfaction) or a sociological survey of leaders/officials.

    Its definition says how answers become results: answers run 1..scale_max (higher is better);
    `favourable_from` and above count as satisfied; a share's points are maximum × share (formula
    "share") or maximum × the answers weighted level by level (formula "weighted", e.g. A/B/C/D =
    100/60/20/0 %). `criterion_code` names the framework criterion fed by the unit's index."""

    class Kind(models.TextChoices):
        SIPAS = "sipas", _("Chỉ số hài lòng (SIPAS)")
        SOCIOLOGICAL = "sociological", _("Điều tra xã hội học")

    class Formula(models.TextChoices):
        SHARE = "share", _("Tỷ lệ ý kiến hài lòng × điểm tối đa")
        WEIGHTED = "weighted", _("Trọng số theo mức trả lời (A/B/C/D)")

    year = models.PositiveSmallIntegerField(_("năm"))
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("tên cuộc điều tra"), max_length=255)
    code = models.SlugField(_("mã cuộc điều tra"), max_length=40, unique=True, blank=True)
    scale_max = models.PositiveSmallIntegerField(_("số mức trả lời"), default=5)
    favourable_from = models.PositiveSmallIntegerField(_("hài lòng từ mức"), default=4)
    formula = models.CharField(
        _("cách tính điểm"), max_length=20, choices=Formula.choices, default=Formula.SHARE
    )
    # Percent per level, level 1 first (formula "weighted").
    weights = models.JSONField(_("trọng số từng mức (%)"), default=list, blank=True)
    margin = models.DecimalField(
        _("sai số cho phép"), max_digits=4, decimal_places=3, default=Decimal("0.05")
    )
    criterion_code = models.CharField(_("tiêu chí được chấm"), max_length=20, blank=True)
    # The survey of the year before that this one was copied from: trends follow the chain.
    continues_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="continued_by",
        verbose_name=_("tiếp nối cuộc điều tra"),
    )

    class Meta:
        ordering = ["-year", "kind"]
        verbose_name = _("cuộc điều tra")
        verbose_name_plural = pgettext_lazy("số nhiều", "cuộc điều tra")

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"

    def save(self, *args, **kwargs):
        if not self.code:
            base = f"{self.kind}-{self.year}"
            code, n = base, 1
            while Survey.objects.filter(code=code).exclude(pk=self.pk).exists():
                n += 1
                code = f"{base}-{n}"
            self.code = code
        super().save(*args, **kwargs)


class SurveyElement(models.Model):
    """An element of the survey (SIPAS: access, procedure, civil servants, result, feedback)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="elements")
    code = models.CharField(_("mã"), max_length=20)
    name = models.CharField(_("tên yếu tố"), max_length=255)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    criterion_code = models.CharField(_("tiêu chí được chấm"), max_length=20, blank=True)
    # SIPAS's index is the mean of its five elements; the policy groups asked since 2022 are
    # reported beside it, not in it.
    in_index = models.BooleanField(_("tính vào chỉ số chung"), default=True)

    class Meta:
        ordering = ["survey", "order", "code"]
        verbose_name = _("yếu tố khảo sát")
        verbose_name_plural = pgettext_lazy("số nhiều", "yếu tố khảo sát")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="one_element_code_per_survey")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    element = models.ForeignKey(SurveyElement, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("mã câu hỏi"), max_length=20)
    text = models.CharField(_("nội dung câu hỏi"), max_length=500)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    criterion_code = models.CharField(_("tiêu chí được chấm"), max_length=20, blank=True)

    class Meta:
        ordering = ["survey", "order", "code"]
        verbose_name = _("câu hỏi khảo sát")
        verbose_name_plural = pgettext_lazy("số nhiều", "câu hỏi khảo sát")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="one_question_code_per_survey")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.text}"


class SurveyPlan(models.Model):
    """A unit's sample plan: N dossiers handled or residents served; the quota is derived from it
    (n = N / (1 + N·e²)) unless set by hand."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="plans")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="survey_plans")
    population = models.PositiveIntegerField(_("số hồ sơ / số dân (N)"))
    quota = models.PositiveIntegerField(_("số phiếu giao"), null=True, blank=True)

    class Meta:
        verbose_name = _("kế hoạch mẫu")
        verbose_name_plural = pgettext_lazy("số nhiều", "kế hoạch mẫu")
        constraints = [models.UniqueConstraint(fields=["survey", "unit"], name="one_plan_per_unit")]

    def __str__(self) -> str:
        return f"{self.survey} · {self.unit_id}: {self.population}"


# A respondent's id is refused past this length (the survey team's ids are short codes).
RESPONDENT_MAX_LENGTH = 64


class SurveyUnitAnswers(models.Model):
    """A unit's answer sheets in a survey, as the import last wrote them: one row per survey and
    unit, its sheets in three parallel columns, in the file's order. `respondents`: the ids, one
    a line (a backslash, a line end within an id escaped as \\\\, \\n: surveys.sheets reads them);
    `dates`: the ISO dates, one a line, empty for none; `answers`: one character per question in
    the survey's order for each sheet in turn ('1'..'9', '.' for no answer), so sheet k's answers
    are answers[k·q:(k+1)·q].

    A unit's sheets are only ever written whole (an import rewrites the units whose content
    changed) and read whole (the counts the results come from are stored apart, in
    SurveyQuestionStat), so a unit's block is the grain: a million sheets are 500 rows, not a
    million, and writing them costs about what the bytes cost. Stored uncompressed out of line
    on PostgreSQL (STORAGE EXTERNAL, set by the migration): pglz's compression of the blocks
    would cost more than the write it saves."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    sheets = models.PositiveIntegerField(default=0)
    respondents = models.TextField(blank=True)
    dates = models.TextField(blank=True)
    answers = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "unit"], name="one_answer_block_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} · {self.unit_id}: {self.sheets}"


class SurveyUnitLoad(models.Model):
    """What the answers of one unit in a survey are, as last written: how many sheets, and a
    fingerprint of their content (the order of the rows does not count). An import rewrites only
    the units whose fingerprint changed, so the same answers imported again write nothing."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="loads")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    respondents = models.PositiveIntegerField(_("số phiếu"), default=0)
    fingerprint = models.CharField(max_length=32)
    job = models.ForeignKey(
        "SurveyImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "unit"], name="one_load_per_survey_unit")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} · {self.unit_id}: {self.respondents}"


class SurveyQuestionStat(models.Model):
    """A unit's answers to one question, counted level by level (counts[0] = level 1)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="stats")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="stats")
    answers = models.PositiveIntegerField(default=0)
    favourable = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "unit", "question"], name="one_stat")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} · {self.unit_id} · {self.question_id}"


class SurveyImport(models.Model):
    """An answers file on its way in: checked (preview), then applied, by the job queue."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        CHECKING = "checking", _("Đang kiểm tra")
        CHECKED = "checked", _("Đã kiểm tra")
        INVALID = "invalid", _("Có lỗi")
        APPLYING = "applying", _("Đang ghi")
        APPLIED = "applied", _("Đã nhập")
        UNCHANGED = "unchanged", _("Không thay đổi")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="imports")
    # Empty for a file imported with `manage.py import_survey` (the log keeps its digest).
    file = models.FileField(upload_to="survey-imports/", blank=True)
    filename = models.CharField(max_length=255, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=255, blank=True)
    rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # the first 200, then "… +N"
    error_count = models.PositiveIntegerField(default=0)  # all of them
    preview = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lần nhập phiếu khảo sát")
        verbose_name_plural = pgettext_lazy("số nhiều", "lần nhập phiếu khảo sát")

    def __str__(self) -> str:
        return f"{self.survey} · {self.filename}"


class SurveyResult(models.Model):
    """A unit's result in a survey, in % (the survey's formula: the share of favourable answers or
    the weighted levels): the unit's index (criterion empty), or the percent that sets one
    survey-derived criterion's points (maximum × percent), with what it was computed from
    (`basis`: the index, element codes or question codes). `low`/`high` bound it at 95 %
    (Wilson); `short` says the unit has fewer answers than its sample plan asks for."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="survey_results")
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, null=True, blank=True, related_name="survey_results"
    )
    percent = models.DecimalField(_("tỷ lệ hài lòng (%)"), max_digits=5, decimal_places=2)
    respondents = models.PositiveIntegerField(_("số phiếu hợp lệ"), default=0)
    low = models.DecimalField(
        _("cận dưới (95 %)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    high = models.DecimalField(
        _("cận trên (95 %)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    short = models.BooleanField(_("thiếu mẫu"), default=False)
    basis = models.CharField(_("tính từ"), max_length=255, blank=True)

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
