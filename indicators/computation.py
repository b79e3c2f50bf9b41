"""Pure scoring arithmetic for one criterion: no ORM, tested without a database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")


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


def base_points(
    rule: CriterionRule, *, entered: Decimal | None, measured: Decimal | None
) -> Decimal:
    """The points before deductions.

    - bands: the band reached by the measured value (a typed value wins if there is one);
    - proportional: maximum × measured ratio (measured in %), unless a value was typed;
    - survey, bands or proportional with nothing measured: zero;
    - entered points and yes/no: the typed value; with no typed value the appraisal starts from the
      maximum and deductions take points away ("điểm tối đa trừ điểm bị trừ").
    """
    if entered is not None:
        return entered
    if rule.method == "bands" and measured is not None:
        return band_points(rule.bands, measured)
    if rule.method == "proportional" and measured is not None:
        return rule.max_points * measured / Decimal("100")
    if rule.method in ("survey", "bands", "proportional"):
        return ZERO  # nothing measured yet: no points until the survey or measurement arrives
    return rule.max_points


def criterion_points(
    rule: CriterionRule,
    *,
    entered: Decimal | None,
    measured: Decimal | None = None,
    deducted: Decimal = ZERO,
) -> Decimal:
    """Final points of a criterion: base minus deductions, clamped to [0, maximum]."""
    return clamp(base_points(rule, entered=entered, measured=measured) - deducted, rule.max_points)


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
