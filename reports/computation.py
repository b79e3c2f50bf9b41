"""Pure arithmetic of the analyses: climbing the ranking, Pareto shares, year-on-year comparison,
summary statistics and the recommendations of the analysis report. No ORM; tested without a
database. Points and percentages are Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from statistics import median

from django.utils.translation import gettext as _

from core.numbers import fmt_fixed
from indicators.computation import percent
from scoring.workflow import State

CENT = Decimal("0.01")
ZERO = Decimal(0)

# How hard a lost criterion is to win back, by how it is scored: an appraisal deduction is fixed by
# doing the missing task (1); a measured rate needs a year of better figures (1.5); a survey-derived
# criterion needs citizens' or officials' opinion to change (3). Used to rank recoveries.
EFFORT_BY_METHOD = {
    "entered": Decimal(1),
    "yes_no": Decimal(1),
    "bands": Decimal("1.5"),
    "proportional": Decimal("1.5"),
    "survey": Decimal(3),
}


# --- climbing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """One unit's stored result, as the climb analysis needs it."""

    unit_id: int
    name: str
    total_points: Decimal
    max_points: Decimal
    percent: Decimal
    rank: int | None


@dataclass(frozen=True)
class Loss:
    """A criterion where the unit lost points."""

    code: str
    name: str
    lost: Decimal
    method: str = "entered"
    deducted: bool = True
    peers_full_share: Decimal = ZERO  # share of the group's peers at full marks: higher = easier

    @property
    def effort(self) -> Decimal:
        return EFFORT_BY_METHOD.get(self.method, Decimal(1))

    @property
    def value(self) -> Decimal:
        """Points won back per unit of effort."""
        return self.lost / self.effort


@dataclass
class ClimbTarget:
    steps: int  # pass the 1st, 2nd, 3rd unit above
    target: Standing
    points_needed: Decimal | None  # None: out of reach even with full marks
    new_percent: Decimal | None
    new_rank: int | None
    plan: list[Loss] = field(default_factory=list)
    plan_points: Decimal = ZERO
    reachable_by_recovery: bool = False


def points_to_pass(total: Decimal, maximum: Decimal, target_percent: Decimal) -> Decimal | None:
    """The fewest extra points (to the cent) that lift total/maximum strictly above target_percent.

    Percent is rounded to two decimals the way results are stored, so the answer is checked against
    the rounded figure. None when even the full maximum would not be enough.
    """
    if maximum <= 0:
        return None
    needed_total = (target_percent * maximum / Decimal(100)).quantize(CENT, rounding=ROUND_CEILING)
    extra = max(needed_total - total, ZERO)
    # Step up by cents until the rounded percent is strictly higher (at most a few steps).
    while percent(total + extra, maximum) <= target_percent:
        extra += CENT
        if total + extra > maximum:
            return None
    if total + extra > maximum:
        return None
    return extra


def rank_with_percent(value: Decimal, others: Iterable[Decimal]) -> int:
    """Competition rank of a percent among the others (ties share, the next skips)."""
    return 1 + sum(1 for p in others if p > value)


def climb(
    unit: Standing, group: Sequence[Standing], losses: Sequence[Loss], *, steps: int = 3
) -> list[ClimbTarget]:
    """For passing the next 1..steps units above `unit`: the points needed, the rank that would give,
    and the cheapest set of lost criteria whose recovery covers those points.

    Units above are those with a strictly higher percent, nearest first; passing one of several tied
    units passes them all (the new rank says so), and the one named is the one just above in the
    table. The whole group in memory; the dashboard reads
    only the units above from the database and counts the rest there (`climb_targets`).
    """
    others = [s for s in group if s.unit_id != unit.unit_id]
    # Nearest first; of tied units, the one just above in the table (names in reverse).
    above = sorted(
        sorted(
            (s for s in others if s.percent > unit.percent),
            key=lambda s: (s.name, s.unit_id),
            reverse=True,
        ),
        key=lambda s: s.percent,
    )
    targets = climb_targets(unit, above[:steps], losses)
    for t in targets:
        if t.new_percent is not None:
            t.new_rank = rank_with_percent(t.new_percent, [s.percent for s in others])
    return targets


