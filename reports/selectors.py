"""Reads for the home page and the dashboards.

Every dashboard, export, PDF and API answer reads stored results through `period_results` (and the
drill-down through `unit_scores` / `deduction_rows`), never through the models directly: when
published periods get immutable snapshots (issue 3), `period_results` is the one place that switches
to them. Visibility always comes from scoring.permissions: a unit head sees their own unit in every
state and other units only once published.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)

from core.roles import Role, primary_role, unit_id_of
from scoring.models import (
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Deduction,
    Period,
)
from scoring.permissions import PUBLISHED_STATES, assessments_visible_to, results_visible_to
from units.models import GroupMembership, RankingGroup, Unit


def home_summary(user) -> dict:
    """What each role needs first on the home page."""
    role = primary_role(user)
    period = Period.objects.order_by("-year").first()
    summary: dict = {"period": period}
    if period is None:
        return summary
    if role == Role.UNIT_HEAD:
        unit_id = unit_id_of(user)
        summary["unit"] = Unit.objects.filter(pk=unit_id).first()
        summary["assessments"] = list(
            Assessment.objects.filter(unit_id=unit_id)
            .select_related("period", "result")
            .order_by("-period__year")
        )
    else:
        summary["state_counts"] = list(
            Assessment.objects.filter(period=period)
            .values("state")
            .annotate(n=Count("id"))
            .order_by("state")
        )
        summary["top_results"] = list(
            AssessmentResult.objects.filter(period=period, rank__lte=3)
            .select_related("assessment__unit", "group")
            .order_by("group__order", "rank")
        )
    return summary


# --- the filters' choices ------------------------------------------------------------------------


def periods_and_groups() -> tuple[list[Period], list[RankingGroup]]:
    """The choices of the filter bar (two small queries)."""
    return list(Period.objects.order_by("-year")), list(RankingGroup.objects.order_by("order"))


def default_group_id(user, period: Period) -> int | None:
    """The unit head's own group, else the first group (in display order) with results."""
    unit_id = unit_id_of(user)
    if unit_id is not None:
        own = (
            GroupMembership.objects.filter(unit_id=unit_id, year=period.year)
            .values_list("group_id", flat=True)
            .first()
        )
        if own is not None:
            return own
    return (
        AssessmentResult.objects.filter(period=period, group__isnull=False)
        .order_by("group__order", "group__code")
        .values_list("group_id", flat=True)
        .first()
    )


# --- stored results: the one reader --------------------------------------------------------------


@dataclass(slots=True)
class ResultRow:
    assessment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    year: int
    group_id: int | None
    group_code: str
    total_points: Decimal
    max_points: Decimal
    percent: Decimal
    rank: int | None
    rank_change: int | None
    band: str
    state: str

    @property
    def published(self) -> bool:
        return self.state in PUBLISHED_STATES


@dataclass(frozen=True)
class ComponentCell:
    code: str
    points: Decimal
    max_points: Decimal
    percent: Decimal


@dataclass
class PeriodResults:
    rows: list[ResultRow]
    # assessment id → component code → cell, only for the assessments asked for.
    components: dict[int, dict[str, ComponentCell]] = field(default_factory=dict)
    # component code → (name, average percent over the visible results of the group).
    component_averages: dict[str, tuple[str, Decimal]] = field(default_factory=dict)


def _component_order(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))


def _visible_results(
    user,
    *,
    period: Period | None,
    group: RankingGroup | None = None,
    unit_ids: list[int] | None = None,
):
    """The stored results the user may see: the one place a published snapshot would plug in."""
    qs = AssessmentResult.objects.all()
    if period is not None:
        qs = qs.filter(period=period)
    if group is not None:
        qs = qs.filter(group=group)
    if unit_ids is not None:
        qs = qs.filter(assessment__unit_id__in=unit_ids)
    return results_visible_to(user, qs)


