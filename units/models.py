from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.tabular import nfc


class UnitKindQuerySet(models.QuerySet):
    def choices(self) -> list[tuple[str, str]]:
        """(code, name in the page's language), in the kinds' order: for forms."""
        return [(k.code, k.label) for k in self]

    def label(self, code: str) -> str:
        """The name of a kind in the page's language (the code itself if the kind is gone)."""
        kind = self.filter(code=code).first()
        return kind.label if kind else code

    def known(self) -> str:
        """The kinds, for a message: “department” (Sở, ban, ngành), …"""
        return ", ".join(f"{k.code} ({k.name})" for k in self)

    def names(self) -> dict[str, str]:
        """Every way a file may name a kind (lower case) → its code: the code, the Vietnamese and
        the English name, and each part of the Vietnamese name that no other kind shares ("sở",
        "huyện", "xã", "tỉnh")."""
        kinds = list(self)
        parts: dict[str, set[str]] = {}
        for kind in kinds:
            for part in nfc(kind.name).lower().split(","):
                if part.strip():
                    parts.setdefault(part.strip(), set()).add(kind.code)
        names = {part: next(iter(codes)) for part, codes in parts.items() if len(codes) == 1}
        for kind in kinds:
            for name in (kind.name_en, kind.name, kind.code):
                if nfc(name):
                    names[nfc(name).lower()] = kind.code
        return names

    def resolve(self, text: str) -> str | None:
        """The code of the kind `text` names (see `names`), in any case; None if none."""
        return self.names().get(nfc(text).lower())


class UnitKind(models.Model):
    """A kind of unit, ranked in its own groups (sở, quận-huyện, xã-phường, tỉnh...). Data, not
    code: when the map changes (no district level since 2025) the admin adds or renames one.
    Units, ranking groups and frameworks store its code (`UnitKindField`)."""

    # The kinds seeded by units/migrations/0003_unit_kinds_seed, named where code needs one.
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    PROVINCE = "province"

    code = models.SlugField(
        _("mã"),
        max_length=20,
        unique=True,
        help_text=_("Dùng trong tệp nhập, không đổi được sau khi tạo."),
    )
    name = models.CharField(_("tên tiếng Việt"), max_length=100)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    objects = UnitKindQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("loại đơn vị")
        verbose_name_plural = pgettext_lazy("số nhiều", "loại đơn vị")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the page's language."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class UnitKindField(models.CharField):
    """The code of a UnitKind, checked against the table when a form or full_clean validates it
    (not a foreign key: the stored codes, files and queries keep working as plain text). Forms
    offer the kinds of the table as choices, read when the form is built."""

    description = "The code of a unit kind (units.UnitKind)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value not in self.empty_values and not UnitKind.objects.filter(code=value).exists():
            raise ValidationError(
                gettext("Loại đơn vị “%(value)s” chưa có. Các loại đã có: %(known)s.")
                % {"value": value, "known": UnitKind.objects.known()},
                code="unknown_kind",
            )

    def formfield(self, **kwargs):
        defaults = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
            "choices": _kind_choices,
        }
        defaults.update(kwargs)
        defaults.pop("max_length", None)
        # The admin gives every CharField a text input; a kind is chosen from the table.
        widget = defaults.get("widget")
        if widget is not None and not issubclass(
            widget if isinstance(widget, type) else type(widget), forms.Select | forms.RadioSelect
        ):
            del defaults["widget"]
        return forms.ChoiceField(**defaults)


def _kind_choices() -> list[tuple[str, str]]:
    return [("", "---------"), *UnitKind.objects.choices()]


class RankingGroup(TimeStampedModel):
    """A group of units ranked against each other (khối), e.g. khối sở, khối quận-huyện."""

    code = models.SlugField(_("mã khối"), max_length=30, unique=True)
    name = models.CharField(_("tên khối"), max_length=200)
    unit_kind = UnitKindField(_("loại đơn vị"))
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
    kind = UnitKindField(_("loại đơn vị"))
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
