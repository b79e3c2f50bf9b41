"""factory_boy factories and small builders shared by the tests."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from indicators.models import Framework
from indicators.services import criterion_create
from scoring.models import Assessment, Period
from units.models import GroupMembership, RankingGroup, Unit, UnitHead, UnitKind


class RankingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RankingGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"khoi-{n}")
    name = factory.Sequence(lambda n: f"Khối {n}")
    unit_kind = UnitKind.DEPARTMENT


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"don-vi-{n}")
    name = factory.Sequence(lambda n: f"Sở thử nghiệm {n}")
    kind = UnitKind.DEPARTMENT
    active_from_year = 2015


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ("year",)

    year = 2024
    name = factory.LazyAttribute(lambda o: f"Chỉ số CCHC năm {o.year}")


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework

    year = 2024
    unit_kind = UnitKind.DEPARTMENT
    name = factory.LazyAttribute(lambda o: f"Bộ chỉ số {o.year}")
    max_points = Decimal("10")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("matkhau-thu-nghiem")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


def make_user(role: str, unit: Unit | None = None, **kwargs):
    user = UserFactory(role=role, **kwargs)
    if unit is not None:
        UnitHead.objects.create(user=user, unit=unit)
    return user


def small_framework(year: int = 2024, unit_kind: str = UnitKind.DEPARTMENT) -> Framework:
    """A 10-point framework: two components, one with two sub-criteria.

    1 (6) ─ 1.1 (4, entered, step 0.25) and 1.2 (2, yes/no); 2 (4) ─ 2.1 (4, bands 100→4, 95→2).
    """
    fw = FrameworkFactory(year=year, unit_kind=unit_kind)
    c1 = criterion_create(framework=fw, code="1", name="Chỉ đạo, điều hành", max_points=Decimal(6))
    criterion_create(
        framework=fw,
        code="1.1",
        name="Kế hoạch",
        max_points=Decimal(4),
        parent=c1,
        step=Decimal("0.25"),
    )
    criterion_create(
        framework=fw, code="1.2", name="Báo cáo", max_points=Decimal(2), parent=c1, method="yes_no"
    )
    c2 = criterion_create(framework=fw, code="2", name="Thủ tục hành chính", max_points=Decimal(4))
    criterion_create(
        framework=fw,
        code="2.1",
        name="Hồ sơ đúng hạn",
        max_points=Decimal(4),
        parent=c2,
        method="bands",
        bands=[{"min": 100, "points": 4}, {"min": 95, "points": 2}],
    )
    return fw


def make_assessment(unit: Unit, period: Period, framework: Framework, group=None, **kw):
    if group is not None:
        GroupMembership.objects.get_or_create(
            unit=unit, year=period.year, defaults={"group": group}
        )
    return Assessment.objects.create(unit=unit, period=period, framework=framework, **kw)
