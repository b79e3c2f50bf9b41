"""Benchmark of the score import at national scale, on PostgreSQL.

    .venv/bin/python bench/import_scores.py          # or: make bench-import

Builds (once; reused by later runs) 10,000 units × 100 criteria = 1,000,000 criterion scores with
deductions, using `manage.py generate_scale` in a separate process, in the database named by
DATABASE_URL (default: `parindex_bench_import` on the local PostgreSQL, created if missing; its own
database, so the recompute benchmark's data is left alone). Then, in one run:

  - writes a 200,000-row scores CSV (2,000 units × 100 criteria: new appraised points on every row
    (KAD where the criterion is marked not applicable),
    a new or changed deduction with a reason code on one row in ten, a withdrawal on one in fifty);
  - check    scoring.importing.scores_plan on the file bytes: read, check every cell, compare with
             the stored scores and deductions, list every change;
  - apply    scoring.importing.scores_apply of that plan (temporary tables, UPDATE … FROM, INSERT …
             SELECT, history rows, commit); the recompute it queues is run and timed after, apart;
  - floor    a bare `COPY … FROM STDIN (FORMAT csv)` of the same file into an unindexed temporary
             table: the least any import of these rows must do, best of 3;
  - CPU      the CPU seconds of this process (getrusage) in the check and the apply, and of the
             PostgreSQL backend (utime + stime in /proc/<pid>/stat) per apply statement: on a shared
             machine the wall time moves with the load, the CPU time much less;
  - memory   the peak resident size of this Python process (getrusage ru_maxrss) and of the
             PostgreSQL backend serving it (VmHWM in /proc/<pg_backend_pid()>/status; the database
             runs on this machine).

BENCH_EXPLAIN=1 also prints the plan of every apply statement over 0.2 s (auto_explain with
ANALYZE and BUFFERS, sent to this client as notices).

The last line is one JSON object (extra keys: the CPU seconds):
{"rows": 200000, "check_s": ..., "apply_s": ..., "copy_floor_s": ..., "peak_mb": ..., "backend_peak_mb": ...}
Targets: check + apply < 30 s on a 2-core machine, apply ≤ 5 × the COPY floor, both peaks < 1 GB.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database, generated_period, manage  # noqa: E402

UNITS, CRITERIA, YEAR = 10_000, 100, 2024
FILE_UNITS = 2_000
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parindex_bench_import"

os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # no broker: the recompute runs in this process
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _setup():
    ensure_database(os.environ["DATABASE_URL"])
    manage("migrate", "-v0")
    import django

    django.setup()
    period = generated_period(YEAR, UNITS, CRITERIA, note="once, a few minutes")
    from django.db import connection

    with connection.cursor() as cur:
        # Earlier runs leave dead rows behind; autovacuum would clear them in a live database.
        for table in ("scoring_criterionscore", "scoring_deduction", "scoring_assessment"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return period


def _file(period) -> bytes:
    """200,000 rows for the first FILE_UNITS units, values different from the stored ones."""
    from django.db import connection

    from scoring.models import DeductionReason

    reason, _created = DeductionReason.objects.get_or_create(
        code="bench-tre-han", defaults={"label": "Nộp báo cáo trễ hạn (bench)"}
    )
    rng = random.Random(time.time_ns())
    with connection.cursor() as cur:
        cur.execute(
            "SELECT u.code, c.code, c.max_points, c.step, s.appraised_points, "
            "EXISTS (SELECT 1 FROM scoring_deduction d WHERE d.score_id = s.id "
            "AND d.withdrawn_at IS NULL), s.not_applicable "
            "FROM scoring_criterionscore s JOIN scoring_assessment a ON a.id = s.assessment_id "
            "JOIN units_unit u ON u.id = a.unit_id JOIN indicators_criterion c "
            "ON c.id = s.criterion_id WHERE a.period_id = %s AND a.unit_id IN "
            "(SELECT unit_id FROM scoring_assessment WHERE period_id = %s ORDER BY unit_id "
            "LIMIT %s) ORDER BY u.code, c.code",
            [period.pk, period.pk, FILE_UNITS],
        )
        rows = cur.fetchall()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["unit_code", "criterion_code", "points", "deduction", "reason"])
    for unit_code, crit_code, max_points, step, current, deducted, not_applicable in rows:
        step = step or max_points / 4
        choices = int(max_points / step)
        value = step * rng.randint(0, choices)
        if value == current:
            value = max_points if current != max_points else 0 * step
        deduction, why = "", ""
        draw = rng.random()
        if draw < 0.1:
            deduction, why = f"{min(step, max_points):.2f}", reason.code
        elif draw < 0.12 and deducted:
            deduction = "0"
        points = "KAD" if not_applicable else f"{value:.2f}"
        writer.writerow([unit_code, crit_code, points, deduction, why])
    return out.getvalue().encode("utf-8")


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


def _backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) the PostgreSQL backend has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _explain_notices(plans: list) -> None:
    """Send auto_explain's plans (ANALYZE, BUFFERS) of the slow statements to this client."""
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("LOAD 'auto_explain'")
        cur.execute("SET auto_explain.log_min_duration = 200")
        cur.execute("SET auto_explain.log_analyze = on")
        cur.execute("SET auto_explain.log_buffers = on")
        cur.execute("SET auto_explain.log_nested_statements = on")
        cur.execute("SET client_min_messages = log")
    connection.connection.add_notice_handler(lambda d: plans.append(d.message_primary))


