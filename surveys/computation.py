"""The survey's arithmetic, pure (no ORM): shares with their 95 % Wilson interval, means on the
scale, weighted percents (A/B/C/D) with a normal interval, sample sizes (n = N / (1 + N·e²)) and
ranks with ties (1, 2, 2, 4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    """k favourable answers out of n, as percents (None when nobody answered). `score` is the
    percent the survey's formula gives (the share, or the weighted levels) and `low`/`high` its
    95 % interval (Wilson for a share)."""

    answers: int
    favourable: int
    percent: float | None
    low: float | None
    high: float | None
    mean: float | None
    score: float | None


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


def sample_required(population: int | None, margin: float | Decimal = 0.05) -> int:
    """The plan's sample, or with no population known the most any plan asks for: 1 / e²
    (400 answers for e = 5 %), the limit of N / (1 + N·e²) as N grows."""
    if population is None:
        e = float(margin)
        return math.ceil(1 / (e * e) - 1e-9)
    return sample_size(population, margin)


def weighted_percent(counts: list[int], weights: list[float]) -> float | None:
    """The answers weighted level by level (weights in %, level 1 first)."""
    n = sum(counts)
    if not n:
        return None
    return sum(c * float(w) for c, w in zip(counts, weights, strict=False)) / n


def weighted_interval(
    counts: list[int], weights: list[float], z: float = Z95
) -> tuple[float, float]:
    """The 95 % interval of a weighted percent (mean ± z·sd/√n, within 0..100): the Wilson interval
    is for shares, the weights make a mean."""
    n = sum(counts)
    if not n:
        raise ValueError("n must be positive")
    values = [float(w) for w in weights] + [0.0] * max(0, len(counts) - len(weights))
    mean = sum(c * v for c, v in zip(counts, values, strict=False)) / n
    variance = sum(c * (v - mean) ** 2 for c, v in zip(counts, values, strict=False)) / n
    half = z * math.sqrt(variance / n)
    return max(0.0, mean - half), min(100.0, mean + half)


def ranks(values: list[float | None], places: int = 2) -> list[int | None]:
    """Competition ranks of the values, highest first, equal (to `places` decimals) sharing a rank
    and the next skipping (1, 2, 2, 4); None stays unranked."""
    rounded = [None if v is None else round(v, places) for v in values]
    ordered = sorted((v for v in rounded if v is not None), reverse=True)
    first = {}
    for position, v in enumerate(ordered, start=1):
        first.setdefault(v, position)
    return [None if v is None else first[v] for v in rounded]


def share_of(counts: list[int], favourable_from: int, weights: list | None = None) -> Share:
    """Counts per level (level 1 first) summed into a Share; `weights` switches the formula."""
    n = sum(counts)
    k = sum(counts[favourable_from - 1 :])
    if not n:
        return Share(0, 0, None, None, None, None, None)
    mean = sum((i + 1) * c for i, c in enumerate(counts)) / n
    percent = 100 * k / n
    if weights:
        low, high = weighted_interval(counts, weights)
        return Share(n, k, percent, low, high, mean, weighted_percent(counts, weights))
    low, high = wilson(k, n)
    return Share(n, k, percent, 100 * low, 100 * high, mean, percent)


def shares_of(counts: np.ndarray, favourable_from: int, weights: list | None = None) -> list:
    """share_of of every row of `counts` (levels on the last axis, any shape before it) at once,
    for a survey's units × questions: numpy does share_of's operations in the same order, so the
    floats are the same. A nested list of Shares, shaped as `counts` without its last axis."""
    counts = np.asarray(counts, dtype=np.int64)
    width = counts.shape[-1]
    n = counts.sum(axis=-1)
    k = counts[..., favourable_from - 1 :].sum(axis=-1)
    d = np.where(n > 0, n, 1)  # nobody answered: the Share is empty, whatever is computed here
    mean = (counts * np.arange(1, width + 1)).sum(axis=-1) / d
    percent = 100 * k / d
    if weights:
        values = [float(w) for w in weights]
        score = np.zeros(n.shape)
        for i in range(min(width, len(values))):
            score = score + counts[..., i] * values[i]
        score = score / d
        values += [0.0] * max(0, width - len(values))
        centre = np.zeros(n.shape)
        for i in range(width):
            centre = centre + counts[..., i] * values[i]
        centre = centre / d
        variance = np.zeros(n.shape)
        for i in range(width):
            variance = variance + counts[..., i] * (values[i] - centre) ** 2
        half = Z95 * np.sqrt(variance / d / d)
        low, high = np.maximum(0.0, centre - half), np.minimum(100.0, centre + half)
    else:
        p = k / d
        denominator = 1 + Z95 * Z95 / d
        centre = (p + Z95 * Z95 / (2 * d)) / denominator
        half = Z95 * np.sqrt(p * (1 - p) / d + Z95 * Z95 / (4 * d * d)) / denominator
        low = 100 * np.maximum(0.0, centre - half)
        high = 100 * np.minimum(1.0, centre + half)
        score = percent
    empty = Share(0, 0, None, None, None, None, None)
    flat = [
        Share(*row) if row[0] else empty
        for row in zip(
            *(
                a.ravel().tolist()
                for a in np.broadcast_arrays(n, k, percent, low, high, mean, score)
            ),
            strict=True,
        )
    ]
    for size in reversed(n.shape[1:]):
        flat = [flat[i : i + size] for i in range(0, len(flat), size)]
    return flat


def add_counts(rows: list[list[int]], levels: int) -> list[int]:
    total = [0] * levels
    for counts in rows:
        for i, c in enumerate(counts[:levels]):
            total[i] += c
    return total


def mean_of(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
