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
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import (
    Avg,
    Case,
    CharField,
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

from core.permissions import Action, can
from core.roles import Role, primary_role, unit_id_of
from indicators.models import Criterion
from scoring.models import (
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Deduction,
    Period,
    ResultSnapshot,
    ResultSnapshotComponent,
    ResultSnapshotRow,
)
from scoring.permissions import PUBLISHED_STATES, assessments_visible_to, results_visible_to
from scoring.workflow import State
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
        edition = period_edition(period)
        if edition is not None:
            # A published period: the leaders as published (the latest version), not live.
            summary["edition"] = edition
            summary["top_results"] = list(
                _snapshot_rows([edition.snapshot_id])
                .filter(rank__lte=3)
                .select_related("group")
                .order_by("group__order", "rank", "unit_name")
            )
        else:
            summary["top_results"] = list(
                AssessmentResult.objects.filter(period=period, rank__lte=3)
                .select_related("assessment__unit", "group")
                .order_by("group__order", "rank")
            )
    return summary


# --- the filters' choices ------------------------------------------------------------------------


def periods_and_groups() -> tuple[list[Period], list[RankingGroup]]:
    """The choices of the filter bar (two small queries). Each period carries its latest published
    snapshot (`snap_id`, `snap_version`, `snap_at`, `snap_reason`; None when never published) read
    in the same query, so no page pays a query to know whether it shows a snapshot."""
    latest = ResultSnapshot.objects.filter(period=OuterRef("pk")).order_by("-version")[:1]
    periods = list(
        Period.objects.annotate(
            snap_id=Subquery(latest.values("pk")),
            snap_version=Subquery(latest.values("version")),
            snap_at=Subquery(latest.values("created_at")),
            snap_reason=Subquery(latest.values("reason")),
        ).order_by("-year")
    )
    return periods, list(RankingGroup.objects.order_by("order"))


# --- published snapshots ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Edition:
    """Which published version of a period's results a page shows (issue 3)."""

    snapshot_id: int
    version: int
    latest_version: int  # versions are numbered 1..latest
    published_at: datetime
    reason: str  # the correction's reason; empty for the first publication

    @property
    def is_latest(self) -> bool:
        return self.version == self.latest_version

    @property
    def versions(self) -> list[int]:
        return list(range(self.latest_version, 0, -1))


def period_edition(period: Period) -> Edition | None:
    """The snapshot the pages show for `period`: the version chosen with `choose_version`, else the
    latest; None when the period was never published (its results are provisional). Free for the
    periods of `periods_and_groups` (annotated); otherwise one query, remembered on the instance."""
    chosen = getattr(period, "_edition", False)
    if chosen is not False:
        return chosen
    if not hasattr(period, "snap_id"):
        latest = (
            ResultSnapshot.objects.filter(period=period)
            .order_by("-version")
            .values_list("pk", "version", "created_at", "reason")
            .first()
        )
        period.snap_id, period.snap_version, period.snap_at, period.snap_reason = latest or (
            None,
            None,
            None,
            None,
        )
    edition = None
    if period.snap_id is not None:
        edition = Edition(
            period.snap_id,
            period.snap_version,
            period.snap_version,
            period.snap_at,
            period.snap_reason or "",
        )
    period._edition = edition
    return edition


def choose_version(period: Period, version: int) -> Edition | None:
    """Show an earlier (or the latest) published version of `period`: one query. None (and nothing
    changes) when the period has no such version."""
    latest = period_edition(period)
    if latest is None:
        return None
    found = (
        ResultSnapshot.objects.filter(period=period, version=version)
        .values_list("pk", "version", "created_at", "reason")
        .first()
    )
    if found is None:
        return None
    edition = Edition(found[0], found[1], latest.latest_version, found[2], found[3] or "")
    period._edition = edition
    return edition


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


class ResultRow(NamedTuple):
    """A stored (or published) result as the dashboards show it. A tuple: 10,000 of them are built,
    sorted and searched per page."""

    assessment_id: int | None
    group_id: int | None
    total_points: Decimal
    max_points: Decimal
    percent: Decimal
    rank: int | None
    rank_change: int | None
    band: str
    unit_id: int
    unit_code: str
    unit_name: str
    state: str
    year: int
    group_code: str

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
    # The published version read, when the period has one (None: live, provisional results).
    edition: Edition | None = None


def _component_order(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))


