"""Benchmark of the survey answers import at national scale, on PostgreSQL.

    .venv/bin/python bench/survey_import.py [--rows 1000000]     # or: make bench-surveys

Builds (once; reused by later runs) 500 units × 40 criteria with `manage.py generate_scale` in its
own database (DATABASE_URL, by default `parindex_bench_surveys` on the local PostgreSQL, created if
missing), marks criterion 8.1 survey-derived and defines a SIPAS survey of 5 elements × 4
questions whose index feeds it. Then, in one run:

  - writes a SIPAS answers CSV: one row per respondent (1,000,000 rows), 20 questions on the
    5-level scale, about 3 % blank, respondents spread over the 500 units;
  - floor    a bare `COPY … FROM STDIN (FORMAT csv, HEADER true)` of the same file into an
             unindexed temporary table of 23 text columns: the least any import must do, best of 3;
  - import   surveys.importing.import_answers on the file bytes, end to end: decode, parse
             (Arrow), check every cell, fingerprint the units, delete and COPY the answer sheets,
             count per unit × question × level, store the results with their intervals, set the
             survey-derived criterion points, commit, and the recompute of totals and ranks that
             the commit queues (run in this process, timed inside the import);
  - aggregate  the part of the import from the last sheet sent to the stored results and points
             (counts, results, criterion points), from the import's own progress marks; the
             counting runs while PostgreSQL is still storing the last sheets, so this includes
             the end of that wait;
  - memory   the peak resident size of this Python process (ru_maxrss).

The survey's earlier answers are deleted (and the table vacuumed) before the timed import, so each
run measures a first import of the file. The machine's load average is printed with the figures.

The last line is one JSON object:
{"responses": 1000000, "import_s": ..., "copy_floor_s": ..., "aggregate_s": ..., "peak_mb": ...}
Targets: import < 60 s on a 2-core machine, ≤ 3 × the COPY floor (2 × the aim), peak < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database, generated_period, manage  # noqa: E402

UNITS, CRITERIA, YEAR, QUESTIONS = 500, 40, 2024, 20
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parindex_bench_surveys"
SURVEY_CODE = "bench-sipas"

os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # no broker: the recompute runs in this process
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _setup():
    ensure_database(os.environ["DATABASE_URL"])
    manage("migrate", "-v0")
    import django

    django.setup()
    from indicators.models import Criterion
    from surveys.models import Survey, SurveyElement, SurveyQuestion

    generated_period(YEAR, UNITS, CRITERIA)
    Criterion.objects.filter(framework__year=YEAR, code="8.1").update(method="survey", bands=[])
    survey = Survey.objects.filter(code=SURVEY_CODE).first()
    if survey is None:
        survey = Survey.objects.create(
            year=YEAR,
            kind=Survey.Kind.SIPAS,
            name="SIPAS (bench)",
            code=SURVEY_CODE,
            criterion_code="8.1",
        )
        names = ["Tiếp cận dịch vụ", "Thủ tục hành chính", "Công chức", "Kết quả", "Phản ánh"]
        for e, name in enumerate(names):
            element = SurveyElement.objects.create(
                survey=survey, code=f"E{e + 1}", name=name, order=e
            )
            for k in range(QUESTIONS // len(names)):
                j = e * (QUESTIONS // len(names)) + k
                SurveyQuestion.objects.create(
                    survey=survey, element=element, code=f"Q{j + 1}", text=f"Câu {j + 1}", order=j
                )
    return survey


def _file(rows: int) -> bytes:
    from units.models import Unit

    codes = np.array(
        list(
            Unit.objects.filter(code__startswith="bench-")
            .order_by("code")
            .values_list("code", flat=True)
        )
    )
    rng = np.random.default_rng(int(time.time()))
    header = "ma phieu,ma don vi,ngay," + ",".join(f"Q{j + 1}" for j in range(QUESTIONS))
    parts = [header.encode() + b"\n"]
    for first in range(0, rows, 100_000):  # in blocks: the file, not its making, is measured
        n = min(100_000, rows - first)
        units = codes[rng.integers(0, len(codes), n)]
        levels = rng.choice(np.arange(1, 6), size=(n, QUESTIONS), p=[0.03, 0.05, 0.12, 0.4, 0.4])
        chars = (levels + 48).astype(np.uint8)
        chars[rng.random((n, QUESTIONS)) < 0.03] = 0  # blank: no answer (dropped below)
        grid = np.full((n, 2 * QUESTIONS - 1), ord(","), dtype=np.uint8)
        grid[:, ::2] = chars
        cells = [row.tobytes().replace(b"\0", b"") for row in grid]
        parts.append(
            b"".join(
                b"R%08d,%s,%02d/03/%d,%s\n"
                % (first + i, units[i].encode(), 1 + (first + i) % 28, YEAR, cells[i])
                for i in range(n)
            )
        )
    return b"".join(parts)


def _copy_floor(data: bytes) -> float:
    from django.db import connection, transaction

    columns = ", ".join(f"c{i} text" for i in range(3 + QUESTIONS))
    best = float("inf")
    for _ in range(3):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"CREATE TEMPORARY TABLE bench_floor ({columns}) ON COMMIT DROP")
            started = time.perf_counter()
            with cur.cursor.copy("COPY bench_floor FROM STDIN (FORMAT csv, HEADER true)") as copy:
                copy.write(data)
            best = min(best, time.perf_counter() - started)
    return best


def _reset(survey) -> None:
    from django.db import connection

    from surveys.models import SurveyImport, SurveyQuestionStat, SurveyUnitAnswers, SurveyUnitLoad

    for model in (SurveyUnitAnswers, SurveyQuestionStat, SurveyUnitLoad, SurveyImport):
        model.objects.filter(survey=survey).delete()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE surveys_surveyunitanswers")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    survey = _setup()
    print(f"Writing {rows:,} answer sheets × {QUESTIONS} questions…", flush=True)
    data = _file(rows)
    print(f"File: {rows} rows, {len(data) / 1e6:.1f} MB", flush=True)
    floor = _copy_floor(data)
    print(f"COPY floor: {floor:.2f} s", flush=True)
    _reset(survey)

    from surveys.importing import import_answers

    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(percent: int, message: str) -> None:
        now = time.perf_counter() - started
        marks.setdefault(str(percent), now)
        if percent in (20, 45, 47, 87, 100) or percent % 10 == 0:
            print(f"  {now:6.2f} s [{percent:3d}%] {message}", flush=True)

    outcome = import_answers(survey=survey, data=data, filename="bench.csv", progress=progress)
    import_s = time.perf_counter() - started
    if outcome.status != "applied":
        sys.exit("\n".join(outcome.errors[:20]))
    aggregate_s = marks.get("100", import_s) - marks.get("87", import_s)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    from scoring.models import CriterionScore
    from surveys.models import SurveyResult

    print(
        f"written: {outcome.written} sheets, {SurveyResult.objects.filter(survey=survey).count()} "
        f"results, {CriterionScore.objects.filter(criterion__code='8.1').count()} criterion scores"
    )
    print(
        f"import: {import_s:.2f} s ({import_s / floor:.1f} × the COPY floor), of which the "
        f"aggregation to results and points {aggregate_s:.2f} s; peak {peak_mb:.0f} MB"
    )
    print(
        f"load average while running: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
        f"{os.cpu_count()} cores"
    )
    started = time.perf_counter()
    again = import_answers(survey=survey, data=data, filename="bench.csv")
    print(f"the same file again: {again.status} in {time.perf_counter() - started:.2f} s")
    print(
        f"targets: < 60 s: {'yes' if import_s < 60 else 'NO'}; ≤ 3 × floor: "
        f"{'yes' if import_s <= 3 * floor else 'NO'}; peak < 2 GB: "
        f"{'yes' if peak_mb < 2048 else 'NO'}"
    )
    print(
        json.dumps(
            {
                "responses": rows,
                "import_s": round(import_s, 2),
                "copy_floor_s": round(floor, 3),
                "aggregate_s": round(aggregate_s, 2),
                "peak_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
