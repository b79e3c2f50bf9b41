"""What the survey pages read, for a given user: the survey chosen, the units whose figures the user
may see, the overview, a unit's detail and the trend across years. Built on surveys.selectors (the
figures) and on scoring.permissions (who sees what): a unit head sees their own unit's figures in
every state and another unit's only once that unit's assessment of the survey's year is published,
as on the ranking pages. The province's pooled figure pools every unit, so it is shown only to
those who may see every unit, or once the whole year is published."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from core.permissions import Action, can
from core.roles import Role, roles_of, unit_id_of
from scoring.models import Assessment
from scoring.permissions import PUBLISHED_STATES
from surveys.models import Survey, SurveyResult
from surveys.selectors import (
    UnitFigure,
    province_figure,
    survey_figures,
    unit_figure,
    weakest_first,
)
from units.models import Unit

SMALL_SAMPLE = 30  # fewer answers than this: a share is too uncertain to read on its own


def surveys_for_pages() -> QuerySet[Survey]:
    return Survey.objects.order_by("-year", "kind", "name")


def choose_survey(code: str | None) -> tuple[Survey | None, list[Survey]]:
    """The survey asked for by its code, else the latest SIPAS (else the latest survey)."""
    surveys = list(surveys_for_pages())
    if code:
        chosen = next((s for s in surveys if s.code == code), None)
        if chosen is not None:
            return chosen, surveys
    sipas = [s for s in surveys if s.kind == Survey.Kind.SIPAS]
    return (sipas or surveys or [None])[0], surveys


def visible_unit_ids(user, year: int) -> set[int] | None:
    """Units whose survey figures of `year` the user may read; None: every unit."""
    if can(user, Action.VIEW_ALL_UNITS):
        return None
    if Role.UNIT_HEAD not in roles_of(user):
        return set()
    own = unit_id_of(user)
    published = set(
        Assessment.objects.filter(period__year=year, state__in=PUBLISHED_STATES).values_list(
            "unit_id", flat=True
        )
    )
    return published | ({own} if own else set())


def year_published(year: int) -> bool:
    """Every assessment of the year is published (and there is at least one)."""
    found = Assessment.objects.filter(period__year=year)
    return found.exists() and not found.exclude(state__in=PUBLISHED_STATES).exists()


def may_see_unit(user, survey: Survey, unit_id: int) -> bool:
    visible = visible_unit_ids(user, survey.year)
    return visible is None or unit_id in visible


@dataclass
class Overview:
    survey: Survey
    figures: list[UnitFigure]  # the units the user may see, ranked
    province: UnitFigure | None  # None: not shown to this user
    complete: bool  # the user sees every unit
    elements: list = field(default_factory=list)  # the survey's elements, in order

    @property
    def short(self) -> list[UnitFigure]:
        return [f for f in self.figures if f.planned is not None and f.short]

    @property
    def planned(self) -> int:
        return sum(f.planned or 0 for f in self.figures)

    @property
    def received(self) -> int:
        return sum(f.respondents for f in self.figures)

    @property
    def progress(self) -> float:
        return min(100.0, 100 * self.received / self.planned) if self.planned else 0.0


def overview(user, survey: Survey) -> Overview:
    visible = visible_unit_ids(user, survey.year)
    figures = survey_figures(survey, None if visible is None else sorted(visible))
    if visible is not None:
        # The ranks are those of the whole survey: a unit head's subset keeps its places.
        ranks = {f.unit.pk: f.rank for f in survey_figures(survey)}
        for f in figures:
            f.rank = ranks.get(f.unit.pk)
    shown = visible is None or year_published(survey.year)
    return Overview(
        survey=survey,
        figures=figures,
        province=province_figure(survey) if shown else None,
        complete=visible is None,
        elements=list(survey.elements.order_by("order", "code")),
    )


@dataclass
class UnitDetail:
    survey: Survey
    unit: Unit
    figure: UnitFigure | None
    elements: list  # ElementFigure, weakest first, each with its questions weakest first
    province: UnitFigure | None


def unit_detail(user, survey: Survey, unit: Unit) -> UnitDetail:
    figure = unit_figure(survey, unit)
    province = province_figure(survey) if visible_unit_ids(user, survey.year) is None else None
    if figure is not None:
        figure.rank = next(
            (f.rank for f in survey_figures(survey) if f.unit.pk == unit.pk), figure.rank
        )
    return UnitDetail(
        survey=survey,
        unit=unit,
        figure=figure,
        elements=weakest_first(figure) if figure is not None else [],
        province=province,
    )


@dataclass
class TrendPoint:
    survey: Survey
    unit: UnitFigure | None
    province: UnitFigure | None


@dataclass
class Trend:
    kind: str
    unit: Unit | None
    points: list[TrendPoint]


def trend(user, *, kind: str, unit: Unit | None) -> Trend:
    """The kind's surveys, oldest first: the unit's index with its interval (where the user may see
    it) and the province's."""
    points = []
    for survey in Survey.objects.filter(kind=kind).order_by("year", "pk"):
        visible = visible_unit_ids(user, survey.year)
        unit_point = None
        if unit is not None and (visible is None or unit.pk in visible):
            unit_point = unit_figure(survey, unit)
        province = None
        if visible is None or year_published(survey.year):
            province = province_figure(survey)
        points.append(TrendPoint(survey, unit_point, province))
    return Trend(kind=kind, unit=unit, points=points)


def trend_units(user) -> QuerySet[Unit]:
    """Units with survey results, for the trend page's picker (a unit head: their own)."""
    with_results = SurveyResult.objects.values("unit_id")
    units = Unit.objects.filter(pk__in=with_results).order_by("kind", "name")
    if can(user, Action.VIEW_ALL_UNITS):
        return units
    return units.filter(pk=unit_id_of(user) or 0)
