"""Benchmark of the recompute engine at national scale, on PostgreSQL.

    .venv/bin/python bench/recompute.py          # or: make bench-recompute

Builds (once; reused by later runs) 10,000 units × 100 criteria × 1 year = 1,000,000 criterion
scores with deductions, using `manage.py generate_scale`, in the database named by DATABASE_URL
(default: `parindex_bench` on the local PostgreSQL, created if missing). Then times, in one run:

  (a) full     the full recompute of the period through the service (recompute_now), with every
               stored result to rewrite (the stored figures are made stale first), best of 3; the
               first recompute (nothing stored: every row inserted) and one with nothing to change
               are printed too;
  (b) floor    one bare `SELECT assessment_id, component_id, sum(points) ... GROUP BY 1, 2` over
               the same score rows (read every score once: the least any recompute must do), best
               of 3;
  (c) naive    a per-unit ORM loop (what one would write without set-based SQL) on a 200-unit
               sample, extrapolated to every unit; its writes are rolled back;
  (d) single   the recompute after one score edit (that unit's assessment and its group's ranks),
               median of 9 edits.

It prints each figure and the ratios; the last line is one JSON object:
{"units": 10000, "scores": 1000000, "full_s": ..., "floor_s": ..., "naive_s": ..., "single_edit_ms": ...}
Targets: full ≤ 3 × floor and < 2 s; full ≥ 20 × faster than naive; single edit < 100 ms.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database, generated_period  # noqa: E402

UNITS, CRITERIA, YEARS, YEAR = 10_000, 100, 1, 2024
SAMPLE = 200
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parindex_bench"

os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# No broker: the benchmark calls the service itself and must not queue anything anywhere.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _setup():
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from scoring.models import CriterionScore

    period = generated_period(YEAR, UNITS, CRITERIA, f"--years={YEARS}", "--no-recompute")
    scores = CriterionScore.objects.filter(assessment__period=period).count()
    if scores != UNITS * CRITERIA:
        sys.exit(
            f"Period {YEAR} has {scores} scores, expected {UNITS * CRITERIA}: drop the database."
        )
    from django.db import connection

    with connection.cursor() as cursor:
        # Only the tables measured: a database-wide VACUUM would also wait on the shared catalogs.
        for table in (
            "scoring_criterionscore",
            "scoring_assessment",
            "scoring_componentresult",
            "scoring_assessmentresult",
            "units_groupmembership",
            "indicators_criterion",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return period, scores


def _best(fn, runs: int = 3) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), times


def _floor() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # the same setting the recompute uses
        cursor.execute(
            "SELECT assessment_id, component_id, sum(points) FROM scoring_criterionscore "
            "GROUP BY 1, 2"
        )
        cursor.fetchall()


def _full(period, *, cold: bool = False) -> float:
    """One full recompute in which every stored result must be rewritten: the stored figures are
    first made stale (or, with `cold`, deleted so that every row is inserted)."""
    from django.db import connection

    from scoring.recompute import recompute_now

    scope = "(SELECT id FROM scoring_assessment WHERE period_id = %s)"
    with connection.cursor() as cursor:
        if cold:
            cursor.execute(
                f"DELETE FROM scoring_componentresult WHERE assessment_id IN {scope}", [period.pk]
            )
            cursor.execute("DELETE FROM scoring_assessmentresult WHERE period_id = %s", [period.pk])
        else:
            cursor.execute(
                f"UPDATE scoring_componentresult SET points = 0, percent = 0 "
                f"WHERE assessment_id IN {scope}",
                [period.pk],
            )
            cursor.execute(
                "UPDATE scoring_assessmentresult SET total_points = 0, percent = 0, rank = NULL "
                "WHERE period_id = %s",
                [period.pk],
            )
        cursor.execute("VACUUM ANALYZE scoring_componentresult")
        cursor.execute("VACUUM ANALYZE scoring_assessmentresult")
    started = time.perf_counter()
    recompute_now(period)
    return time.perf_counter() - started


def _naive(period, sample_units: list[int]) -> float:
    """The per-unit ORM loop: one assessment at a time, its scores, criteria and results through the
    ORM; ranks in Python. Rolled back at the end."""
    from django.db import transaction

    from indicators.computation import competition_ranks, percent, quantize
    from indicators.models import Criterion, RatingBand
    from scoring.models import Adjustment, Assessment, AssessmentResult, ComponentResult
    from units.models import GroupMembership

    class Rollback(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            by_group = defaultdict(list)
            for a in Assessment.objects.filter(period=period, unit_id__in=sample_units):
                leaves = list(Criterion.objects.filter(framework_id=a.framework_id, is_leaf=True))
                comp_max = defaultdict(Decimal)
                for c in leaves:
                    comp_max[c.component_id] += c.max_points
                points, na = defaultdict(Decimal), defaultdict(Decimal)
                for s in a.scores.all():
                    if s.not_applicable:
                        na[s.component_id] += s.max_points
                    else:
                        points[s.component_id] += s.points
                total = applicable = Decimal(0)
                for comp, maximum in comp_max.items():
                    m = maximum - na[comp]
                    ComponentResult.objects.update_or_create(
                        assessment=a,
                        component_id=comp,
                        defaults={
                            "points": points[comp],
                            "max_points": m,
                            "percent": percent(points[comp], m),
                        },
                    )
                    total += points[comp]
                    applicable += m
                for adj in Adjustment.objects.filter(assessment=a):
                    total += adj.points if adj.kind == "bonus" else -adj.points
                pct = min(percent(total, applicable), Decimal(100))
                band = (
                    RatingBand.objects.filter(framework_id=a.framework_id, min_percent__lte=pct)
                    .order_by("-min_percent")
                    .first()
                )
                membership = GroupMembership.objects.filter(unit_id=a.unit_id, year=YEAR).first()
                result, _ = AssessmentResult.objects.update_or_create(
                    assessment=a,
                    defaults={
                        "period": period,
                        "group_id": membership.group_id if membership else None,
                        "total_points": quantize(total),
                        "max_points": applicable,
                        "percent": pct,
                        "band": band.label if band else "",
                        "computed_at": period.updated_at,
                    },
                )
                by_group[result.group_id].append(result)
            for members in by_group.values():
                for r, rank in zip(
                    members, competition_ranks([m.percent for m in members]), strict=True
                ):
                    r.rank = rank
                    r.save(update_fields=["rank"])
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - started


def _single_edits(period, rng: random.Random, n: int = 9) -> list[float]:
    from scoring.models import CriterionScore
    from scoring.recompute import recompute_now

    times = []
    ids = list(
        CriterionScore.objects.filter(assessment__period=period, not_applicable=False)
        .order_by("?")
        .values_list("pk", flat=True)[:n]
    )
    for pk in ids:
        score = CriterionScore.objects.select_related("assessment").get(pk=pk)
        old = score.points
        new = score.max_points if old < score.max_points else Decimal(0)
        CriterionScore.objects.filter(pk=pk).update(points=new)
        started = time.perf_counter()
        recompute_now(period, unit_ids=[score.assessment.unit_id])
        times.append(time.perf_counter() - started)
        CriterionScore.objects.filter(pk=pk).update(points=old)
        recompute_now(period, unit_ids=[score.assessment.unit_id])
    return times


def main() -> None:
    period, n_scores = _setup()
    from scoring.models import Assessment, AssessmentResult
    from scoring.recompute import recompute_now

    n_units = Assessment.objects.filter(period=period).count()
    rng = random.Random(7)

    cold_s = _full(period, cold=True)
    full_times = [_full(period) for _ in range(3)]
    full_s = min(full_times)
    floor_s, floor_times = _best(_floor)
    warm_s, _ = _best(lambda: recompute_now(period))
    units = list(Assessment.objects.filter(period=period).values_list("unit_id", flat=True))
    sample = rng.sample(units, SAMPLE)
    naive_sample_s = _naive(period, sample)
    naive_s = naive_sample_s * n_units / SAMPLE
    single = _single_edits(period, rng)
    single_ms = statistics.median(single) * 1000
    ranked = AssessmentResult.objects.filter(period=period, rank__isnull=False).count()

    print(f"database        {os.environ['DATABASE_URL']}")
    print(f"data            {n_units} units, {n_scores} criterion scores, {ranked} ranked results")
    print(f"(a) full        {full_s:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in full_times)})")
    print(f"    first       {cold_s:.3f} s  (no stored results yet: every row inserted)")
    print(f"    unchanged   {warm_s:.3f} s  (full recompute when nothing changed: no writes)")
    print(f"(b) floor       {floor_s:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in floor_times)})")
    print(
        f"(c) naive       {naive_s:.1f} s  ({naive_sample_s:.2f} s for {SAMPLE} units × {n_units // SAMPLE})"
    )
    print(
        f"(d) single edit {single_ms:.1f} ms (median of {len(single)}; max {max(single) * 1000:.1f} ms)"
    )
    print(f"full / floor    {full_s / floor_s:.2f}×  (target ≤ 3×)")
    print(f"naive / full    {naive_s / full_s:.0f}×  (target ≥ 20×)")
    print(f"full < 2 s: {full_s < 2}; single edit < 100 ms: {single_ms < 100}")
    print(
        json.dumps(
            {
                "units": n_units,
                "scores": n_scores,
                "full_s": round(full_s, 3),
                "floor_s": round(floor_s, 3),
                "naive_s": round(naive_s, 1),
                "single_edit_ms": round(single_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
