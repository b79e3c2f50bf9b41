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

from django.db.models import Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.functions import Rank
from django.utils.translation import gettext as _

from core.permissions import Action, can
from scoring.models import AssessmentResult, Period
from scoring.permissions import PUBLISHED_STATES, results_visible_to
from scoring.workflow import APPRAISED_STATES, State
from units.models import RankingGroup

from .snapshots import (
    LATEST,
    Edition,
    EditionChoice,
    periods_with_latest,
    resolve_edition,
    snapshot_rows,
)

# The state of a published row whose unit staff left out of the publication (no figures, no rank).
NOT_ASSESSED = "not_assessed"
# States whose figures are the appraisal's: ranked among themselves. Any other unit is kept apart
# before publication (its state shown, no rank, no conclusion drawn) unless the reader asks.
RANKED_STATES = frozenset(s.value for s in APPRAISED_STATES)


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
        return self.state in PUBLISHED_STATES or self.state == NOT_ASSESSED

    @property
    def apart(self) -> bool:
        """Not appraised (still drafting, self-assessed, submitted) or left out of the
        publication: shown with its state, never ranked among the appraised."""
        return self.state not in RANKED_STATES

    @property
    def assessed(self) -> bool:
        """False for a unit left out of the publication (published as not assessed)."""
        return self.state != NOT_ASSESSED

    @property
    def state_label(self) -> str:
        if self.state == NOT_ASSESSED:
            return _("Không đánh giá")
        return State(self.state).label if self.state in State.values else self.state


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
    Case(
        When(not_assessed_reason="", then=Value(State.PUBLISHED.value)),
        default=Value(NOT_ASSESSED),
    ),
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
    # Live results only: units not appraised come after the appraised ones, whatever the sort.
    keep_apart: bool = False

    @property
    def apart_first(self) -> tuple:
        if not self.keep_apart:
            return ()
        return (
            Case(When(assessment__state__in=RANKED_STATES, then=Value(0)), default=Value(1)).asc(),
        )

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
            if descending:
                order = tuple(k.copy().reverse_ordering() for k in order)
            return (*self.apart_first, *order)
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
        return (*self.apart_first, *keys, *self.in_order)

    # Live results kept apart, read by someone who sees every result: the appraised units' ranks
    # among themselves come with the rows (a window over the query), no second query.
    rank_in_query: bool = False

    @property
    def ranked_qs(self):
        """`qs`, with the appraised units' ranks among themselves when they come with the rows."""
        if not self.rank_in_query:
            return self.qs
        appraised = Case(
            When(assessment__state__in=RANKED_STATES, then=Value(True)), default=Value(False)
        )
        return self.qs.annotate(
            appraised_rank=Window(
                Rank(), partition_by=[F("group_id"), appraised], order_by=F("percent").desc()
            )
        )

    def rows(self, qs, tail: tuple) -> list[ResultRow]:
        new = tuple.__new__
        if not self.rank_in_query:
            return [new(ResultRow, (*v, *tail)) for v in qs.values_list(*self.fields)]
        out = []
        for *v, appraised_rank in qs.values_list(*self.fields, "appraised_rank"):
            row = new(ResultRow, (*v, *tail))
            out.append(_rebased(row, appraised_rank))
        return out

    def ranked(self, rows: list[ResultRow]) -> list[ResultRow]:
        """The rows as the reader sees them: live rows kept apart unless the reader asked."""
        if not self.keep_apart or self.rank_in_query:
            return rows
        return ranked_apart(rows)


def appraised_ranks(
    *, years: set[int], group_ids: set[int], key: str = "assessment_id"
) -> dict[int, int]:
    """`key` (assessment_id, or assessment__unit_id) → competition rank among the appraised
    results of its group and period (1, 2, 2, 4), over every such result whoever reads."""
    if not group_ids:
        return {}
    return dict(
        AssessmentResult.objects.filter(
            period__year__in=years, group_id__in=group_ids, assessment__state__in=RANKED_STATES
        )
        .annotate(
            appraised_rank=Window(
                Rank(), partition_by=[F("period_id"), F("group_id")], order_by=F("percent").desc()
            )
        )
        .values_list(key, "appraised_rank")
    )


def _rebased(row: ResultRow, appraised_rank: int | None) -> ResultRow:
    """A live row as kept apart: no rank for a unit not appraised; an appraised one's rank among
    the appraised, its change against last year moved by the places the others took."""
    if row.apart or row.group_id is None:
        return row._replace(rank=None, rank_change=None)
    if appraised_rank is None or row.rank is None or row.rank_change is None:
        return row._replace(rank=appraised_rank, rank_change=None)
    return row._replace(
        rank=appraised_rank, rank_change=row.rank_change + row.rank - appraised_rank
    )


def ranked_apart(rows: list[ResultRow]) -> list[ResultRow]:
    """Live rows with the appraised units ranked among themselves (competition ranks over every
    appraised result of their group, seen by the reader or not) and the others without a rank or
    a rank change. The stored rank (the engine's, over every unit) orders the appraised the same
    way, so a page cut by the database in that order is the same page. One query."""
    groups = {r.group_id for r in rows if r.group_id is not None and not r.apart}
    ranks = appraised_ranks(years={r.year for r in rows}, group_ids=groups)
    return [_rebased(r, ranks.get(r.assessment_id)) for r in rows]


