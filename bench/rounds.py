"""Benchmark of opening a round and moving its assessments in bulk, on PostgreSQL.

    .venv/bin/python bench/rounds.py [--units 2000]

In the database named by DATABASE_URL (default: `parindex_bench_rounds` on the local PostgreSQL,
created and migrated if missing), builds once N departments in one ranking group of 2024 and the
2025 framework (4 leaves), then on every run removes the 2025 period and times:

  (a) open     round_open(year=2025, copy_groups_from=2024): the period, N memberships copied, N
               draft assessments with their history, and the recompute queued on commit (run
               eagerly here, so it is inside the figure);
  (b) reopen   the same again: nothing to create;
  (c) bulk     draft → self_assessed for all N (plan, then apply: one StateChange per move);
  (d) submit   self_assessed → submitted for all N (the submit check runs for each).

Prints each figure; the last line is one JSON object:
{"units": N, "open_s": ..., "reopen_s": ..., "bulk_s": ..., "submit_s": ..., "moves_per_s": ...}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parindex_bench_rounds"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _build(units: int) -> None:
    from indicators.models import Framework
    from indicators.services import criterion_create
    from units.models import GroupMembership, RankingGroup, Unit, UnitKind

    have = Unit.objects.filter(code__startswith="bench-").count()
    if have == units and Framework.objects.filter(year=2025).exists():
        return
    print(f"Building {units} units")
    GroupMembership.objects.all().delete()
    Unit.objects.all().delete()
    group, _ = RankingGroup.objects.get_or_create(
        code="khoi-bench", defaults={"name": "Khối thử tải", "unit_kind": UnitKind.DEPARTMENT}
    )
    made = Unit.objects.bulk_create(
        Unit(code=f"bench-{i:05d}", name=f"Đơn vị {i}", kind="department", active_from_year=2015)
        for i in range(units)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(unit=u, group=group, year=2024) for u in made
    )
    if not Framework.objects.filter(year=2025, unit_kind="department").exists():
        fw = Framework.objects.create(
            year=2025, unit_kind="department", name="Bộ chỉ số thử tải", max_points=Decimal(10)
        )
        for code in ("1", "2"):
            parent = criterion_create(framework=fw, code=code, name=code, max_points=Decimal(5))
            for leaf in ("1", "2"):
                criterion_create(
                    framework=fw,
                    code=f"{code}.{leaf}",
                    name=leaf,
                    max_points=Decimal("2.5"),
                    parent=parent,
                    evidence_required=False,
                )


def _reset() -> None:
    from scoring.models import Assessment, Period, RecomputeRun
    from units.models import GroupMembership

    Assessment.objects.filter(period__year=2025).delete()
    RecomputeRun.objects.filter(period__year=2025).delete()
    Period.objects.filter(year=2025).delete()
    GroupMembership.objects.filter(year=2025).delete()


def _timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<8} {seconds:8.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    units = parser.parse_args().units
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from scoring.models import Assessment
    from scoring.services.accounts import import_account
    from scoring.services.bulk import bulk_transition_apply, bulk_transition_plan
    from scoring.services.rounds import round_open

    _build(units)
    _reset()
    user = import_account()
    opened, open_s = _timed("open", lambda: round_open(year=2025, copy_groups_from=2024, user=user))
    assert opened.assessments_created == units
    again, reopen_s = _timed("reopen", lambda: round_open(year=2025, copy_groups_from=2024))
    assert again.created_nothing

    def move(to_state: str) -> int:
        plan = bulk_transition_plan(
            assessments=Assessment.objects.filter(period__year=2025).select_related("unit"),
            to_state=to_state,
            user=user,
        )
        return len(bulk_transition_apply(assessment_ids=plan.ids, to_state=to_state, user=user))

    moved, bulk_s = _timed("bulk", lambda: move("self_assessed"))
    submitted, submit_s = _timed("submit", lambda: move("submitted"))
    assert moved == submitted == units
    print(f"{units / bulk_s:.0f} moves/s (draft → self_assessed)")
    print(
        json.dumps(
            {
                "units": units,
                "open_s": round(open_s, 3),
                "reopen_s": round(reopen_s, 3),
                "bulk_s": round(bulk_s, 3),
                "submit_s": round(submit_s, 3),
                "moves_per_s": round(units / bulk_s),
            }
        )
    )


if __name__ == "__main__":
    main()
