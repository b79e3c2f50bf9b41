"""Pure scoring rules for one criterion: no ORM, tested without a database.

Each rule is written here once and called by the sheet, the imports, the reads and the demo:
the criterion's rule (`CriterionRule.of`), the bounds and step check (`points_problem`,
`check_points`), which typed value counts (`ENTERED_PRECEDENCE`, `entered_points`) and what a
criterion not applicable is worth (`is_applicable`, `applicable_maximum`: nothing, and it leaves the
maximum).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.errors import DomainError
from core.numbers import fmt_number

ZERO = Decimal("0")
CENT = Decimal("0.01")
# The framework method of a criterion dropped for every unit (indicators.models.ScoringMethod).
NOT_APPLICABLE = "not_applicable"


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def clamp(value: Decimal, maximum: Decimal) -> Decimal:
    """Points never go above the maximum nor below zero."""
    return quantize(min(max(value, ZERO), maximum))


def band_points(bands: Iterable[Mapping], measured: Decimal) -> Decimal:
    """Points of the first band (highest threshold first) whose minimum the measured value reaches."""
    for band in sorted(bands, key=lambda b: Decimal(str(b["min"])), reverse=True):
        if measured >= Decimal(str(band["min"])):
            return Decimal(str(band["points"]))
    return ZERO


@dataclass(frozen=True)
class CriterionRule:
    max_points: Decimal
    method: str
    bands: tuple = ()

    @classmethod
    def of(cls, criterion: Any) -> CriterionRule:
        """The rule of a criterion (anything with max_points, method and bands)."""
        return cls(
            max_points=criterion.max_points,
            method=criterion.method,
            bands=tuple(criterion.bands or ()),
        )


def is_applicable(rule: CriterionRule, *, not_applicable: bool = False) -> bool:
    """Whether a criterion counts for a unit: not when its framework method is `not_applicable`,
    nor when the unit's score is flagged not applicable."""
    return not not_applicable and rule.method != NOT_APPLICABLE


def applicable_maximum(rule: CriterionRule, *, not_applicable: bool = False) -> Decimal:
    """What a criterion adds to the maximum: its maximum, or nothing when it is not applicable."""
    return rule.max_points if is_applicable(rule, not_applicable=not_applicable) else ZERO


# Which typed value counts, first found wins: the second appraisal, the first, the self score.
ENTERED_PRECEDENCE = ("final_points", "appraised_points", "self_points")


def entered_points(score: Any) -> Decimal | None:
    """The typed value that counts for a score (anything with the ENTERED_PRECEDENCE fields)."""
    for name in ENTERED_PRECEDENCE:
        value = getattr(score, name)
        if value is not None:
            return value
    return None


def points_problem(value: Decimal | None, *, max_points: Decimal, step: Decimal | None) -> str:
    """What is wrong with typed points: "range" (outside 0..max), "step" (not a multiple of the
    step) or "" (nothing; None is nothing typed)."""
    if value is None:
        return ""
    if value < 0 or value > max_points:
        return "range"
    if step and (value / step) % 1:
        return "step"
    return ""


def check_points(value: Decimal | None, criterion: Any, label: str) -> None:
    """Raise a DomainError when `value` is outside 0..max_points or off the criterion's step.
    `criterion` is anything with code, max_points and step; `label` names the field."""
    problem = points_problem(value, max_points=criterion.max_points, step=criterion.step)
    if problem == "range":
        raise DomainError(
            _("%(label)s của tiêu chí %(code)s phải từ 0 đến %(max)s (nhận được %(value)s).")
            % {
                "label": label,
                "code": criterion.code,
                "max": fmt_number(criterion.max_points),
                "value": fmt_number(value),
            }
        )
    if problem == "step":
        raise DomainError(
            _("%(label)s của tiêu chí %(code)s phải là bội số của %(step)s.")
            % {"label": label, "code": criterion.code, "step": fmt_number(criterion.step)}
        )


def base_points(
    rule: CriterionRule,
    *,
    entered: Decimal | None,
    measured: Decimal | None,
    deduction_recorded: bool = False,
) -> Decimal:
    """The points before deductions.

    - bands: the band reached by the measured value (a typed value wins if there is one);
    - proportional: maximum × measured ratio (measured in %), unless a value was typed;
    - survey, bands or proportional with nothing measured: zero;
    - entered points and yes/no: the typed value; with no typed value, the appraisal by deduction
      ("điểm tối đa trừ điểm bị trừ") once the appraiser has recorded a deduction on the criterion
      (`deduction_recorded`, even one withdrawn since): the maximum, from which the active
      deductions are then taken;
    - unscored (nothing typed, nothing measured, no deduction ever recorded): zero, the same
      whether or not a score row exists: nothing proven yet, no points ("chưa chấm");
    - not applicable (the method): zero.
    """
    if rule.method == NOT_APPLICABLE:
        return ZERO
    if entered is not None:
        return entered
    if rule.method == "bands" and measured is not None:
        return band_points(rule.bands, measured)
    if rule.method == "proportional" and measured is not None:
        return rule.max_points * measured / Decimal("100")
    if rule.method in ("survey", "bands", "proportional"):
        return ZERO  # nothing measured yet: no points until the survey or measurement arrives
    return rule.max_points if deduction_recorded else ZERO


def criterion_points(
    rule: CriterionRule,
    *,
    entered: Decimal | None,
    measured: Decimal | None = None,
    deducted: Decimal = ZERO,
    not_applicable: bool = False,
    deduction_recorded: bool = False,
) -> Decimal:
    """Final points of a criterion: base minus the active deductions (`deducted`), clamped to
    [0, maximum]; nothing when the criterion is not applicable (flagged on the score, or by its
    framework method), whatever was typed. `deduction_recorded`: a deduction was recorded on it,
    active or withdrawn (an active one, `deducted` > 0, is one too). A criterion with no score row
    is computed with the defaults: entered None, nothing measured, nothing deducted."""
    if not is_applicable(rule, not_applicable=not_applicable):
        return ZERO
    recorded = deduction_recorded or deducted > 0
    base = base_points(rule, entered=entered, measured=measured, deduction_recorded=recorded)
    return clamp(base - deducted, rule.max_points)


def percent(points: Decimal, maximum: Decimal) -> Decimal:
    if maximum <= 0:
        return ZERO
    return quantize(points * Decimal("100") / maximum)


def competition_ranks(values: list[Decimal]) -> list[int]:
    """Ranks for values, best (highest) first; ties share a rank and the next one skips: 1, 2, 2, 4."""
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    ranks = [0] * len(values)
    for position, index in enumerate(order):
        if position and values[index] == values[order[position - 1]]:
            ranks[index] = ranks[order[position - 1]]
        else:
            ranks[index] = position + 1
    return ranks
