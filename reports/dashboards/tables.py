"""The ranking and the heatmap of a group: a page of either, or the whole group (exports, PDF)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from units.models import RankingGroup

from .. import computation
from ..selectors.components import (
    ComponentAverages,
    ComponentCell,
    component_averages,
    component_cells,
    group_components,
)
from ..selectors.results import ResultRow, group_rows, ranking_page, ranking_totals
from .filters import Filters, cached

PAGE_SIZE = 60
SORTS = {
    # Unranked rows (kept apart, no group) by percent, as the database orders them.
    "rank": lambda r: (r.rank is None, r.rank or 0, -r.percent, r.unit_name),
    "name": lambda r: r.unit_name,
    "percent": lambda r: (-r.percent, r.unit_name),
    "total": lambda r: (-r.total_points, r.unit_name),
    "change": lambda r: (r.rank_change is None, -(r.rank_change or 0), r.unit_name),
}


# --- ranking -------------------------------------------------------------------------------------


@dataclass
class RankingPage:
    rows: list[ResultRow]  # the page (everything: all of them)
    page_rows: list[ResultRow]
    summary: computation.Summary
    pages: int = 1
    page: int = 1
    start: int = 0
    sort: str | None = None  # the sort asked for ("-percent": descending); None: the export's


def ranking(
    user, f: Filters, *, sort: str = "rank", page: int = 1, everything: bool = False
) -> RankingPage:
    """The ranked results of a group, a page of them, and the group's summary. A page is read
    sorted and cut by the database, the summary comes from the cache (see filters.cached);
    everything (exports, PDF) reads the whole group once."""
    if f.period is None or f.group is None:
        return RankingPage([], [], computation.summarize([]))
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "rank", False
    if everything:
        rows = group_rows(
            user, period=f.period, group=f.group, edition=f.edition, keep_apart=f.keep_apart
        )
        ordered = sorted(rows, key=SORTS[key], reverse=descending)
        if f.keep_apart:
            ordered.sort(key=lambda r: r.apart)  # stable: the units kept apart last
        return RankingPage(ordered, ordered, computation.summarize(rows, keep_apart=f.keep_apart))
    summary = cached(
        "ranking-summary",
        user,
        f,
        lambda: computation.summarize(
            group_rows(
                user, period=f.period, group=f.group, edition=f.edition, keep_apart=f.keep_apart
            ),
            keep_apart=f.keep_apart,
        ),
    )
    start, _end, pages = computation.page_bounds(summary.count, page, PAGE_SIZE)
    page_rows = ranking_page(
        user,
        period=f.period,
        group=f.group,
        limit=PAGE_SIZE,
        offset=start,
        sort=(key, descending),
        edition=f.edition,
        keep_apart=f.keep_apart,
    )
    return RankingPage(
        rows=page_rows,
        page_rows=page_rows,
        summary=summary,
        pages=pages,
        page=start // PAGE_SIZE + 1,
        start=start,
        sort=("-" if descending else "") + key,
    )


# --- heatmap -------------------------------------------------------------------------------------


def cached_component_averages(
    user, f: Filters, group: RankingGroup | None = None
) -> tuple[int, ComponentAverages]:
    """How many results the user may see in the group (the filter's unless given), and each
    component's name and average percent over them (cached until the results change: 80,000
    component results at scale)."""
    if group is not None and group != f.group:
        f = replace(f, group=group)

    def compute():
        averages = component_averages(user, period=f.period, group=f.group, edition=f.edition)
        count = ranking_totals(user, period=f.period, group=f.group, edition=f.edition).count
        return count, averages

    return cached("component-averages", user, f, compute)


@dataclass
class HeatmapRow:
    row: ResultRow
    cells: dict[str, ComponentCell | None]  # component code → cell (None: no result)


@dataclass
class Heatmap:
    units: list[HeatmapRow]
    components: list[tuple[str, str]]  # (code, name), in component order
    averages: dict[str, Decimal]  # component code → average percent over the visible results
    weakest: tuple[str, tuple[str, Decimal]] | None = None  # (code, (name, average))
    pages: int = 1
    page: int = 1
    count: int = 0


def heatmap(user, f: Filters, *, page: int = 1, everything: bool = False) -> Heatmap:
    """Units × components (percent of maximum) for a page of the group, and each component's
    average over the visible results. A page reads its sixty rows and their components; the
    averages and the count come from the cache (everything: one read of the whole group)."""
    if f.period is None or f.group is None:
        return Heatmap([], [], {})
    if everything:
        page_rows = group_rows(
            user, period=f.period, group=f.group, edition=f.edition, keep_apart=f.keep_apart
        )
        found = group_components(user, period=f.period, group=f.group, edition=f.edition)
        cells, averages, count = found.cells, found.averages, len(page_rows)
        start, pages = 0, 1
    else:
        count, averages = cached_component_averages(user, f)
        start, _end, pages = computation.page_bounds(count, page, PAGE_SIZE)
        page_rows = ranking_page(
            user,
            period=f.period,
            group=f.group,
            limit=PAGE_SIZE,
            offset=start,
            edition=f.edition,
            keep_apart=f.keep_apart,
        )
        cells = component_cells(
            user,
            period=f.period,
            group=f.group,
            assessment_ids=[r.assessment_id for r in page_rows],
            edition=f.edition,
        )
    components = [(code, name) for code, (name, _avg) in averages.items()]
    units = []
    for r in page_rows:
        mine = cells.get(r.assessment_id, {})
        units.append(HeatmapRow(r, {code: mine.get(code) for code, _name in components}))
    if f.component and any(code == f.component for code, _n in components):
        units.sort(
            key=lambda u: (
                u.cells[f.component] is None,
                u.cells[f.component].percent if u.cells[f.component] else 0,
            )
        )
    return Heatmap(
        units=units,
        components=components,
        averages={code: avg for code, (_name, avg) in averages.items()},
        weakest=min(averages.items(), key=lambda kv: kv[1][1], default=None),
        pages=pages,
        page=start // PAGE_SIZE + 1,
        count=count,
    )