# The columns of ResultRow up to `state`, from the live results and from a snapshot's rows.
_LIVE_FIELDS = (
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
)
_SNAPSHOT_FIELDS = (
    "assessment_id",
    "group_id",
    "total_points",
    "max_points",
    "percent",
    "rank",
    "rank_change",
    "band",
    "unit_id",
    "unit__code",
    "unit_name",
    Value(State.PUBLISHED.value),
)


def _visible_results(
    user,
    *,
    period: Period | None,
    group: RankingGroup | None = None,
    unit_ids: list[int] | None = None,
    exclude_periods: list[int] | None = None,
):
    """The live stored results the user may see (for periods without a published snapshot)."""
    qs = AssessmentResult.objects.all()
    if period is not None:
        qs = qs.filter(period=period)
    if exclude_periods:
        qs = qs.exclude(period_id__in=exclude_periods)
    if group is not None:
        qs = qs.filter(group=group)
    if unit_ids is not None:
        qs = qs.filter(assessment__unit_id__in=unit_ids)
    return results_visible_to(user, qs)


def _snapshot_rows(snapshot_ids: list[int], *, group=None, unit_ids=None):
    """Published rows: everyone who may see the dashboards sees them (they are public), so no
    visibility filter."""
    qs = ResultSnapshotRow.objects.filter(snapshot_id__in=snapshot_ids)
    if group is not None:
        qs = qs.filter(group=group)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs


@dataclass(frozen=True)
class _Source:
    """Where a period's results are read from: its published snapshot's rows, or the live results
    the user may see; with the column names that differ between the two."""

    qs: object
    fields: tuple
    edition: Edition | None
    unit: str
    name: str

    @property
    def in_order(self) -> tuple:
        """Ranking order: rank, unranked last by percent, then name (ties)."""
        return (
            F("rank").asc(nulls_last=True),
            F("percent").desc(),
            F(self.name).asc(),
            F(self.unit).asc(),
        )

    def order(self, sort: str, descending: bool = False) -> tuple:
        """ORDER BY of the ranking table sorted by `sort` (rank, name, percent, total, change),
        ties in ranking order: the database's side of dashboards.SORTS."""
        if sort == "rank":
            order = self.in_order
            return tuple(k.copy().reverse_ordering() for k in order) if descending else order
        name = F(self.name).asc()
        keys = {
            "name": (name,),
            "percent": (F("percent").desc(), name),
            "total": (F("total_points").desc(), name),
            "change": (F("rank_change").desc(nulls_last=True), name),
        }[sort]
        if descending:
            # reverse=True of a stable sort: the keys reversed, ties still in ranking order.
            keys = tuple(k.copy().reverse_ordering() for k in keys)
        return (*keys, *self.in_order)

    def rows(self, qs, tail: tuple) -> list[ResultRow]:
        new = tuple.__new__
        return [new(ResultRow, (*v, *tail)) for v in qs.values_list(*self.fields)]


def _source(
    user, *, period: Period, group: RankingGroup | None = None, unit_ids: list[int] | None = None
) -> _Source:
    edition = period_edition(period)
    if edition is not None:
        return _Source(
            _snapshot_rows([edition.snapshot_id], group=group, unit_ids=unit_ids),
            _SNAPSHOT_FIELDS,
            edition,
            "unit_id",
            "unit_name",
        )
    return _Source(
        _visible_results(user, period=period, group=group, unit_ids=unit_ids),
        _LIVE_FIELDS,
        None,
        "assessment__unit_id",
        "assessment__unit__name",
    )