def climb_targets(
    unit: Standing, above: Sequence[Standing], losses: Sequence[Loss]
) -> list[ClimbTarget]:
    """The targets of `climb` for the given units above (nearest first), without the new ranks:
    those need the whole group, so the caller fills `new_rank` = 1 + the number of other units
    whose percent is strictly higher than `new_percent`."""
    ranked = rank_losses(losses)
    targets = []
    for k, target in enumerate(above, start=1):
        needed = points_to_pass(unit.total_points, unit.max_points, target.percent)
        new_percent = (
            percent(unit.total_points + needed, unit.max_points) if needed is not None else None
        )
        plan, plan_points = cheapest_recovery(ranked, needed) if needed is not None else ([], ZERO)
        targets.append(
            ClimbTarget(
                steps=k,
                target=target,
                points_needed=needed,
                new_percent=new_percent,
                new_rank=None,
                plan=plan,
                plan_points=plan_points,
                reachable_by_recovery=needed is not None and plan_points >= needed,
            )
        )
    return targets


def rank_losses(losses: Iterable[Loss]) -> list[Loss]:
    """Lost criteria, best recovery first: most points per effort, then the ones most peers get
    full marks on (so clearly attainable), then the code."""
    return sorted(losses, key=lambda x: (-x.value, -x.peers_full_share, _code_key(x.code)))


def cheapest_recovery(ranked: Sequence[Loss], needed: Decimal) -> tuple[list[Loss], Decimal]:
    """The least total effort set of lost criteria whose points cover `needed`.

    Greedy by points per effort, then drops any criterion that is not needed and swaps the last one
    for the least-effort single criterion that still covers the remainder. Exact enough for the
    handful of criteria a unit loses, and easy to explain. If all of them together do not cover the
    gap, returns all of them.
    """
    if needed <= 0:
        return [], ZERO
    chosen: list[Loss] = []
    total = ZERO
    for loss in ranked:
        if total >= needed:
            break
        chosen.append(loss)
        total += loss.lost
    if total < needed:
        return chosen, total
    # Drop criteria the others already cover, least valuable first.
    for loss in sorted(chosen, key=lambda x: (x.value, x.lost)):
        if total - loss.lost >= needed:
            chosen.remove(loss)
            total -= loss.lost
    # The last pick may overshoot: a single criterion of no more effort and fewer points may cover
    # the same remainder (recover 0,75 rather than 2 when 0,11 is missing).
    if chosen:
        last = chosen[-1]
        remainder = needed - (total - last.lost)
        candidates = [
            x
            for x in ranked
            if x not in chosen
            and x.lost >= remainder
            and (x.effort, x.lost) < (last.effort, last.lost)
        ]
        if candidates:
            best = min(candidates, key=lambda x: (x.effort, x.lost))
            chosen[-1] = best
            total = total - last.lost + best.lost
    return chosen, total


def _code_key(code: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))


# --- Pareto --------------------------------------------------------------------------------------


def pareto(rows: Sequence[dict], *, key: str = "lost") -> list[dict]:
    """Adds `share` and `cumulative` (percent of the total, two decimals) to rows sorted by key."""
    ordered = sorted(rows, key=lambda r: r[key], reverse=True)
    total = sum((r[key] for r in ordered), ZERO)
    running = ZERO
    out = []
    for row in ordered:
        running += row[key]
        out.append(
            {
                **row,
                "share": percent(row[key], total) if total else ZERO,
                "cumulative": percent(running, total) if total else ZERO,
            }
        )
    return out


# --- year on year --------------------------------------------------------------------------------


@dataclass
class Comparison:
    unit_id: int
    name: str
    percent: Decimal
    rank: int | None
    previous_percent: Decimal | None
    previous_rank: int | None
    rank_change: int | None  # positive: climbed
    via_predecessors: bool = False
    published: bool = True
    state: str = ""  # the assessment's state (live results); "" when not read

    @property
    def apart(self) -> bool:
        """A live result not appraised yet: kept apart, as on the ranking (see results.py)."""
        return self.state in (State.DRAFT, State.SELF_ASSESSED, State.SUBMITTED)

    @property
    def state_label(self) -> str:
        return State(self.state).label if self.state in State.values else ""

    @property
    def delta(self) -> Decimal | None:
        if self.previous_percent is None:
            return None
        return self.percent - self.previous_percent


