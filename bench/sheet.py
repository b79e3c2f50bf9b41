"""Benchmark of the scoring sheet and the Excel round trip on the demo province, on PostgreSQL.

    .venv/bin/python bench/sheet.py

Uses the database `parindex_bench_sheet` on the local PostgreSQL (created, migrated and loaded with
the demo once; DATABASE_URL overrides). Times, best of 5 unless said: the sheet page for staff (and
its query count), a save of every criterion of one sheet, the scores template of the period as
.xlsx and .csv, and the validation + all-or-nothing apply of an edited template (every unit's
appraisal changed). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parindex_bench_sheet")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")


def best(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from openpyxl import load_workbook

    from demo.loader import demo_loaded
    from scoring.exporting import scores_csv, scores_xlsx
    from scoring.forms import sheet_field_name
    from scoring.importing import scores_apply, scores_plan
    from scoring.models import Assessment, Period

    call_command("migrate", verbosity=0)
    if not demo_loaded():
        call_command("load_demo", stdout=io.StringIO())
    period = Period.objects.get(year=2024)
    assessment = Assessment.objects.filter(period=period, state="appraised").order_by("pk").first()
    assessment.state = "submitted"
    assessment.save(update_fields=["state"])
    client = Client()
    client.force_login(get_user_model().objects.get(username="canbo.snv"))
    url = f"/cham-diem/{assessment.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as q:
        client.get(url)
    get_queries = len(q)
    get_s = best(lambda: client.get(url))
    leaves = list(assessment.framework.criteria.filter(is_leaf=True))
    value = {"v": 0}

    def save():
        assessment.refresh_from_db()
        value["v"] = 1 - value["v"]
        data = {"version": str(assessment.version)}
        for c in leaves:
            data[sheet_field_name("row", c.pk)] = "1"
            data[sheet_field_name("appraised_points", c.pk)] = "0" if value["v"] else ""
        response = client.post(url, data)
        assert response.status_code == 302, response.status_code

    save()
    with CaptureQueriesContext(connection) as q:
        save()
    post_queries = len(q)
    save_s = best(save)
    xlsx_s = best(lambda: scores_xlsx(period), 3)
    csv_s = best(lambda: scores_csv(period), 3)
    data = scores_xlsx(period)
    plan_s = best(lambda: scores_plan(period=period, data=data, filename="mau.xlsx"), 3)
    # Edit offline: every criterion of every unit being appraised gets its maximum.
    editable = set(
        Assessment.objects.filter(period=period, state__in=["submitted", "appraised"]).values_list(
            "unit__code", flat=True
        )
    )
    workbook = load_workbook(io.BytesIO(data))
    rows = edited_rows = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows(min_row=2):
            rows += 1
            if row[0].value in editable:
                row[6].value = row[4].value
                edited_rows += 1
    out = io.BytesIO()
    workbook.save(out)
    edited = out.getvalue()
    start = time.perf_counter()
    plan = scores_plan(period=period, data=edited, filename="mau.xlsx")
    assert plan.ok, plan.errors[:3]
    changed = scores_apply(plan=plan)
    apply_s = time.perf_counter() - start
    figures = {
        "leaves_per_sheet": len(leaves),
        "sheet_get_ms": round(get_s * 1000, 1),
        "sheet_get_queries": get_queries,
        "sheet_save_ms": round(save_s * 1000, 1),
        "sheet_save_queries": post_queries,
        "template_rows": rows,
        "template_xlsx_s": round(xlsx_s, 3),
        "template_csv_s": round(csv_s, 3),
        "import_validate_s": round(plan_s, 3),
        "import_edited_rows": edited_rows,
        "import_changed_scores": changed,
        "import_validate_and_apply_s": round(apply_s, 3),
    }
    for key, value_ in figures.items():
        print(f"{key:28} {value_}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
