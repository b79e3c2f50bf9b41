"""The survey's arithmetic, pure (no ORM): shares with their 95 % Wilson interval, means on the
scale, weighted percents and sample sizes (n = N / (1 + N·e²))."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    """k favourable answers out of n, as percents (None when nobody answered)."""

    answers: int
    favourable: int
    percent: float | None
    low: float | None
    high: float | None
    mean: float | None
    score: float | None  # the percent the survey's formula gives (share or weighted)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials, as proportions in [0, 1]."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def sample_size(population: int, margin: float | Decimal = 0.05) -> int:
    """Answers needed for `margin` at 95 % confidence: n = N / (1 + N·e²), rounded up."""
    if population <= 0:
        return 0
    e = float(margin)
    return math.ceil(population / (1 + population * e * e) - 1e-9)


def weighted_percent(counts: list[int], weights: list[float]) -> float | None:
    """The answers weighted level by level (weights in %, level 1 first)."""
    n = sum(counts)
    if not n:
        return None
    return sum(c * float(w) for c, w in zip(counts, weights, strict=False)) / n


def share_of(counts: list[int], favourable_from: int, weights: list | None = None) -> Share:
    """Counts per level (level 1 first) summed into a Share; `weights` switches the formula."""
    n = sum(counts)
    k = sum(counts[favourable_from - 1 :])
    if not n:
        return Share(0, 0, None, None, None, None, None)
    low, high = wilson(k, n)
    mean = sum((i + 1) * c for i, c in enumerate(counts)) / n
    percent = 100 * k / n
    score = weighted_percent(counts, weights) if weights else percent
    return Share(n, k, percent, 100 * low, 100 * high, mean, score)


def add_counts(rows: list[list[int]], levels: int) -> list[int]:
    total = [0] * levels
    for counts in rows:
        for i, c in enumerate(counts[:levels]):
            total[i] += c
    return total


def mean_of(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
