from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Sở, ban, ngành")
    DISTRICT = "district", _("Quận, huyện, thị xã")
    COMMUNE = "commune", _("Xã, phường, thị trấn")


class RankingGroup(TimeStampedModel):
    """A group of units ranked against each other (khối), e.g. khối sở, khối quận-huyện."""

    code = models.SlugField(_("mã khối"), max_length=30, unique=True)
    name = models.CharField(_("tên khối"), max_length=200)
    unit_kind = models.CharField(_("loại đơn vị"), max_length=20, choices=UnitKind.choices)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("khối xếp hạng")
        verbose_name_plural = pgettext_lazy("số nhiều", "khối xếp hạng")

    def __str__(self) -> str:
        return self.name


class Unit(TimeStampedModel):
    """A department, a district People's Committee or a ward/commune, for the years it exists."""

    code = models.SlugField(_("mã đơn vị"), max_length=40, unique=True)
    name = models.CharField(_("tên đơn vị"), max_length=255)
    kind = models.CharField(_("loại đơn vị"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    active_from_year = models.PositiveSmallIntegerField(_("tồn tại từ năm"))
    active_to_year = models.PositiveSmallIntegerField(
        _("tồn tại đến năm"), null=True, blank=True, help_text=_("Để trống nếu đơn vị còn tồn tại.")
    )
    # A merged ward lists the wards it was formed from; a renamed unit lists its old self.
    predecessors = models.ManyToManyField(
        "self",
        verbose_name=_("đơn vị tiền thân"),
        symmetrical=False,
        blank=True,
        related_name="successors",
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("đơn vị")
        verbose_name_plural = pgettext_lazy("số nhiều", "đơn vị")
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to_year__isnull=True)
                | Q(active_to_year__gte=F("active_from_year")),
                name="unit_active_years_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def exists_in(self, year: int) -> bool:
        return self.active_from_year <= year and (
            self.active_to_year is None or year <= self.active_to_year
        )


class GroupMembership(models.Model):
    """Which ranking group a unit belongs to in a given year: one group per unit and year."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.ForeignKey(
        RankingGroup, verbose_name=_("khối"), on_delete=models.PROTECT, related_name="memberships"
    )
    year = models.PositiveSmallIntegerField(_("năm"))

    class Meta:
        ordering = ["-year", "group", "unit"]
        verbose_name = _("thuộc khối")
        verbose_name_plural = pgettext_lazy("số nhiều", "thuộc khối")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="one_group_per_unit_and_year"),
        ]
        indexes = [
            # Ranking: the members of one group in one year.
            models.Index(fields=["year", "group"], name="membership_year_group"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.group} · {self.year}"


class UnitHead(models.Model):
    """Links a user with the unit_head role to the one unit they answer for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người dùng"),
        on_delete=models.CASCADE,
        related_name="unit_head",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), on_delete=models.CASCADE, related_name="heads"
    )

    class Meta:
        verbose_name = _("thủ trưởng đơn vị")
        verbose_name_plural = pgettext_lazy("số nhiều", "thủ trưởng đơn vị")

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"
