"""This period against the period before, joined and sorted in the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F

from scoring.models import Period
from scoring.permissions import PUBLISHED_STATES
from scoring.workflow import State
from units.models import RankingGroup, Unit

from ..computation import Comparison
from .results import source
from .snapshots import LATEST, EditionChoice


@dataclass
class ComparisonRead:
    count: int  # units of the group the user may see this period
    with_previous: int  # of them, those with a figure last period (own or their predecessors')
    rows: list[Comparison] = field(default_factory=list)  # the page asked for, ranking order
    rose: list[Comparison] = field(default_factory=list)  # most places climbed first
    fell: list[Comparison] = field(default_factory=list)  # most places lost first
    extremes: list[Comparison] = field(
        default_factory=list
    )  # largest falls then largest rises, by change


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
    edition: EditionChoice = LATEST,
    previous_edition: EditionChoice = LATEST,
) -> ComparisonRead:
    """Every unit of the group this period against its own result in `previous` (any group), or
    the average of its predecessors' when it has none (a merger): one query, in the database.

    Each period is read as the pages read it (its published snapshot, else the live results the
    user may see). The query joins the two, then answers in one go: the counts, a page of the
    rows in ranking order (`limit` None: all of them), the `movers` units that climbed and fell
    the most places (then by change of percent), and the `each_side` largest falls and rises of
    percent for the chart (all of them when there are no more than twice that).
    """
    cur = source(user, period=period, edition=edition, group=group)
    prev = source(user, period=previous, edition=previous_edition)
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
        SELECT c.u, c.nm, c.pct, c.rk,
               CASE WHEN p.prk IS NULL THEN NULL ELSE c.ch END AS ch, {st} AS st, p.prk,
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
                state=st_value or "",
            )
        )
    out.rows, out.rose, out.fell = buckets["page"], buckets["rose"], buckets["fell"]
    low = buckets["low"]
    out.extremes = (
        low if out.with_previous <= 2 * each_side else (low[:each_side] + buckets["high"][::-1])
    )
    return out