def compare_periods(
    current: Sequence,
    previous: Sequence,
    predecessors: dict[int, list[int]] | None = None,
) -> list[Comparison]:
    """Every unit of this period against its own result last period. (The pages join the two
    periods in the database, `selectors.compare_with_previous`; this in-memory version is the
    definition the tests hold that query to, with `movers`.)

    A merged unit that has no result of its own last period is compared with the average of its
    predecessors' results (via_predecessors=True). The rank change is the stored one only where
    there is a rank last period to compare with: with none shown (a merger), none is claimed.
    Rows are any objects with unit_id, unit_name, percent, rank, rank_change and published.
    """
    before = {r.unit_id: r for r in previous}
    predecessors = predecessors or {}
    out = []
    for row in current:
        prev = before.get(row.unit_id)
        prev_percent, prev_rank, via = None, None, False
        if prev is not None:
            prev_percent, prev_rank = prev.percent, prev.rank
        else:
            found = [before[p].percent for p in predecessors.get(row.unit_id, []) if p in before]
            if found:
                prev_percent = (sum(found, ZERO) / len(found)).quantize(CENT, ROUND_HALF_UP)
                via = True
        out.append(
            Comparison(
                unit_id=row.unit_id,
                name=row.unit_name,
                percent=row.percent,
                rank=row.rank,
                previous_percent=prev_percent,
                previous_rank=prev_rank,
                rank_change=row.rank_change if prev_rank is not None else None,
                via_predecessors=via,
                published=row.published,
            )
        )
    return out


def movers(rows: Sequence[Comparison], n: int = 5) -> tuple[list[Comparison], list[Comparison]]:
    """The n who climbed the most places and the n who fell the most (by rank, then by percent)."""
    with_change = [r for r in rows if r.rank_change is not None]
    rose = sorted(
        (r for r in with_change if r.rank_change > 0),
        key=lambda r: (-r.rank_change, -(r.delta or ZERO)),
    )
    fell = sorted(
        (r for r in with_change if r.rank_change < 0),
        key=lambda r: (r.rank_change, r.delta or ZERO),
    )
    return rose[:n], fell[:n]


# --- summary and recommendations -----------------------------------------------------------------


@dataclass
class Summary:
    count: int
    average: Decimal | None
    median: Decimal | None
    best: Decimal | None
    worst: Decimal | None
    bands: list[tuple[str, int]]
    published: int
    provisional: int
    apart: int = 0  # units kept apart (not appraised, or not assessed): in no figure above


def summarize(rows: Sequence, *, keep_apart: bool = False) -> Summary:
    """Count, mean, median, extremes and units per band of a list of results. With `keep_apart`,
    the figures are those of the ranked units only: a unit still drafting, or left out of the
    publication, is counted (`count`, `apart`) but draws no average, extreme or band."""
    # A unit left out of a publication has no figures to count, whatever the reader asked.
    left = [r.apart if keep_apart else not getattr(r, "assessed", True) for r in rows]
    apart = sum(left)
    counted = [r for r, out in zip(rows, left, strict=True) if not out]
    values = [r.percent for r in counted]
    bands: dict[str, int] = {}
    for r in counted:
        bands[r.band or "—"] = bands.get(r.band or "—", 0) + 1
    published = sum(1 for r in rows if r.published)
    if not values:
        return Summary(len(rows), None, None, None, None, [], published, 0, apart)
    return Summary(
        count=len(rows),
        average=(sum(values, ZERO) / len(values)).quantize(CENT, ROUND_HALF_UP),
        median=Decimal(median(values)).quantize(CENT, ROUND_HALF_UP),
        best=max(values),
        worst=min(values),
        bands=sorted(bands.items()),
        published=published,
        provisional=max(0, len(values) - published),
        apart=apart,
    )


def lowest_components(
    components: Sequence[tuple[str, str, Decimal | None]],
) -> list[tuple[str, str, Decimal]]:
    """The components with the lowest average, all of them when several tie."""
    known = [c for c in components if c[2] is not None]
    if not known:
        return []
    low = min(c[2] for c in known)
    return [c for c in known if c[2] == low]


