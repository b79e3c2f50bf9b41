"""What one recompute covers, and the SQL helpers its steps share.

A recompute covers a period, or only some units' assessments in it (`Scope.units`). Rows of other
tables are picked by assessment: for a whole period the assessments' ids form a range (created
together), and a range test is far cheaper than a semi-join over a million scores; rows of another
period's assessments inside the range are dropped by the steps' joins with this period's
assessments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from ..models import Assessment, Period

# Temporary tables (not WAL-logged; in PostgreSQL dropped at commit) passed from step to step.
COMPONENTS_TABLE = "recompute_components"
TOTALS_TABLE = "recompute_totals"
RANKED_TABLE = "recompute_ranked"
# Above this many units a partial recompute is not worth it: recompute the period.
MAX_PARTIAL_UNITS = 500


def merge_unit_ids(current: list[int] | None, new: Iterable[int] | None) -> list[int] | None:
    """Units of two requests together; None (the whole period) absorbs everything."""
    if current is None or new is None:
        return None
    merged = sorted(set(current) | {int(u) for u in new})
    return None if len(merged) > MAX_PARTIAL_UNITS else merged


def table(model) -> str:
    """The quoted database table of a model."""
    return connection.ops.quote_name(model._meta.db_table)


def sql_functions() -> dict[str, str]:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""
    pg = connection.vendor == "postgresql"
    return {
        "greatest": "GREATEST" if pg else "MAX",
        "least": "LEAST" if pg else "MIN",
        # SQLite computes in binary floating point: nudge exact halves up, as ROUND_HALF_UP does.
        "eps": "" if pg else " + 1e-9",
        # Sums of two-decimal points: exact numerics in PostgreSQL, floats to round in SQLite.
        "exact": "{}" if pg else "ROUND({} + 1e-9, 2)",
        # Keeps a subquery from being flattened, so its expressions are computed once per row
        # rather than again in every join condition that uses them.
        "fence": "OFFSET 0" if pg else "LIMIT -1 OFFSET 0",
    }


def drop(cursor, name: str, *, if_exists: bool = False) -> None:
    """Drop a temporary table when done (a caller's transaction may recompute twice). The leftover
    check before creating one is for SQLite only: in PostgreSQL a failed recompute's tables vanish
    with its rolled-back transaction or savepoint."""
    if if_exists and connection.vendor == "postgresql":
        return
    cursor.execute(f"DROP TABLE {'IF EXISTS ' if if_exists else ''}{name}")


@dataclass(frozen=True)
class Scope:
    period: Period
    units: list[int] | None  # None: the whole period
    now: datetime  # the computed_at written, adapted for the database
    low: int | None = None  # the period's assessment id range (whole period only)
    high: int | None = None

    @classmethod
    def open(cls, cursor, *, period: Period, units: list[int] | None, now) -> Scope:
        low = high = None
        if units is None:
            cursor.execute(
                f"SELECT MIN(id), MAX(id) FROM {table(Assessment)} WHERE period_id = %s",
                [period.pk],
            )
            low, high = cursor.fetchone()
        return cls(period=period, units=units, now=now, low=low, high=high)

    @property
    def partial(self) -> bool:
        return self.units is not None

    @property
    def temp_suffix(self) -> str:
        """How temporary tables are created: dropped at commit where the database can."""
        return " ON COMMIT DROP" if connection.vendor == "postgresql" else ""

    def unit_filter(self, alias: str) -> tuple[str, list]:
        """` AND {alias}.unit_id IN (...)` for a partial recompute, nothing for a whole period."""
        if self.units is None:
            return "", []
        placeholders = ", ".join(["%s"] * len(self.units)) or "NULL"
        return f" AND {alias}.unit_id IN ({placeholders})", list(self.units)

    def assessments(self) -> tuple[str, list]:
        """A subquery of the ids of the assessments in scope."""
        ufilter, uparams = self.unit_filter("a")
        sql = f"SELECT a.id FROM {table(Assessment)} a WHERE a.period_id = %s{ufilter}"
        return sql, [self.period.pk, *uparams]

    def of(self, column: str) -> tuple[str, list]:
        """A condition on an assessment id column: a range for a whole period (other periods' rows
        in it are dropped by the steps' joins), the ids in scope otherwise."""
        if self.units is None:
            return f"{column} BETWEEN %s AND %s", [self.low, self.high]
        sql, params = self.assessments()
        return f"{column} IN ({sql})", params