def _sort_rows(rows: list[ResultRow], *, one_ranking: bool) -> None:
    """Best rank first (per year); unranked rows last by percent. Within one ranking (a period and a
    group) equal ranks mean equal percents, so the cheaper key gives the same order."""
    if one_ranking:
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name))
        if rows and rows[-1].rank is None:
            at = next(i for i, r in enumerate(rows) if r.rank is None)
            rows[at:] = sorted(rows[at:], key=lambda r: (-r.percent, r.unit_name))
    else:
        rows.sort(key=lambda r: (r.year, r.rank is None, r.rank or 0, -r.percent, r.unit_name))


def period_results(
    user,
    *,
    period: Period | None,
    group: RankingGroup | None = None,
    unit_ids: list[int] | None = None,
    component_detail: str | list[int] | None = None,
    component_averages: bool = False,
    with_rows: bool = True,
    periods: list[Period] | None = None,
    limit: int | None = None,
    offset: int = 0,
    sort: tuple[str, bool] = ("rank", False),
) -> PeriodResults:
    """The results the user may see, best rank first (one query; none if not with_rows).

    A period published with a snapshot (issue 3) reads the snapshot's rows, the version of
    `period_edition` (the latest unless one was chosen): what was published never changes behind
    the reader's back, and everyone sees it. Other periods read the live stored results, with
    visibility from scoring.permissions.

    `period=None` reads every period (a unit's history: live rows for unpublished periods, the
    latest snapshot for published ones; `periods`, from periods_and_groups, saves a query).
    `component_detail` is "all" or a list of assessment ids whose component results to fetch (one
    more query: a page of the heatmap); `component_averages` adds each component's average percent
    over the same visible results (one aggregate query, or none when every component result was
    fetched anyway), so the averages never include figures the user may not see.
    `limit` (with a period and a group) reads only `limit` rows of the ranking from `offset`,
    sorted by the database (`sort`: a key of dashboards.SORTS and whether descending).
    """
    src = None
    if period is not None:
        src = _source(user, period=period, group=group, unit_ids=unit_ids)
        edition, source = src.edition, src.qs
    else:
        edition, source = None, _visible_results(user, period=None, group=group, unit_ids=unit_ids)
    rows: list[ResultRow] = []
    if with_rows and src is not None:
        # Tuples, no join for what the arguments already say (year, group code): this is the hot
        # path of every dashboard over thousands of units. A whole group is sorted in Python.
        if group is not None and limit is not None:
            rows = src.rows(
                source.order_by(*src.order(*sort))[offset : offset + limit],
                (period.year, group.code),
            )
        elif group is not None:
            rows = src.rows(source.order_by(), (period.year, group.code))
        else:
            new = tuple.__new__
            year = period.year
            found = source.order_by().values_list(*src.fields, "group__code")
            rows = [new(ResultRow, (*v[:-1], year, v[-1] or "")) for v in found]
        if limit is None:
            _sort_rows(rows, one_ranking=group is not None)
    elif with_rows:
        rows = _history_rows(user, unit_ids=unit_ids, group=group, periods=periods)
    result = PeriodResults(rows=rows, edition=edition)
    if component_detail is None and not component_averages:
        return result
    if edition is not None:
        key = "row__assessment_id"
        components_qs = ResultSnapshotComponent.objects.filter(row__in=source.values("pk"))
    else:
        key = "assessment_id"
        components_qs = ComponentResult.objects.filter(
            assessment_id__in=source.values("assessment_id")
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
            detail_qs = detail_qs.filter(**{f"{key}__in": list(component_detail)})
        for assessment_id, code, name, points, max_points, pct in detail_qs.values_list(
            key, "component__code", "component__name", "points", "max_points", "percent"
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
        detail = components_qs.filter(**{f"{key}__in": wanted}).values_list(
            key,
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


def _history_rows(
    user, *, unit_ids: list[int] | None, group: RankingGroup | None, periods: list[Period] | None
) -> list[ResultRow]:
    """Every period's rows: the latest snapshot of published periods, live results (visible to
    the user) of the others (two queries, three without `periods`)."""
    if periods is None:
        periods = periods_and_groups()[0]
    snapshots = {p.pk: period_edition(p) for p in periods}
    published = {pk: e.snapshot_id for pk, e in snapshots.items() if e is not None}
    live = _visible_results(
        user, period=None, group=group, unit_ids=unit_ids, exclude_periods=list(published)
    )
    new = tuple.__new__
    rows = [
        new(ResultRow, (*v[:-2], v[-2], v[-1] or ""))
        for v in live.order_by().values_list(*_LIVE_FIELDS, "period__year", "group__code")
    ]
    if published:
        found = _snapshot_rows(list(published.values()), group=group, unit_ids=unit_ids)
        rows += [
            new(ResultRow, (*v[:-2], v[-2], v[-1] or ""))
            for v in found.order_by().values_list(
                *_SNAPSHOT_FIELDS, "snapshot__period__year", "group__code"
            )
        ]
    _sort_rows(rows, one_ranking=False)
    return rows


def group_result_count(*, period: Period, group: RankingGroup | None) -> int:
    """How many units have a result in the group: a count, no figures, so anyone may know it."""
    if group is None:
        return 0
    edition = period_edition(period)
    if edition is not None:
        return _snapshot_rows([edition.snapshot_id], group=group).count()
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


def scores_visible(user, assessment_id: int | None) -> bool:
    """Whether the user may read an assessment's criterion scores (a published snapshot's row is
    visible to everyone; the scores behind it only as scoring.permissions says). No query for
    those who see every unit."""
    if assessment_id is None:
        return False
    if can(user, Action.VIEW_ALL_UNITS):
        return True
    return assessments_visible_to(user).filter(pk=assessment_id).exists()


def visible_assessment(user, *, unit: Unit, period: Period) -> Assessment | None:
    return (
        assessments_visible_to(user)
        .filter(unit=unit, period=period)
        .select_related("framework", "period", "unit")
        .first()
    )


@dataclass
class CriterionLine:
    score_id: int | None  # None: the criterion has not been scored yet (it counts 0 points)
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
    position: int = 0

    @property
    def unscored(self) -> bool:
        return self.score_id is None

    @property
    def lost(self) -> Decimal:
        return Decimal(0) if self.not_applicable else self.max_points - self.points


def unit_scores(assessment: Assessment) -> list[CriterionLine]:
    """Every criterion of an assessment with its deductions, in framework order (three queries).
    A criterion not scored yet is a line with no score and 0 points: it loses its maximum, as the
    stored results count it.

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
            position=s["criterion__order"],
        )
        for s in CriterionScore.objects.filter(assessment=assessment)
        .order_by("criterion__order")
        .values(
            "id",
            "criterion__order",
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
        Deduction.objects.active()
        .filter(score__assessment=assessment)
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
    scored = {line.criterion_id for line in lines.values()}
    unscored = [
        CriterionLine(
            score_id=None,
            criterion_id=c["pk"],
            code=c["code"],
            name=c["name"],
            component_code=c["component__code"] or c["code"],
            method=c["method"],
            max_points=c["max_points"],
            points=Decimal(0),
            self_points=None,
            not_applicable=False,
            self_explanation="",
            comment="",
            position=c["order"],
        )
        for c in Criterion.objects.filter(framework_id=assessment.framework_id, is_leaf=True)
        .exclude(pk__in=scored)
        .values("pk", "code", "name", "component__code", "method", "max_points", "order")
    ]
    return sorted([*lines.values(), *unscored], key=lambda line: line.position)


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

    A hash aggregate over a million scores grouped by the criterion id alone (no join per score);
    the hundred criteria's codes and names are read after, and criteria of two frameworks in one
    group are merged by code.
    """
    scores = _visible_scores(user, period=period, group=group)
    totals = list(
        scores.values("criterion_id")
        .annotate(
            lost=Sum(F("max_points") - F("points")),
            maximum=Sum("max_points"),
            units=Count("id", filter=Q(points__lt=F("max_points"))),
            assessments=Count("id"),
        )
        .order_by()
    )
    names = {
        c["pk"]: c
        for c in Criterion.objects.filter(pk__in=[t["criterion_id"] for t in totals]).values(
            "pk",
            "code",
            "name",
            component_code=F("component__code"),
            component_name=F("component__name"),
        )
    }
    merged: dict[str, dict] = {}
    for row in totals:
        about = names[row.pop("criterion_id")]
        entry = merged.get(about["code"])
        if entry is None:
            merged[about["code"]] = {**{k: v for k, v in about.items() if k != "pk"}, **row}
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
    # The criterion of this period's frameworks only: each year's framework has a criterion of
    # that code, and an index scan of the other year's ten thousand scores costs as much again.
    # Their ids first (a small query): as a subquery the planner misjudges the join.
    criteria = list(
        Criterion.objects.filter(
            code=criterion_code,
            framework__in=Assessment.objects.filter(period=period).values("framework_id"),
        ).values_list("pk", flat=True)
    )
    scores = (
        _visible_scores(user, period=period, group=group)
        .filter(criterion_id__in=criteria, points__lt=F("max_points"))
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
        Deduction.objects.active()
        .filter(score_id__in=list(rows))
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
        Deduction.objects.active()
        .filter(score__assessment__in=assessments)
        .values(label=F("reason__label"))
        .annotate(n=Count("id"), points=Sum("points"))
        .order_by("-points")
    )


_LOSS_COLUMNS = ("criterion_id", "max_points", "points", "code", "name", "method", "ccode", "n")


def unit_losses_for_climb(
    assessment_id: int, *, peers_of: tuple[int, int | None] | None = None
) -> tuple[list[dict], dict[int, Decimal] | None]:
    """The criteria where an assessment lost points and whether a deduction explains the loss,
    in criterion order; with `peers_of` = (period id, group id), also the share of that group's
    published assessments at full marks per criterion (else None). One query either way: the
    shares ride along as a UNION ALL (an aggregate grouped by criterion id; their rows carry no
    code), so the caller can cache them and ask for the losses alone next time.

    The caller read the assessment's result through period_results, so it is visible. The share
    only counts published assessments, so it never reflects other units' provisional figures
    whoever asks; it is only a tie-break for how attainable a recovery is. (As a subquery per lost
    criterion it rescanned the period's 10,000 assessments eighty times: 130 ms.)
    """
    share_field = DecimalField(max_digits=5, decimal_places=4)
    losses = (
        CriterionScore.objects.filter(
            assessment_id=assessment_id, not_applicable=False, points__lt=F("max_points")
        )
        .annotate(
            code=F("criterion__code"),
            name=F("criterion__name"),
            method=F("criterion__method"),
            ccode=F("component__code"),
            position=F("criterion__order"),
            n=Count("deductions", filter=Q(deductions__withdrawn_at__isnull=True)),
            share=Value(None, output_field=share_field),
        )
        .values_list(*_LOSS_COLUMNS, "position", "share")
        .order_by()
    )
    if peers_of is None:
        found = losses
    else:
        period_id, group_id = peers_of
        nothing = Value(None, output_field=DecimalField(max_digits=9, decimal_places=2))
        text = Value(None, output_field=CharField())
        number = Value(None, output_field=IntegerField())
        shares = (
            CriterionScore.objects.filter(
                assessment__period_id=period_id,
                assessment__result__group_id=group_id,
                assessment__state__in=PUBLISHED_STATES,
                not_applicable=False,
            )
            .values("criterion_id")
            .annotate(
                mp=nothing,
                pt=nothing,
                cd=text,
                nm=text,
                me=text,
                cc=text,
                k=number,
                position=number,
                share=Avg(
                    Case(
                        When(points__gte=F("max_points"), then=Value(Decimal(1))),
                        default=Value(Decimal(0)),
                        output_field=share_field,
                    )
                ),
            )
            .values_list(
                "criterion_id", "mp", "pt", "cd", "nm", "me", "cc", "k", "position", "share"
            )
            .order_by()
        )
        found = losses.union(shares, all=True)
    rows, peer_shares = [], ({} if peers_of is not None else None)
    for values in found:
        if values[3] is None:
            peer_shares[values[0]] = values[-1]
        else:
            rows.append(values)
    rows.sort(key=lambda v: (v[-2], v[3]))
    return (
        [{**dict(zip(_LOSS_COLUMNS, v[:-2], strict=True)), "deductions": v[7]} for v in rows],
        peer_shares,
    )


# --- climb: the unit, the units above it, a window of the ranking ------------------------------


@dataclass
class ClimbRows:
    row: ResultRow | None  # the unit's result (None: none the user may see)
    above: list[ResultRow] = field(default_factory=list)  # strictly higher percent, nearest first
    window: list[ResultRow] = field(default_factory=list)  # the ranking around the unit
    edition: Edition | None = None


def climb_rows(
    user, *, period: Period, group: RankingGroup, unit_id: int, above: int = 3, window: int = 400
) -> ClimbRows:
    """What the climb analysis needs of a group's ranking, without reading all of it: two queries
    that walk the ranking table from the unit, up and down, `window` rows each at most.

    - Down: the unit itself, then the units after it in the table (rank, then name).
    - Up: the units before it, nearest first. Within a group a better rank is a strictly higher
      percent, so the first `above` of those ranked better are the units to pass (nearest first;
      of tied units, the one just above in the table). Only when more than `window` units tie
      with the unit ahead of it does that take a third query.
    The picker gets `window` rows of both around the unit (all of a group that small).
    """
    src = _source(user, period=period, group=group)
    tail = (period.year, group.code)
    mine = src.qs.filter(**{src.unit: unit_id}).order_by()
    rank, name = Subquery(mine.values("rank")[:1]), Subquery(mine.values(src.name)[:1])
    tied_before = Q(rank=rank, **{f"{src.name}__lt": name}) | Q(
        rank=rank, **{src.name: name, f"{src.unit}__lt": unit_id}
    )
    up = src.qs.filter(Q(rank__lt=rank) | tied_before).order_by(
        F("rank").desc(), F("percent").asc(), F(src.name).desc(), F(src.unit).desc()
    )
    down = src.qs.filter(
        Q(rank=rank, **{src.name: name, f"{src.unit}__gte": unit_id})
        | Q(rank=rank, **{f"{src.name}__gt": name})
        | Q(rank__gt=rank)
        | Q(rank__isnull=True)
    ).order_by(*src.in_order)
    after = src.rows(down[:window], tail)
    higher_by_percent = src.qs.order_by("percent", F(src.name).desc(), F(src.unit).desc())
    if not after or after[0].unit_id != unit_id:
        # Not visible, or unranked (rare): the unit alone, its betters by percent, no window.
        me = src.rows(mine[:1], tail)
        if not me:
            return ClimbRows(None, edition=src.edition)
        higher = higher_by_percent.filter(percent__gt=me[0].percent)[:above]
        return ClimbRows(me[0], above=src.rows(higher, tail), window=me, edition=src.edition)
    row = after[0]
    before = src.rows(up[:window], tail)
    better = [r for r in before if r.rank < row.rank][:above]
    if len(better) < above and len(before) == window:
        better = src.rows(higher_by_percent.filter(percent__gt=row.percent)[:above], tail)
    around = before[::-1] + after
    lo = max(0, min(len(before) - window // 2, len(around) - window))
    return ClimbRows(row, above=better, window=around[lo : lo + window], edition=src.edition)


def count_higher(
    user, *, period: Period, group: RankingGroup, unit_id: int, percents: list[Decimal]
) -> list[int]:
    """For each percent, how many of the group's other units the user may see score strictly
    higher (one aggregate query)."""
    if not percents:
        return []
    src = _source(user, period=period, group=group)
    found = src.qs.exclude(**{src.unit: unit_id}).aggregate(
        **{f"n{i}": Count("pk", filter=Q(percent__gt=p)) for i, p in enumerate(percents)}
    )
    return [found[f"n{i}"] for i in range(len(percents))]


@dataclass(frozen=True)
class RankingTotals:
    count: int
    average: Decimal | None
    published: int

    @property
    def provisional(self) -> int:
        return self.count - self.published


def ranking_totals(user, *, period: Period, group: RankingGroup) -> RankingTotals:
    """How many results of the group the user may see, their average percent and how many are
    published: one aggregate query, for a caller that reads only a page of the rows."""
    src = _source(user, period=period, group=group)
    published = (
        Count("pk")
        if src.edition is not None
        else Count("pk", filter=Q(assessment__state__in=PUBLISHED_STATES))
    )
    found = src.qs.order_by().aggregate(n=Count("pk"), total=Sum("percent"), published=published)
    n = found["n"]
    average = (found["total"] / n).quantize(Decimal("0.01"), ROUND_HALF_UP) if n else None
    return RankingTotals(n, average, found["published"])


# --- comparison with the period before, in the database ------------------------------------------


@dataclass
class ComparisonRead:
    count: int  # units of the group the user may see this period
    with_previous: int  # of them, those with a figure last period (own or their predecessors')
    rows: list = field(default_factory=list)  # the page asked for, ranking order
    rose: list = field(default_factory=list)  # most places climbed first
    fell: list = field(default_factory=list)  # most places lost first
    extremes: list = field(default_factory=list)  # largest falls then largest rises, by change


def _dec(value) -> Decimal | None:
    """A numeric column as Decimal to the cent (SQLite hands back floats for computed columns)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def compare_with_previous(
    user,
    *,
    period: Period,
    previous: Period,
    group: RankingGroup,
    offset: int = 0,
    limit: int | None = None,
    movers: int = 5,
    each_side: int = 25,
) -> ComparisonRead:
    """Every unit of the group this period against its own result in `previous` (any group), or
    the average of its predecessors' when it has none (a merger): one query, in the database.

    Each period is read as the pages read it (its published snapshot, else the live results the
    user may see). The query joins the two, then answers in one go: the counts, a page of the
    rows in ranking order (`limit` None: all of them), the `movers` units that climbed and fell
    the most places (then by change of percent), and the `each_side` largest falls and rises of
    percent for the chart (all of them when there are no more than twice that).
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    from .computation import Comparison

    cur, prev = _source(user, period=period, group=group), _source(user, period=previous)
    state = "st" if cur.edition is None else None
    cur_qs = cur.qs.order_by().values(
        u=F(cur.unit),
        nm=F(cur.name),
        pct=F("percent"),
        rk=F("rank"),
        ch=F("rank_change"),
        **({"st": F("assessment__state")} if state else {}),
    )
    prev_qs = prev.qs.order_by().values(pu=F(prev.unit), ppct=F("percent"), prk=F("rank"))
    try:
        cur_sql, cur_params = cur_qs.query.sql_with_params()
        prev_sql, prev_params = prev_qs.query.sql_with_params()
    except EmptyResultSet:  # nothing visible
        return ComparisonRead(0, 0)
    q = connection.ops.quote_name
    edges = q(Unit.predecessors.through._meta.db_table)
    st = "c.st" if state else "CAST(%s AS VARCHAR(20))"
    st_params = [] if state else [State.PUBLISHED.value]
    cmp = f"""
        SELECT c.u, c.nm, c.pct, c.rk, c.ch, {st} AS st, p.prk,
               COALESCE(p.ppct, v.avg_pct) AS ppct, p.pu IS NULL AND v.avg_pct IS NOT NULL AS via,
               c.pct - COALESCE(p.ppct, v.avg_pct) AS d
        FROM cur c
        LEFT JOIN prev p ON p.pu = c.u
        LEFT JOIN (
            SELECT e.from_unit_id AS su, ROUND(AVG(pp.ppct), 2) AS avg_pct
            FROM {edges} e JOIN prev pp ON pp.pu = e.to_unit_id
            GROUP BY e.from_unit_id
        ) v ON v.su = c.u"""
    cols = "u, nm, pct, rk, ch, st, prk, ppct, via, d"
    in_order = "rk IS NULL, rk, pct DESC, nm, u"
    parts = [
        (
            "n",
            "SELECT CAST(NULL AS INTEGER), CAST(NULL AS VARCHAR(255)), CAST(COUNT(*) AS NUMERIC), "
            "CAST(COUNT(d) AS INTEGER), CAST(NULL AS INTEGER), CAST(NULL AS VARCHAR(20)), "
            "CAST(NULL AS INTEGER), CAST(NULL AS NUMERIC), CAST(NULL AS BOOLEAN), "
            "CAST(NULL AS NUMERIC) FROM cmp",
        ),
        (
            "page",
            f"SELECT {cols} FROM cmp ORDER BY {in_order}"
            + ("" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"),
        ),
        (
            "rose",
            f"SELECT {cols} FROM cmp WHERE ch > 0 ORDER BY ch DESC, COALESCE(d, 0) DESC, "
            f"{in_order} LIMIT {int(movers)}",
        ),
        (
            "fell",
            f"SELECT {cols} FROM cmp WHERE ch < 0 ORDER BY ch, COALESCE(d, 0), {in_order} "
            f"LIMIT {int(movers)}",
        ),
        (
            "low",
            f"SELECT {cols} FROM cmp WHERE d IS NOT NULL ORDER BY d, {in_order} "
            f"LIMIT {2 * int(each_side)}",
        ),
        (
            "high",
            f"SELECT {cols} FROM cmp WHERE d IS NOT NULL ORDER BY d DESC, "
            f"rk IS NULL DESC, rk DESC, pct, nm DESC, u DESC LIMIT {int(each_side)}",
        ),
    ]
    union = " UNION ALL ".join(
        f"SELECT '{name}' AS part, x.* FROM ({sql}) x" for name, sql in parts
    )
    sql = f"WITH cur AS ({cur_sql}), prev AS ({prev_sql}), cmp AS ({cmp}) {union}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*cur_params, *prev_params, *st_params])
        found = cursor.fetchall()
    out = ComparisonRead(0, 0)
    buckets: dict[str, list] = defaultdict(list)
    for part, u, nm, pct, rk, ch, st_value, prk, ppct, via, _d in found:
        if part == "n":
            out.count, out.with_previous = int(pct), int(rk)
            continue
        buckets[part].append(
            Comparison(
                unit_id=u,
                name=nm,
                percent=_dec(pct),
                rank=rk,
                previous_percent=_dec(ppct),
                previous_rank=None if via else prk,
                rank_change=ch,
                via_predecessors=bool(via),
                published=st_value in PUBLISHED_STATES,
            )
        )
    out.rows, out.rose, out.fell = buckets["page"], buckets["rose"], buckets["fell"]
    low = buckets["low"]
    out.extremes = (
        low if out.with_previous <= 2 * each_side else (low[:each_side] + buckets["high"][::-1])
    )
    return out