def period_results(
    user,
    *,
    period: Period | None,
    group: RankingGroup | None = None,
    unit_ids: list[int] | None = None,
    component_detail: str | list[int] | None = None,
    component_averages: bool = False,
    with_rows: bool = True,
) -> PeriodResults:
    """The stored results the user may see, best rank first (one query; none if not with_rows).

    `period=None` reads every period (a unit's history). `component_detail` is "all" or a list of
    assessment ids whose component results to fetch (one more query: a page of the heatmap);
    `component_averages` adds each component's average percent over the same visible results (one
    aggregate query, or none when every component result was fetched anyway), so the averages never
    include figures the user may not see.
    """
    visible = _visible_results(user, period=period, group=group, unit_ids=unit_ids)
    rows: list[ResultRow] = []
    if with_rows:
        # Tuples, no ORDER BY and no join for what the arguments already say (year, group code):
        # this is the hot path of every dashboard over thousands of units; Python sorts below.
        known_year = period.year if period is not None else None
        known_group = group.code if group is not None else None
        fields = [
            "assessment_id",
            "group_id",
            "total_points",
            "max_points",
            "percent",
            "rank",
            "rank_change",
            "band",
            "assessment__unit_id",
            "assessment__unit__code",
            "assessment__unit__name",
            "assessment__state",
        ]
        if known_year is None:
            fields.append("period__year")
        if known_group is None:
            fields.append("group__code")
        for values in visible.order_by().values_list(*fields):
            (
                assessment_id,
                group_id,
                total,
                maximum,
                pct,
                rank,
                change,
                band,
                unit_id,
                code,
                name,
                state,
                *rest,
            ) = values
            year = known_year if known_year is not None else rest.pop(0)
            group_code = known_group if known_group is not None else rest.pop(0)
            rows.append(
                ResultRow(
                    assessment_id,
                    unit_id,
                    code,
                    name,
                    year,
                    group_id,
                    group_code or "",
                    total,
                    maximum,
                    pct,
                    rank,
                    change,
                    band,
                    state,
                )
            )
        rows.sort(key=lambda r: (r.year, r.rank is None, r.rank or 0, -r.percent, r.unit_name))
    result = PeriodResults(rows=rows)
    if component_detail is None and not component_averages:
        return result
    components_qs = ComponentResult.objects.filter(
        assessment_id__in=visible.values("assessment_id")
    )
    sums: dict[str, list] = {}  # code → [name, sum of percents, count]

    def add(code: str, name: str, total: Decimal, n: int) -> None:
        # Two frameworks in one group (rare) give the same code twice: merge them.
        entry = sums.setdefault(code, [name, Decimal(0), 0])
        entry[1] += total
        entry[2] += n

    def keep(assessment_id, code, points, max_points, pct) -> None:
        result.components.setdefault(assessment_id, {})[code] = ComponentCell(
            code, points, max_points, pct
        )

    if component_detail == "all" or (component_detail is not None and not component_averages):
        detail_qs = components_qs
        if component_detail != "all":
            detail_qs = detail_qs.filter(assessment_id__in=list(component_detail))
        for assessment_id, code, name, points, max_points, pct in detail_qs.values_list(
            "assessment_id", "component__code", "component__name", "points", "max_points", "percent"
        ):
            keep(assessment_id, code, points, max_points, pct)
            add(code, name, pct, 1)
    elif component_averages:
        # One query for both, UNION ALL: the asked-for assessments' own rows (index lookups) and
        # one aggregate row per component over every visible result (a hash aggregate on the
        # component id); aggregate rows carry no assessment id.
        wanted = list(component_detail or [])
        nothing = Value(None, output_field=DecimalField(max_digits=7, decimal_places=2))
        # The union's columns take the first query's types: the percent column must be wide
        # enough for the sums of the second (SQLite quantizes to max_digits).
        wide = DecimalField(max_digits=14, decimal_places=2)
        detail = components_qs.filter(assessment_id__in=wanted).values_list(
            "assessment_id",
            "component__code",
            "component__name",
            ExpressionWrapper(F("percent"), output_field=wide),
            Value(0, output_field=IntegerField()),
            "points",
            "max_points",
        )
        totals = (
            components_qs.values("component_id")
            .annotate(
                none=Value(None, output_field=IntegerField()),
                code=Max("component__code"),
                name=Max("component__name"),
                total=Sum("percent", output_field=wide),
                n=Count("id"),
                p=nothing,
                m=nothing,
            )
            .values_list("none", "code", "name", "total", "n", "p", "m")
            .order_by()
        )
        for assessment_id, code, name, pct, n, points, maximum in detail.union(totals, all=True):
            if assessment_id is not None:
                keep(assessment_id, code, points, maximum, pct)
            else:
                add(code, name, pct, n)
    if component_averages:
        result.component_averages = {
            code: (name, (total / n).quantize(Decimal("0.01")))
            for code, (name, total, n) in sorted(
                sums.items(), key=lambda kv: _component_order(kv[0])
            )
            if n
        }
    return result


def group_result_count(*, period: Period, group: RankingGroup | None) -> int:
    """How many units have a result in the group: a count, no figures, so anyone may know it."""
    if group is None:
        return 0
    return AssessmentResult.objects.filter(period=period, group=group).count()


