"""Stored results as the dashboards, exports, PDF and API read them: the one reader.

Every reader goes through `source`, the one place that decides between a published period's
snapshot (the version given, everyone sees it) and the live stored results (visibility from
scoring.permissions: a unit head sees their own unit in every state and other units only once
published). Each function reads one thing: a page of a group's ranking, a whole group, a
period's rows of some units, or units across the years.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Count, F, Q, Sum, Value

from scoring.models import AssessmentResult, Period
from scoring.permissions import PUBLISHED_STATES, results_visible_to
from scoring.workflow import State
from units.models import RankingGroup

from .snapshots import (
    LATEST,
    Edition,
    EditionChoice,
    periods_with_latest,
    resolve_edition,
    snapshot_rows,
)


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


# The columns of ResultRow up to `state`, from the live results and from a snapshot's rows.
LIVE_FIELDS = (
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
SNAPSHOT_FIELDS = (
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


def visible_results(
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


@dataclass(frozen=True)
class Source:
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
        ties in ranking order: the database's side of the dashboards' SORTS."""
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


def source(
    user,
    *,
    period: Period,
    edition: EditionChoice = LATEST,
    group: RankingGroup | None = None,
    unit_ids: list[int] | None = None,
) -> Source:
    """Where `period`'s results are read: the snapshot of `edition`, or the live results (None)."""
    edition = resolve_edition(period, edition)
    if edition is not None:
        return Source(
            snapshot_rows([edition.snapshot_id], group=group, unit_ids=unit_ids),
            SNAPSHOT_FIELDS,
            edition,
            "unit_id",
            "unit_name",
        )
    return Source(
        visible_results(user, period=period, group=group, unit_ids=unit_ids),
        LIVE_FIELDS,
        None,
        "assessment__unit_id",
        "assessment__unit__name",
    )


def sort_rows(rows: list[ResultRow], *, one_ranking: bool) -> None:
    """Best rank first (per year); unranked rows last by percent. Within one ranking (a period and a
    group) equal ranks mean equal percents, so the cheaper key gives the same order."""
    if one_ranking:
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit_name))
        if rows and rows[-1].rank is None:
            at = next(i for i, r in enumerate(rows) if r.rank is None)
            rows[at:] = sorted(rows[at:], key=lambda r: (-r.percent, r.unit_name))
    else:
        rows.sort(key=lambda r: (r.year, r.rank is None, r.rank or 0, -r.percent, r.unit_name))


# Tuples, no join for what the arguments already say (year, group code): these are the hot paths
# of every dashboard over thousands of units.


def ranking_page(
    user,
    *,
    period: Period,
    group: RankingGroup,
    limit: int,
    offset: int = 0,
    sort: tuple[str, bool] = ("rank", False),
    edition: EditionChoice = LATEST,
) -> list[ResultRow]:
    """`limit` rows of a group's ranking from `offset`, sorted and cut by the database (`sort`: a
    key of the dashboards' SORTS and whether descending). One query."""
    src = source(user, period=period, edition=edition, group=group)
    return src.rows(
        src.qs.order_by(*src.order(*sort))[offset : offset + limit], (period.year, group.code)
    )


def group_rows(
    user, *, period: Period, group: RankingGroup, edition: EditionChoice = LATEST
) -> list[ResultRow]:
    """Every row of a group's ranking the user may see, in ranking order (sorted in Python; one
    query): the exports, the PDF and the cached summaries."""
    src = source(user, period=period, edition=edition, group=group)
    rows = src.rows(src.qs.order_by(), (period.year, group.code))
    sort_rows(rows, one_ranking=True)
    return rows


def period_rows(
    user,
    *,
    period: Period,
    unit_ids: list[int] | None = None,
    edition: EditionChoice = LATEST,
) -> list[ResultRow]:
    """A period's rows of every group (only `unit_ids`' when given), best rank first. One query."""
    src = source(user, period=period, edition=edition, unit_ids=unit_ids)
    new = tuple.__new__
    year = period.year
    found = src.qs.order_by().values_list(*src.fields, "group__code")
    rows = [new(ResultRow, (*v[:-1], year, v[-1] or "")) for v in found]
    sort_rows(rows, one_ranking=False)
    return rows


def history_rows(
    user,
    *,
    unit_ids: list[int] | None,
    latest: dict[int, Edition | None] | None = None,
) -> list[ResultRow]:
    """Units' rows across the years: the latest snapshot of published periods, live results
    (visible to the user) of the others. `latest` (period id → latest published version, from the
    filter bar's choices) saves a query: two queries, three without it."""
    if latest is None:
        latest = {c.period.pk: c.latest for c in periods_with_latest()}
    published = {pk: e.snapshot_id for pk, e in latest.items() if e is not None}
    live = visible_results(user, period=None, unit_ids=unit_ids, exclude_periods=list(published))
    new = tuple.__new__
    rows = [
        new(ResultRow, (*v[:-2], v[-2], v[-1] or ""))
        for v in live.order_by().values_list(*LIVE_FIELDS, "period__year", "group__code")
    ]
    if published:
        found = snapshot_rows(list(published.values()), unit_ids=unit_ids)
        rows += [
            new(ResultRow, (*v[:-2], v[-2], v[-1] or ""))
            for v in found.order_by().values_list(
                *SNAPSHOT_FIELDS, "snapshot__period__year", "group__code"
            )
        ]
    sort_rows(rows, one_ranking=False)
    return rows


def group_result_count(
    *, period: Period, group: RankingGroup | None, edition: EditionChoice = LATEST
) -> int:
    """How many units have a result in the group: a count, no figures, so anyone may know it."""
    if group is None:
        return 0
    edition = resolve_edition(period, edition)
    if edition is not None:
        return snapshot_rows([edition.snapshot_id], group=group).count()
    return AssessmentResult.objects.filter(period=period, group=group).count()


def unit_has_result(*, unit, period: Period | None, edition: EditionChoice = LATEST) -> bool:
    """Whether the unit has a result in the period, whoever may see it (a yes or no, no figure):
    a page without one then tells "not yet assessed" from "not yours to see"."""
    if period is None:
        return False
    edition = resolve_edition(period, edition)
    if edition is not None:
        return snapshot_rows([edition.snapshot_id], unit_ids=[unit.pk]).exists()
    return AssessmentResult.objects.filter(period=period, assessment__unit=unit).exists()


@dataclass(frozen=True)
class RankingTotals:
    count: int
    average: Decimal | None
    published: int

    @property
    def provisional(self) -> int:
        return self.count - self.published


def ranking_totals(
    user, *, period: Period, group: RankingGroup, edition: EditionChoice = LATEST
) -> RankingTotals:
    """How many results of the group the user may see, their average percent and how many are
    published: one aggregate query, for a caller that reads only a page of the rows."""
    src = source(user, period=period, edition=edition, group=group)
    published = (
        Count("pk")
        if src.edition is not None
        else Count("pk", filter=Q(assessment__state__in=PUBLISHED_STATES))
    )
    found = src.qs.order_by().aggregate(n=Count("pk"), total=Sum("percent"), published=published)
    n = found["n"]
    average = (found["total"] / n).quantize(Decimal("0.01"), ROUND_HALF_UP) if n else None
    return RankingTotals(n, average, found["published"])
