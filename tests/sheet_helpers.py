"""Builders shared by the scoring-sheet tests."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from indicators.models import Framework
from indicators.services import criterion_create
from scoring.forms import sheet_field_name
from scoring.models import Assessment, CriterionScore
from scoring.services.sheet import sheet_save
from units.models import UnitKind

from .factories import FrameworkFactory


def big_framework(
    components: int = 5, per_component: int = 20, year: int = 2024, kind=UnitKind.DEPARTMENT
) -> Framework:
    """components × per_component leaf criteria of 1 point each (100 points for the default)."""
    fw = FrameworkFactory(
        year=year, unit_kind=kind, max_points=Decimal(components * per_component), name="Lớn"
    )
    for i in range(1, components + 1):
        comp = criterion_create(
            framework=fw,
            code=str(i),
            name=f"Chỉ số thành phần {i}",
            max_points=Decimal(per_component),
            order=i * 1000,
        )
        for j in range(1, per_component + 1):
            criterion_create(
                framework=fw,
                code=f"{i}.{j}",
                name=f"Tiêu chí {i}.{j}",
                max_points=Decimal(1),
                parent=comp,
                order=i * 1000 + j,
                step=Decimal("0.25"),
            )
    return fw


def sheet_url(assessment) -> str:
    return reverse("scoring:sheet", args=[assessment.pk])


def sheet_post(assessment, values: dict[str, dict[str, object]], version: int | None = None):
    """POST data for the sheet: {criterion code: {field: value}}."""
    data = {"version": str(assessment.version if version is None else version)}
    criteria = {c.code: c for c in assessment.framework.criteria.all()}
    for code, fields in values.items():
        for name, value in fields.items():
            data[sheet_field_name(name, criteria[code].pk)] = "" if value is None else str(value)
    return data


def score_write(*, assessment, criterion, user, **values):
    """Write one criterion's values the way a user does: through the sheet's save
    (scoring.services.sheet_save, with its validation, permissions and history), as if the sheet had
    been opened just now and only that row changed. Returns the stored score."""
    current = Assessment.objects.get(pk=assessment.pk)
    sheet_save(assessment=current, user=user, version=current.version, rows={criterion.pk: values})
    assessment.version, assessment.state = current.version, current.state
    return CriterionScore.objects.filter(assessment=current, criterion=criterion).first()