def source(
    user,
    *,
    period: Period,
    edition: EditionChoice = LATEST,
    group: RankingGroup | None = None,
    unit_ids: list[int] | None = None,
    keep_apart: bool = False,
) -> Source:
    """Where `period`'s results are read: the snapshot of `edition`, or the live results (None).
    `keep_apart`: live units not appraised are ordered after the appraised and, through
    `Source.ranked`, shown without a rank."""
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
        keep_apart=keep_apart,
        # Whole groups are read (no unit filter, every result visible): the window over the
        # query's rows is the window over the group.
        rank_in_query=keep_apart and unit_ids is None and can(user, Action.VIEW_ALL_UNITS),
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
    keep_apart: bool = True,
) -> list[ResultRow]:
    """`limit` rows of a group's ranking from `offset`, sorted and cut by the database (`sort`: a
    key of the dashboards' SORTS and whether descending). One query (two for live results kept
    apart: the appraised units' ranks among themselves)."""
    src = source(user, period=period, edition=edition, group=group, keep_apart=keep_apart)
    tail = (period.year, group.code)
    if src.keep_apart and sort[0] == "change":
        # The change shown is measured among the appraised: not the stored column's order.
        rows = src.ranked(src.rows(src.ranked_qs.order_by(), tail))
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.percent, r.unit_name))
        rows.sort(
            key=lambda r: (r.rank_change is None, -(r.rank_change or 0), r.unit_name),
            reverse=sort[1],
        )
        rows.sort(key=lambda r: r.apart)
        return rows[offset : offset + limit]
    return src.ranked(
        src.rows(src.ranked_qs.order_by(*src.order(*sort))[offset : offset + limit], tail)
    )


def group_rows(
    user,
    *,
    period: Period,
    group: RankingGroup,
    edition: EditionChoice = LATEST,
    keep_apart: bool = True,
) -> list[ResultRow]:
    """Every row of a group's ranking the user may see, in ranking order (sorted in Python; one
    query): the exports, the PDF and the cached summaries."""
    src = source(user, period=period, edition=edition, group=group, keep_apart=keep_apart)
    rows = src.ranked(src.rows(src.ranked_qs.order_by(), (period.year, group.code)))
    sort_rows(rows, one_ranking=True)
    return rows


def period_rows(
    user,
    *,
    period: Period,
    unit_ids: list[int] | None = None,
    edition: EditionChoice = LATEST,
    keep_apart: bool = True,
) -> list[ResultRow]:
    """A period's rows of every group (only `unit_ids`' when given), best rank first. One query."""
    src = source(user, period=period, edition=edition, unit_ids=unit_ids, keep_apart=keep_apart)
    new = tuple.__new__
    year = period.year
    if src.rank_in_query:
        found = src.ranked_qs.order_by().values_list(*src.fields, "group__code", "appraised_rank")
        rows = [_rebased(new(ResultRow, (*v[:-2], year, v[-2] or "")), v[-1]) for v in found]
    else:
        found = src.qs.order_by().values_list(*src.fields, "group__code")
        rows = src.ranked([new(ResultRow, (*v[:-1], year, v[-1] or "")) for v in found])
    sort_rows(rows, one_ranking=False)
    return rows


def history_rows(
    user,
    *,
    unit_ids: list[int] | None,
    latest: dict[int, Edition | None] | None = None,
    keep_apart: bool = True,
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
    if keep_apart:
        rows = ranked_apart(rows)
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
    average: Decimal | None  # over the ranked units only when units are kept apart
    published: int
    apart: int = 0  # live units not appraised, kept apart (no rank, not in the average)

    @property
    def provisional(self) -> int:
        """Appraised but not yet published (the units kept apart are counted in `apart`)."""
        return self.count - self.published - self.apart


def ranking_totals(
    user,
    *,
    period: Period,
    group: RankingGroup,
    edition: EditionChoice = LATEST,
    keep_apart: bool = True,
) -> RankingTotals:
    """How many results of the group the user may see, their average percent and how many are
    published: one aggregate query, for a caller that reads only a page of the rows."""
    src = source(user, period=period, edition=edition, group=group, keep_apart=keep_apart)
    if src.edition is not None:
        published, counted = Count("pk"), Q(not_assessed_reason="")
    else:
        published = Count("pk", filter=Q(assessment__state__in=PUBLISHED_STATES))
        counted = Q(assessment__state__in=RANKED_STATES) if keep_apart else Q(pk__isnull=False)
    found = src.qs.order_by().aggregate(
        n=Count("pk"),
        counted=Count("pk", filter=counted),
        total=Sum("percent", filter=counted),
        published=published,
    )
    n, counted_n = found["n"], found["counted"]
    average = (
        (found["total"] / counted_n).quantize(Decimal("0.01"), ROUND_HALF_UP) if counted_n else None
    )
    return RankingTotals(n, average, found["published"], n - counted_n)