# --- a unit: its lineage and its assessment ------------------------------------------------------


def predecessor_map(unit_ids: list[int] | None = None) -> dict[int, list[int]]:
    """unit id → ids of its direct predecessors (one query over the few merged units)."""
    edges = Unit.predecessors.through.objects.all()
    if unit_ids is not None:
        edges = edges.filter(from_unit_id__in=unit_ids)
    out: dict[int, list[int]] = defaultdict(list)
    for successor, predecessor in edges.values_list("from_unit_id", "to_unit_id"):
        out[successor].append(predecessor)
    return dict(out)


def unit_lineage(unit: Unit) -> list[int]:
    """The unit's id and every predecessor's, transitively, the unit first (one query)."""
    edges = predecessor_map()
    seen = [unit.pk]
    frontier = [unit.pk]
    while frontier:
        frontier = [p for u in frontier for p in edges.get(u, []) if p not in seen]
        seen.extend(frontier)
    return seen


def visible_assessment(user, *, unit: Unit, period: Period) -> Assessment | None:
    return (
        assessments_visible_to(user)
        .filter(unit=unit, period=period)
        .select_related("framework", "period", "unit")
        .first()
    )


@dataclass
class CriterionLine:
    score_id: int
    criterion_id: int
    code: str
    name: str
    component_code: str
    method: str
    max_points: Decimal
    points: Decimal
    self_points: Decimal | None
    not_applicable: bool
    self_explanation: str
    comment: str
    deductions: list[dict] = field(default_factory=list)
    detail_url: str | None = None

    @property
    def lost(self) -> Decimal:
        return Decimal(0) if self.not_applicable else self.max_points - self.points


def unit_scores(assessment: Assessment) -> list[CriterionLine]:
    """Every scored criterion of an assessment with its deductions (two queries).

    The caller has already checked the assessment is visible (visible_assessment).
    """
    lines = {
        s["id"]: CriterionLine(
            score_id=s["id"],
            criterion_id=s["criterion_id"],
            code=s["criterion__code"],
            name=s["criterion__name"],
            component_code=s["component__code"],
            method=s["criterion__method"],
            max_points=s["max_points"],
            points=s["points"],
            self_points=s["self_points"],
            not_applicable=s["not_applicable"],
            self_explanation=s["self_explanation"],
            comment=s["comment"],
        )
        for s in CriterionScore.objects.filter(assessment=assessment)
        .order_by("criterion__order")
        .values(
            "id",
            "criterion_id",
            "criterion__code",
            "criterion__name",
            "criterion__method",
            "component__code",
            "max_points",
            "points",
            "self_points",
            "not_applicable",
            "self_explanation",
            "comment",
        )
    }
    seen: dict[int, dict] = {}
    # Deductions with the unit's explanations (giải trình) joined in: one query, a row per
    # explanation (or one with nulls when there is none).
    for d in (
        Deduction.objects.filter(score__assessment=assessment)
        .order_by("created_at", "pk", "explanations__created_at")
        .values(
            "id",
            "score_id",
            "points",
            "note",
            "created_at",
            reason_label=F("reason__label"),
            explanation=F("explanations__text"),
            explanation_status=F("explanations__status"),
        )
    ):
        deduction = seen.get(d["id"])
        if deduction is None:
            deduction = {**d, "explanations": []}
            del deduction["explanation"], deduction["explanation_status"]
            seen[d["id"]] = deduction
            lines[d["score_id"]].deductions.append(deduction)
        if d["explanation"]:
            deduction["explanations"].append(
                {"text": d["explanation"], "status": d["explanation_status"]}
            )
    return list(lines.values())


# --- deduction analysis --------------------------------------------------------------------------


def _visible_scores(user, *, period: Period, group: RankingGroup | None):
    assessments = assessments_visible_to(
        user, Assessment.objects.filter(period=period, result__isnull=False)
    )
    if group is not None:
        assessments = assessments.filter(result__group=group)
    return CriterionScore.objects.filter(assessment__in=assessments, not_applicable=False)


