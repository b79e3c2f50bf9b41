"""This period against the previous one: a page of the group (or all of it), who rose and who
fell, and the largest changes for the chart."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from scoring.models import Period

from .. import computation
from ..computation import Comparison
from ..selectors.comparison import compare_with_previous
from ..selectors.results import RANKED_STATES, appraised_ranks
from .filters import Filters
from .tables import PAGE_SIZE


@dataclass
class ComparisonPage:
    rows: list[Comparison] = field(
        default_factory=list
    )  # all of them with everything, else the page
    count: int = 0
    page_rows: list[Comparison] = field(default_factory=list)
    pages: int = 1
    page: int = 1
    rose: list[Comparison] = field(default_factory=list)  # most places climbed first
    fell: list[Comparison] = field(default_factory=list)  # most places lost first
    chart_rows: list[Comparison] = field(default_factory=list)  # the largest changes
    chart_cut: bool = False  # the chart leaves out smaller changes
    any_via: bool = False  # a previous figure is the predecessors' average (the footnote)
    previous: Period | None = None


def comparison(user, f: Filters, *, page: int = 1, everything: bool = False) -> ComparisonPage:
    """This period against the previous one, joined and sorted in the database."""
    if f.period is None or f.group is None:
        return ComparisonPage()
    previous = f.previous_period
    if previous is None:
        return ComparisonPage()

    def read(offset: int = 0, limit: int | None = None):
        return compare_with_previous(
            user,
            period=f.period,
            previous=previous,
            group=f.group,
            offset=offset,
            limit=limit,
            edition=f.edition,
            previous_edition=f.previous_edition,
        )

    if everything:
        found, start, pages = read(), 0, 1
    else:
        # The count comes with the page, from the same query: a page past the last is clamped
        # afterwards (one more query only then).
        found = read((page - 1) * PAGE_SIZE, PAGE_SIZE)
        start, _end, pages = computation.page_bounds(found.count, page, PAGE_SIZE)
        if start != (page - 1) * PAGE_SIZE:
            found = read(start, PAGE_SIZE)
    rose, fell = found.rose, found.fell
    if f.keep_apart and f.edition is None:
        found.rows, rose, fell = _kept_apart(f, found.rows, rose, fell)
    return ComparisonPage(
        rows=found.rows,
        count=found.count,
        page_rows=found.rows,
        pages=pages,
        page=start // PAGE_SIZE + 1,
        rose=rose,
        fell=fell,
        chart_rows=found.extremes,
        chart_cut=found.with_previous > len(found.extremes),
        any_via=any(r.via_predecessors for r in found.rows),
        previous=previous,
    )


def _kept_apart(f: Filters, rows, rose, fell):
    """Before publication: units not appraised lose their rank and rank change, and are neither
    among those that rose nor those that fell; the appraised are ranked among themselves."""
    ranks = appraised_ranks(
        years={f.period.year}, group_ids={f.group.pk}, key="assessment__unit_id"
    )

    def rebased(r: Comparison) -> Comparison:
        if r.state not in RANKED_STATES:
            return replace(r, rank=None, rank_change=None)
        new = ranks.get(r.unit_id)
        change = None
        if new is not None and r.rank is not None and r.rank_change is not None:
            change = r.rank_change + r.rank - new
        return replace(r, rank=new, rank_change=change)

    rose = [x for x in map(rebased, rose) if x.rank_change is not None and x.rank_change > 0]
    fell = [x for x in map(rebased, fell) if x.rank_change is not None and x.rank_change < 0]
    return [rebased(r) for r in rows], rose, fell
