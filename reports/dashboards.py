"""What each dashboard shows, assembled from the selectors: shared by the pages, the exports, the PDF
reports and the API so that all of them show the same figures. Returns plain dicts and dataclasses;
the views add the Plotly figures and render.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import QueryDict
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from core.permissions import Action, can
from core.roles import unit_id_of
from scoring import generation
from scoring.models import Period
from units.models import RankingGroup, Unit

from . import computation, selectors

PAGE_SIZE = 60
PICKER_CAP = 400
SORTS = {
    "rank": lambda r: (r.rank is None, r.rank or 0, r.unit_name),
    "name": lambda r: r.unit_name,
    "percent": lambda r: (-r.percent, r.unit_name),
    "total": lambda r: (-r.total_points, r.unit_name),
    "change": lambda r: (r.rank_change is None, -(r.rank_change or 0), r.unit_name),
}


@dataclass
class Filters:
    """The filter bar: period (year), group (code), component (code), as in the URL."""

    periods: list[Period]
    groups: list[RankingGroup]
    period: Period | None = None
    group: RankingGroup | None = None
    component: str | None = None
    version: int | None = None  # a published version asked for with ?version= (None: the latest)
    errors: list[str] = field(default_factory=list)

    @property
    def edition(self) -> selectors.Edition | None:
        """The published version shown for the period; None: live, provisional results."""
        return selectors.period_edition(self.period) if self.period is not None else None

    def params(self, **overrides) -> dict[str, str]:
        params = {}
        if self.period is not None:
            params["period"] = str(self.period.year)
        if self.group is not None:
            params["group"] = self.group.code
        if self.component:
            params["component"] = self.component
        if self.version is not None:
            params["version"] = str(self.version)
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = str(value)
        return params

    def query(self, **overrides) -> str:
        return urlencode(self.params(**overrides))

    @property
    def edition_label(self) -> str:
        """What the pages, exports, PDF and API say about the figures they show."""
        edition = self.edition
        if edition is None:
            return _("Kết quả tạm tính (chưa công bố): số liệu có thể thay đổi.")
        label = _("Kết quả công bố · phiên bản %(version)s (%(date)s)") % {
            "version": edition.version,
            "date": dateformat.format(timezone.localtime(edition.published_at), "d/m/Y"),
        }
        if edition.reason:
            label += " — " + _("lý do đính chính: %(reason)s") % {"reason": edition.reason}
        if not edition.is_latest:
            label += " · " + _("đã có phiên bản mới hơn (phiên bản %(latest)s)") % {
                "latest": edition.latest_version
            }
        return label

    def version_links(self) -> list[tuple[int, str, bool]]:
        """(version, query string, shown) of each published version, newest first."""
        edition = self.edition
        if edition is None:
            return []
        return [(v, self.query(version=v), v == edition.version) for v in edition.versions]

    @property
    def previous_period(self) -> Period | None:
        if self.period is None:
            return None
        return next((p for p in self.periods if p.year == self.period.year - 1), None)


def parse_filters(user, params: QueryDict, *, need_group: bool = True) -> Filters:
    """Reads ?period=2024&group=khoi-so&component=3; bad values fall back to defaults with an error."""
    periods, groups = selectors.periods_and_groups()
    f = Filters(periods=periods, groups=groups)
    raw_period = params.get("period", "").strip()
    if raw_period:
        f.period = next((p for p in periods if str(p.year) == raw_period), None)
        if f.period is None:
            f.errors.append(
                _("Không có kỳ đánh giá năm «%(value)s»; đang hiển thị kỳ gần nhất.")
                % {"value": raw_period[:20]}
            )
    if f.period is None and periods:
        f.period = periods[0]
    raw_group = params.get("group", "").strip()
    if raw_group:
        f.group = next((g for g in groups if g.code == raw_group), None)
        if f.group is None:
            f.errors.append(
                _("Không có khối «%(value)s»; đang hiển thị khối mặc định.")
                % {"value": raw_group[:40]}
            )
    if f.group is None and need_group and f.period is not None:
        default_id = selectors.default_group_id(user, f.period)
        f.group = next((g for g in groups if g.pk == default_id), groups[0] if groups else None)
    raw_version = params.get("version", "").strip()
    if raw_version and f.period is not None:
        chosen = None
        if raw_version.isdigit() and len(raw_version) <= 6:
            chosen = selectors.choose_version(f.period, int(raw_version))
        if chosen is not None:
            f.version = chosen.version
        elif selectors.period_edition(f.period) is None:
            f.errors.append(
                _("%(period)s chưa được công bố nên không có phiên bản «%(value)s».")
                % {"period": f.period.name, "value": raw_version[:20]}
            )
        else:
            f.errors.append(
                _(
                    "Không có phiên bản «%(value)s» của kết quả công bố; đang hiển thị phiên bản mới nhất."
                )
                % {"value": raw_version[:20]}
            )
    raw_component = params.get("component", "").strip()
    if raw_component:
        if len(raw_component) <= 20 and all(c.isdigit() or c == "." for c in raw_component):
            f.component = raw_component
        else:
            f.errors.append(
                _("Chỉ số thành phần «%(value)s» không hợp lệ.") % {"value": raw_component[:20]}
            )
    return f


def parse_int(params: QueryDict, name: str, errors: list[str], label: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        errors.append(
            _("Giá trị «%(value)s» của %(label)s không hợp lệ.")
            % {"value": raw[:20], "label": label}
        )
        return None
    if value < 1:
        errors.append(
            _("Giá trị «%(value)s» của %(label)s không hợp lệ.")
            % {"value": raw[:20], "label": label}
        )
        return None
    return value


# --- ranking -------------------------------------------------------------------------------------


def ranking(
    user, f: Filters, *, sort: str = "rank", page: int = 1, everything: bool = False
) -> dict:
    """The ranked results of a group, a page of them, and the group's summary. A page is read
    sorted and cut by the database, the summary comes from the cache (see _cached); everything
    (exports, PDF) reads the whole group once."""
    if f.period is None or f.group is None:
        return {"rows": [], "page_rows": [], "summary": computation.summarize([]), "pages": 1}
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "rank", False
    if everything:
        rows = selectors.period_results(user, period=f.period, group=f.group).rows
        ordered = sorted(rows, key=SORTS[key], reverse=descending)
        summary = computation.summarize(rows)
        return {"rows": ordered, "page_rows": ordered, "summary": summary, "pages": 1, "page": 1}
    summary = _cached(
        "ranking-summary",
        user,
        f,
        lambda: computation.summarize(
            selectors.period_results(user, period=f.period, group=f.group).rows
        ),
    )
    start, _end, pages = computation.page_bounds(summary.count, page, PAGE_SIZE)
    page_rows = selectors.period_results(
        user,
        period=f.period,
        group=f.group,
        limit=PAGE_SIZE,
        offset=start,
        sort=(key, descending),
    ).rows
    return {
        "rows": page_rows,  # the page (everything: all of them)
        "page_rows": page_rows,
        "summary": summary,
        "pages": pages,
        "page": start // PAGE_SIZE + 1,
        "start": start,
        "sort": ("-" if descending else "") + key,
    }


# --- heatmap -------------------------------------------------------------------------------------


def _component_averages(
    user, f: Filters, group: RankingGroup | None = None
) -> tuple[int, dict[str, tuple[str, Decimal]]]:
    """How many results the user may see in the group (the filter's unless given), and each
    component's name and average percent over them (cached until the results change: 80,000
    component results at scale)."""
    if group is not None and group != f.group:
        f = replace(f, group=group)

    def compute():
        averages = selectors.period_results(
            user, period=f.period, group=f.group, with_rows=False, component_averages=True
        ).component_averages
        count = selectors.ranking_totals(user, period=f.period, group=f.group).count
        return count, averages

    return _cached("component-averages", user, f, compute)


def heatmap(user, f: Filters, *, page: int = 1, everything: bool = False) -> dict:
    """Units × components (percent of maximum) for a page of the group, and each component's
    average over the visible results. A page reads its sixty rows and their components; the
    averages and the count come from the cache (everything: one read of the whole group)."""
    if f.period is None or f.group is None:
        return {"units": [], "components": [], "averages": {}, "pages": 1, "page": 1}
    if everything:
        detail = selectors.period_results(
            user, period=f.period, group=f.group, component_detail="all", component_averages=True
        )
        page_rows, count, averages = detail.rows, len(detail.rows), detail.component_averages
        start, pages = 0, 1
    else:
        count, averages = _component_averages(user, f)
        start, _end, pages = computation.page_bounds(count, page, PAGE_SIZE)
        page_rows = selectors.period_results(
            user, period=f.period, group=f.group, limit=PAGE_SIZE, offset=start
        ).rows
        detail = selectors.period_results(
            user,
            period=f.period,
            group=f.group,
            with_rows=False,  # the rows are already read: only their components are wanted
            component_detail=[r.assessment_id for r in page_rows],
        )
    components = [(code, name) for code, (name, _avg) in averages.items()]
    units = []
    for r in page_rows:
        cells = detail.components.get(r.assessment_id, {})
        units.append({"row": r, "cells": {code: cells.get(code) for code, _name in components}})
    if f.component and any(code == f.component for code, _n in components):
        units.sort(
            key=lambda u: (
                u["cells"][f.component] is None,
                u["cells"][f.component].percent if u["cells"][f.component] else 0,
            )
        )
    weakest = min(averages.items(), key=lambda kv: kv[1][1], default=None)
    return {
        "units": units,
        "components": components,
        "averages": {code: avg for code, (_name, avg) in averages.items()},
        "weakest": weakest,
        "pages": pages,
        "page": start // PAGE_SIZE + 1,
        "count": count,
    }


# --- unit profile --------------------------------------------------------------------------------


def unit_profile(user, f: Filters, unit: Unit) -> dict:
    lineage = selectors.unit_lineage(unit)
    history = selectors.period_results(user, period=None, unit_ids=lineage, periods=f.periods).rows
    if f.edition is not None and not f.edition.is_latest:
        # An earlier version (?version=) of the period shown instead of its latest: one query.
        chosen = selectors.period_results(user, period=f.period, unit_ids=lineage).rows
        history = [r for r in history if r.year != f.period.year] + chosen
        history.sort(key=lambda r: (r.year, r.rank is None, r.rank or 0, r.unit_name))
    current = next(
        (r for r in history if r.unit_id == unit.pk and f.period and r.year == f.period.year), None
    )
    series: dict[str, list] = defaultdict(list)
    # The unit first, then its predecessors, each a line.
    for member in lineage:
        for r in history:
            if r.unit_id == member:
                # Predecessors may share the unit's name (Sở Tài chính before the merger).
                name = r.unit_name if member == unit.pk else f"{r.unit_name} ({r.unit_code})"
                series[name].append((r.year, r.percent, r.rank))
    data: dict = {
        "unit": unit,
        "lineage": lineage,
        "predecessors": sorted(
            {(r.unit_id, r.unit_name, r.unit_code) for r in history if r.unit_id != unit.pk}
        ),
        "history": history,
        "series": dict(series),
        "current": current,
        "components": [],
        "lines": [],
        "group_size": None,
    }
    if current is None:
        return data
    group = next((g for g in f.groups if g.pk == current.group_id), None)
    data["group"] = group
    detail = selectors.period_results(
        user,
        period=f.period,
        group=group,
        component_detail=[current.assessment_id],
        with_rows=False,
    )
    _count, averages = _component_averages(user, f, group)
    data["group_size"] = selectors.group_result_count(period=f.period, group=group)
    # A unit head sees other units only once published: the average is over what they may see.
    data["average_complete"] = can(user, Action.VIEW_ALL_UNITS)
    cells = detail.components.get(current.assessment_id, {})
    data["components"] = [
        {
            "code": code,
            "name": name,
            "cell": cells.get(code),
            "average": avg,
            "gap": (cells[code].percent - avg) if cells.get(code) else None,
        }
        for code, (name, avg) in averages.items()
    ]
    assessment = selectors.visible_assessment(user, unit=unit, period=f.period)
    data["assessment"] = assessment
    if assessment is not None:
        lines = selectors.unit_scores(assessment)
        data["lines"] = lines
        by_component = defaultdict(list)
        for line in lines:
            by_component[line.component_code].append(line)
        for comp in data["components"]:
            comp["lines"] = by_component.get(comp["code"], [])
            comp["lost"] = sum((x.lost for x in comp["lines"]), Decimal(0))
        data["deductions"] = [(line, d) for line in lines for d in line.deductions]
        data["explanations"] = [line for line in lines if line.self_explanation]
    return data


# --- deductions ----------------------------------------------------------------------------------


def _cached(kind: str, user, f: Filters, compute, *, per_user: bool = True):
    """An aggregate over a group's scores or results, cached until they next change.

    The key holds the results generation (scoring.generation: replaced by every recompute and
    every edit that queues one, so an entry is never older than the data), the period, the
    published version read (or "live"), the group and, when `per_user`, what the user may see
    (everything, or one unit head's view). Over a group of 10,000 units these sum a million
    criterion scores or 80,000 component results: a second, or fifty milliseconds, per request.
    """
    scope = "-"
    if per_user:
        scope = "all" if can(user, Action.VIEW_ALL_UNITS) else f"unit-{unit_id_of(user)}"
    edition = f.edition
    key = "reports:{}:{}:{}:{}:{}:{}".format(
        kind,
        generation.current(),
        f.period.pk,
        edition.snapshot_id if edition is not None else "live",
        f.group.pk if f.group else "-",
        scope,
    )
    value = cache.get(key)
    if value is None:
        value = compute()
        # Entries of an old generation are never read again: the timeout only bounds how long
        # they take room in the cache after a busy hour of edits.
        cache.set(key, value, 15 * 60)
    return value


def _deduction_aggregates(user, f: Filters) -> tuple[list[dict], list[dict]]:
    """Lost points per criterion and per reason (cached, see _cached)."""
    return _cached(
        "deductions",
        user,
        f,
        lambda: (
            selectors.lost_points_by_criterion(user, period=f.period, group=f.group),
            selectors.reasons_summary(user, period=f.period, group=f.group),
        ),
    )


def deduction_analysis(
    user, f: Filters, *, criterion: str | None = None, drill_limit: int | None = None
) -> dict:
    if f.period is None:
        return {"criteria": [], "components": [], "reasons": [], "drill": None}
    every, reasons = _deduction_aggregates(user, f)
    # The component filter narrows the Pareto, not the by-component table (one query for both).
    criteria = computation.pareto(
        [r for r in every if not f.component or r["component_code"] == f.component]
    )
    components: dict[str, dict] = {}
    for row in every:
        comp = components.setdefault(
            row["component_code"],
            {
                "code": row["component_code"],
                "name": row["component_name"],
                "lost": Decimal(0),
                "criteria": 0,
            },
        )
        comp["lost"] += row["lost"]
        comp["criteria"] += 1
    total = sum((c["lost"] for c in components.values()), Decimal(0))
    for comp in components.values():
        comp["share"] = computation.percent(comp["lost"], total) if total else Decimal(0)
    drill = None
    if criterion:
        limit = drill_limit + 1 if drill_limit else None
        drill = {
            "code": criterion,
            # Cached like the aggregates: the units of one criterion across the group.
            "units": _cached(
                f"drill:{limit}:{criterion}",
                user,
                f,
                lambda: selectors.criterion_losses(
                    user, period=f.period, group=f.group, criterion_code=criterion, limit=limit
                ),
            ),
        }
        drill["name"] = drill["units"][0]["criterion_name"] if drill["units"] else ""
    return {
        "criteria": criteria,
        "components": sorted(components.values(), key=lambda c: computation._code_key(c["code"])),
        "reasons": reasons,
        "total_lost": total,
        "drill": drill,
    }


# --- climb ---------------------------------------------------------------------------------------


def _losses_and_peer_shares(f: Filters, row) -> tuple[list[dict], dict[int, Decimal]]:
    """The unit's lost criteria and its group's share of published assessments at full marks per
    criterion. The shares count published assessments only, so one cache entry serves every user
    (see _cached); one query either way, the shares riding along when they are not cached."""
    if row.assessment_id is None:  # a published row whose assessment was since deleted
        return [], {}
    found: list = []

    def losses_and_shares() -> dict:
        losses, shares = selectors.unit_losses_for_climb(
            row.assessment_id, peers_of=(f.period.pk, row.group_id)
        )
        found.append(losses)
        return shares

    shares = _cached("peer-shares", None, f, losses_and_shares, per_user=False)
    if found:
        return found[0], shares
    losses, _none = selectors.unit_losses_for_climb(row.assessment_id)
    return losses, shares


def _standing(r) -> computation.Standing:
    return computation.Standing(
        r.unit_id, r.unit_name, r.total_points, r.max_points, r.percent, r.rank
    )


def climb(user, f: Filters, *, unit_id: int | None) -> dict:
    """The climb analysis of one unit. Reads the unit, the three units above it and a window of
    the ranking for the picker, and counts the rest in the database: never the whole group."""
    empty: dict = {"choices": [], "row": None, "unit": None, "targets": [], "losses": []}
    if f.period is None or f.group is None:
        return empty
    found = (
        selectors.climb_rows(
            user, period=f.period, group=f.group, unit_id=unit_id, window=PICKER_CAP
        )
        if unit_id
        else None
    )
    row = found.row if found is not None else None
    if row is None:
        # No unit chosen (or none of this group the user may see): the picker starts at the top.
        top = selectors.period_results(user, period=f.period, group=f.group, limit=PICKER_CAP)
        return {**empty, "choices": top.rows}
    data: dict = {**empty, "choices": found.window, "row": row}
    me = _standing(row)
    # Published figures are public, the scoring sheet behind them is not (an assessment reopened
    # for a correction): then the targets come without the criteria to recover.
    if f.edition is None or selectors.scores_visible(user, row.assessment_id):
        lost, shares = _losses_and_peer_shares(f, row)
    else:
        lost, shares = [], {}
    losses = [
        computation.Loss(
            code=x["code"],
            name=x["name"],
            lost=x["max_points"] - x["points"],
            method=x["method"],
            deducted=x["deductions"] > 0,
            peers_full_share=Decimal(shares.get(x["criterion_id"]) or 0),
        )
        for x in lost
    ]
    targets = computation.climb_targets(me, [_standing(r) for r in found.above], losses)
    # New ranks, and how many units above this one the user may not see (provisional): one count.
    reached = [t.new_percent for t in targets if t.new_percent is not None]
    counts = selectors.count_higher(
        user, period=f.period, group=f.group, unit_id=unit_id, percents=[me.percent, *reached]
    )
    for t, n in zip((t for t in targets if t.new_percent is not None), counts[1:], strict=True):
        t.new_rank = n + 1
    data["unit"] = me
    data["losses"] = computation.rank_losses(losses)
    data["targets"] = targets
    data["hidden_above"] = max(0, (row.rank or 1) - 1 - counts[0])
    return data


# --- comparison ----------------------------------------------------------------------------------


def comparison(user, f: Filters, *, page: int = 1, everything: bool = False) -> dict:
    """This period against the previous one: a page of the group (or all of it), who rose and who
    fell, and the largest changes for the chart; joined and sorted in the database."""
    empty = {"rows": [], "count": 0, "page_rows": [], "rose": [], "fell": [], "chart_rows": []}
    if f.period is None or f.group is None:
        return {**empty, "previous": None, "pages": 1, "page": 1}
    previous = f.previous_period
    if previous is None:
        return {**empty, "previous": None, "pages": 1, "page": 1}

    def read(offset: int = 0, limit: int | None = None):
        return selectors.compare_with_previous(
            user, period=f.period, previous=previous, group=f.group, offset=offset, limit=limit
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
    return {
        "rows": found.rows,  # all of them with `everything`, else the page
        "count": found.count,
        "page_rows": found.rows,
        "pages": pages,
        "page": start // PAGE_SIZE + 1,
        "rose": found.rose,
        "fell": found.fell,
        "chart_rows": found.extremes,
        "chart_cut": found.with_previous > len(found.extremes),
        "any_via": any(r.via_predecessors for r in found.rows),  # the footnote's asterisk
        "previous": previous,
    }