def _backend_peak_mb() -> float:
    pid = _backend_pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _copy_floor(data: bytes) -> float:
    from django.db import connection, transaction

    best = float("inf")
    for _ in range(3):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "CREATE TEMPORARY TABLE bench_floor (unit_code text, criterion_code text, "
                "points text, deduction text, reason text) ON COMMIT DROP"
            )
            started = time.perf_counter()
            with cur.cursor.copy("COPY bench_floor FROM STDIN (FORMAT csv, HEADER true)") as copy:
                copy.write(data)
            best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    period = _setup()
    from scoring import importing

    data = _file(period)
    rows = data.count(b"\n") - 1
    print(f"File: {rows} rows, {len(data) / 1e6:.1f} MB", flush=True)
    floor = _copy_floor(data)
    print(f"COPY floor: {floor:.2f} s", flush=True)

    started, cpu = time.perf_counter(), _cpu()
    plan = importing.scores_plan(period=period, data=data, filename="bench.csv", round=1)
    check_s = time.perf_counter() - started
    check_cpu = _cpu() - cpu
    if not plan.ok:
        sys.exit("\n".join(str(p) for p in plan.errors[:20]))
    print(
        f"check: {check_s:.2f} s ({check_cpu:.2f} s CPU); {plan.change_count} changes, {len(plan.score_ops)} scores, "
        f"{len(plan.deduction_edits)} deductions edited, {len(plan.deduction_adds)} added, "
        f"{len(plan.deduction_withdrawals)} withdrawn",
        flush=True,
    )

    queued = []
    from scoring.importing import applying

    original = applying.recompute_on_commit
    applying.recompute_on_commit = lambda period_id, unit_ids: queued.append((period_id, unit_ids))
    from django.db import connection

    statements = []
    pid = _backend_pid()
    plans: list[str] = []
    if os.environ.get("BENCH_EXPLAIN"):
        _explain_notices(plans)

    def timed(execute, sql, params, many, context):
        began, began_cpu = time.perf_counter(), _backend_cpu(pid)
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(
                (
                    time.perf_counter() - began,
                    _backend_cpu(pid) - began_cpu,
                    " ".join(sql.split())[:80],
                )
            )

    user = importing.import_account()
    plain_commit = connection.commit

    def timed_commit():
        # The commit runs the deferred foreign-key checks of every row written.
        began, began_cpu = time.perf_counter(), _backend_cpu(pid)
        try:
            return plain_commit()
        finally:
            statements.append(
                (time.perf_counter() - began, _backend_cpu(pid) - began_cpu, "COMMIT")
            )

    connection.commit = timed_commit
    try:
        with connection.execute_wrapper(timed):
            started, cpu, backend_cpu = time.perf_counter(), _cpu(), _backend_cpu(pid)
            n = importing.scores_apply(plan=plan, user=user)
            apply_s = time.perf_counter() - started
            apply_cpu, apply_backend_cpu = _cpu() - cpu, _backend_cpu(pid) - backend_cpu
    finally:
        applying.recompute_on_commit = original
        del connection.commit
    for seconds, used, sql in sorted(statements, reverse=True)[:8]:
        print(f"  {seconds:6.2f} s ({used:5.2f} s backend CPU)  {sql}")
    for text in plans:
        print(text)
    print(
        f"apply: {apply_s:.2f} s for {n} scores ({apply_s / floor:.1f} × the COPY floor); "
        f"CPU {apply_cpu:.2f} s Python, {apply_backend_cpu:.2f} s PostgreSQL backend"
    )
    started = time.perf_counter()
    for period_id, unit_ids in queued:
        original(period_id, unit_ids)  # outside a transaction: runs at once
    print(f"recompute queued by the apply (run apart): {time.perf_counter() - started:.2f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend_mb = _backend_peak_mb()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"peak memory: Python {peak_mb:.0f} MB, PostgreSQL backend {backend_mb:.0f} MB")
    total = check_s + apply_s
    print(
        f"targets: check + apply {total:.1f} s < 30 s: {'yes' if total < 30 else 'NO'}; "
        f"apply ≤ 5 × floor: {'yes' if apply_s <= 5 * floor else 'NO'}; "
        f"peaks < 1 GB: {'yes' if max(peak_mb, backend_mb) < 1024 else 'NO'}"
    )
    print(
        json.dumps(
            {
                "rows": rows,
                "check_s": round(check_s, 2),
                "apply_s": round(apply_s, 2),
                "copy_floor_s": round(floor, 3),
                "peak_mb": round(peak_mb),
                "backend_peak_mb": round(backend_mb),
                "check_cpu_s": round(check_cpu, 2),
                "apply_cpu_s": round(apply_cpu, 2),
                "apply_backend_cpu_s": round(apply_backend_cpu, 2),
                "load_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