def lost_points_by_criterion(user, *, period: Period, group: RankingGroup | None) -> list[dict]:
    """Points lost (maximum − points) per criterion over the visible assessments, most first.

    Grouped by the criterion id (a hash aggregate over a million scores rather than a sort of wide
    rows on disk), names carried along as Max; criteria of two frameworks in one group are merged
    by code.
    """
    scores = _visible_scores(user, period=period, group=group)
    merged: dict[str, dict] = {}
    for row in (
        scores.values("criterion_id")
        .annotate(
            code=Max("criterion__code"),
            name=Max("criterion__name"),
            component_code=Max("component__code"),
            component_name=Max("component__name"),
            lost=Sum(F("max_points") - F("points")),
            maximum=Sum("max_points"),
            units=Count("id", filter=Q(points__lt=F("max_points"))),
            assessments=Count("id"),
        )
        .order_by()
    ):
        row.pop("criterion_id")
        entry = merged.get(row["code"])
        if entry is None:
            merged[row["code"]] = row
        else:
            for key in ("lost", "maximum", "units", "assessments"):
                entry[key] += row[key]
    return sorted(
        (r for r in merged.values() if r["lost"] > 0),
        key=lambda r: (-r["lost"], _component_order(r["code"])),
    )


def lost_points_by_component(user, *, period: Period, group: RankingGroup | None) -> list[dict]:
    scores = _visible_scores(user, period=period, group=group)
    return sorted(
        scores.values(code=F("component__code"))
        .annotate(
            name=F("component__name"),
            lost=Sum(F("max_points") - F("points")),
            maximum=Sum("max_points"),
        )
        .order_by(),
        key=lambda r: _component_order(r["code"]),
    )


def criterion_losses(
    user,
    *,
    period: Period,
    group: RankingGroup | None,
    criterion_code: str,
    limit: int | None = None,
) -> list[dict]:
    """The drill-down of one criterion: each unit that lost points on it, with its deductions,
    those that lost most first; `limit` keeps the first ones (a page), the export takes all."""
    scores = (
        _visible_scores(user, period=period, group=group)
        .filter(criterion__code=criterion_code, points__lt=F("max_points"))
        .values(
            "id",
            "max_points",
            "points",
            "self_explanation",
            unit_id=F("assessment__unit_id"),
            unit_name=F("assessment__unit__name"),
            state=F("assessment__state"),
            criterion_name=F("criterion__name"),
        )
        .order_by((F("points") - F("max_points")).asc(), "assessment__unit__name")
    )
    if limit is not None:
        scores = scores[:limit]
    rows = {s["id"]: {**s, "lost": s["max_points"] - s["points"], "deductions": []} for s in scores}
    for d in (
        Deduction.objects.filter(score_id__in=list(rows))
        .order_by("created_at", "pk")
        .values("score_id", "points", "note", reason_label=F("reason__label"))
    ):
        rows[d["score_id"]]["deductions"].append(d)
    return sorted(rows.values(), key=lambda r: (-r["lost"], r["unit_name"]))


def reasons_summary(user, *, period: Period, group: RankingGroup | None) -> list[dict]:
    """How many deductions and points each reason accounts for."""
    assessments = assessments_visible_to(
        user, Assessment.objects.filter(period=period, result__isnull=False)
    )
    if group is not None:
        assessments = assessments.filter(result__group=group)
    return list(
        Deduction.objects.filter(score__assessment__in=assessments)
        .values(label=F("reason__label"))
        .annotate(n=Count("id"), points=Sum("points"))
        .order_by("-points")
    )


def unit_losses_for_climb(
    assessment_id: int, *, period_id: int, group_id: int | None
) -> list[dict]:
    """The criteria where an assessment lost points, whether a deduction explains the loss, and the
    share of the group's published assessments at full marks on the same criterion (one query).

    The caller read the assessment's result through period_results, so it is visible; the peers'
    share only counts published assessments, so it never reflects other units' provisional figures
    whoever asks. It is only a tie-break for how attainable a recovery is.
    """
    peers = (
        CriterionScore.objects.filter(
            criterion_id=OuterRef("criterion_id"),
            assessment__period_id=period_id,
            assessment__result__group_id=group_id,
            assessment__state__in=PUBLISHED_STATES,
            not_applicable=False,
        )
        .values("criterion_id")
        .annotate(
            share=Avg(
                Case(
                    When(points__gte=F("max_points"), then=Value(Decimal(1))),
                    default=Value(Decimal(0)),
                    output_field=DecimalField(max_digits=5, decimal_places=4),
                )
            )
        )
        .values("share")[:1]
    )
    return list(
        CriterionScore.objects.filter(
            assessment_id=assessment_id, not_applicable=False, points__lt=F("max_points")
        )
        .values(
            "criterion_id",
            "max_points",
            "points",
            code=F("criterion__code"),
            name=F("criterion__name"),
            method=F("criterion__method"),
            component_code=F("component__code"),
        )
        .annotate(deductions=Count("deductions"), peers_full_share=Subquery(peers))
        .order_by("criterion__order")
    )