def recommendations(
    *,
    summary: Summary,
    components: Sequence[tuple[str, str, Decimal]],
    criteria: Sequence[dict],
    reasons: Sequence[dict],
    fell: Sequence[Comparison] = (),
    low_band_units: Sequence[str] = (),
) -> list[str]:
    """Recommendations in Vietnamese, generated from the figures of the report.

    components: (code, name, average percent); criteria: Pareto rows (code, name, lost,
    cumulative, units); reasons: (label, n, points).
    """

    out: list[str] = []
    # Only the truly lowest is called the lowest (several together when they tie); the next one
    # is named as such.
    lowest = lowest_components(components)
    if len(lowest) == 1:
        code, name, avg = lowest[0]
        out.append(
            _(
                "Tập trung cải thiện chỉ số thành phần %(code)s «%(name)s»: bình quân chỉ đạt "
                "%(avg)s%% số điểm tối đa, thấp nhất trong các lĩnh vực."
            )
            % {"code": code, "name": name, "avg": fmt_fixed(avg)}
        )
        rest = sorted(
            (c for c in components if c[2] is not None and c[2] > avg), key=lambda c: c[2]
        )
        if rest:
            code, name, avg = rest[0]
            out.append(
                _(
                    "Tiếp đến chỉ số thành phần %(code)s «%(name)s»: bình quân đạt %(avg)s%% số "
                    "điểm tối đa, thấp thứ hai trong các lĩnh vực."
                )
                % {"code": code, "name": name, "avg": fmt_fixed(avg)}
            )
    elif lowest:
        out.append(
            _(
                "Tập trung cải thiện các chỉ số thành phần %(names)s: bình quân cùng chỉ đạt "
                "%(avg)s%% số điểm tối đa, thấp nhất trong các lĩnh vực."
            )
            % {
                "names": ", ".join(f"{code} «{name}»" for code, name, _a in lowest),
                "avg": fmt_fixed(lowest[0][2]),
            }
        )
    top = [c for c in criteria if c.get("cumulative", Decimal(100)) <= Decimal(80)][:5] or list(
        criteria[:3]
    )
    if top:
        codes = ", ".join(c["code"] for c in top)
        share = top[-1].get("cumulative")
        text = _(
            "Ưu tiên khắc phục các tiêu chí %(codes)s: chúng chiếm %(share)s%% tổng số điểm bị trừ; "
            "yêu cầu các đơn vị bị trừ điểm xây dựng kế hoạch khắc phục cho từng nội dung."
        ) % {"codes": codes, "share": fmt_fixed(share) if share is not None else "—"}
        out.append(text)
    if reasons:
        main = reasons[0]
        out.append(
            _(
                "Lý do bị trừ điểm nhiều nhất là «%(label)s» (%(n)s lượt, %(points)s điểm): cần "
                "chấn chỉnh, hướng dẫn thống nhất trong toàn khối."
            )
            % {
                "label": main["label"] or _("không ghi lý do"),
                "n": main["n"],
                "points": fmt_fixed(main["points"]),
            }
        )
    if fell:
        names = ", ".join(r.name for r in fell[:3])
        out.append(
            _(
                "Các đơn vị giảm hạng nhiều nhất so với năm trước (%(names)s) cần báo cáo nguyên "
                "nhân và giải pháp khắc phục."
            )
            % {"names": names}
        )
    if low_band_units:
        out.append(
            _(
                "Các đơn vị xếp loại thấp (%(names)s) cần được Sở Nội vụ hướng dẫn, kiểm tra trực "
                "tiếp trong năm tới."
            )
            % {"names": ", ".join(low_band_units[:5])}
        )
    if summary.provisional:
        out.append(
            _(
                "%(n)s kết quả còn tạm tính (chưa công bố): số liệu có thể thay đổi sau thẩm định "
                "và công bố."
            )
            % {"n": summary.provisional}
        )
    return out


def page_bounds(total: int, page: int, size: int) -> tuple[int, int, int]:
    """(start, end, pages) of a 1-based page, clamped to the existing pages."""
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    return start, min(start + size, total), pages
