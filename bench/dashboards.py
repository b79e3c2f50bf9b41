"""Server time of the dashboards, exports and PDF reports at national scale, on PostgreSQL.

    .venv/bin/python bench/dashboards.py          # or: make bench-dashboards

Builds once (reused by later runs) 10,000 units in ONE ranking group (the worst case for a
dashboard: every page ranks all 10,000) × 100 criteria × 2 years with `manage.py generate_scale`,
in the database named by DATABASE_URL (default: `parindex_bench_reports` on the local PostgreSQL,
created if missing). Then requests each page and export in-process with Django's test client, as a
leadership user who sees everything, and prints the median and p95 server time of each over
repeated requests (after warm-up), and the time of the PDF analysis reports.

Targets: p95 under 300 ms for the pages, PDF under 5 s. The last line is one JSON object:
{"pages": {"<name>": {"median_ms": ..., "p95_ms": ...}, ...}, "pdf_s": ...}
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database  # noqa: E402

UNITS, CRITERIA, YEARS = 10_000, 100, 2
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parindex_bench_reports"
PAGE_TARGET_MS, PDF_TARGET_S = 300, 5

os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"  # DEBUG would keep every SQL query in memory
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _setup() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from scoring.models import AssessmentResult

    call_command("migrate", verbosity=0)
    from django.db import connection

    from scoring.models import Period
    from scoring.recompute import recompute_now

    if Period.objects.exists() and not AssessmentResult.objects.exists():
        # A build interrupted before its recompute: finish it.
        for period in Period.objects.order_by("year"):
            recompute_now(period)
    if not AssessmentResult.objects.exists():
        started = time.perf_counter()
        call_command(
            "generate_scale",
            units=UNITS,
            criteria=CRITERIA,
            years=YEARS,
            groups=1,
            prefix="bench5",
        )
        print(f"data built in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        # Statistics for the bulk-loaded tables (a database-wide ANALYZE would also lock the
        # shared catalogs, and wait for every other database's transactions).
        cursor.execute(
            "ANALYZE scoring_assessmentresult, scoring_componentresult, "
            "scoring_criterionscore, scoring_assessment, scoring_deduction, units_unit, "
            "units_groupmembership"
        )


def _leader():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, created = get_user_model().objects.get_or_create(username="bench-lanhdao")
    if created:
        user.groups.add(Group.objects.get(name="leadership"))
    return user


def _time(client, url: str, params: dict, repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    _setup()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from scoring.models import AssessmentResult, Deduction, Period

    period = Period.objects.order_by("-year").first()
    group_code = AssessmentResult.objects.filter(period=period).values_list(
        "group__code", flat=True
    )[0]
    middle = (
        AssessmentResult.objects.filter(period=period, rank__gte=UNITS // 2)
        .order_by("rank")
        .values_list("assessment__unit_id", flat=True)
        .first()
    )
    criterion = (
        Deduction.objects.filter(score__assessment__period=period)
        .values_list("score__criterion__code", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    base = {"period": str(period.year), "group": group_code}
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_leader())
    pages = {
        "ranking": (reverse("reports:ranking"), base),
        "ranking_page_80": (reverse("reports:ranking"), {**base, "page": "80"}),
        "ranking_sorted_by_name": (reverse("reports:ranking"), {**base, "sort": "name"}),
        "heatmap": (reverse("reports:heatmap"), base),
        "unit_profile": (reverse("reports:unit", args=[middle]), base),
        "deductions": (reverse("reports:deductions"), base),
        "deductions_drill": (reverse("reports:deductions"), {**base, "criterion": criterion}),
        "climb": (reverse("reports:climb"), {**base, "unit": str(middle)}),
        "comparison": (reverse("reports:comparison"), base),
        "api_results": (reverse("reports:api_results"), base),
    }
    exports = {
        "export_ranking_xlsx": (reverse("reports:export", args=["ranking", "xlsx"]), base),
        "export_ranking_csv": (reverse("reports:export", args=["ranking", "csv"]), base),
        "export_heatmap_xlsx": (reverse("reports:export", args=["heatmap", "xlsx"]), base),
        "export_deductions_csv": (reverse("reports:export", args=["deductions", "csv"]), base),
        "export_comparison_csv": (reverse("reports:export", args=["comparison", "csv"]), base),
    }
    results: dict[str, dict] = {}
    for name, (url, params) in pages.items():
        times = _time(client, url, params, repeat=20)
        results[name] = {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(_p95(times) * 1000, 1),
        }
        flag = "ok" if results[name]["p95_ms"] < PAGE_TARGET_MS else "OVER TARGET"
        print(
            f"{name:26} median {results[name]['median_ms']:8.1f} ms   p95 "
            f"{results[name]['p95_ms']:8.1f} ms   {flag}",
            flush=True,
        )
    # The ranking summary, the heatmap's averages and the deduction analysis are cached until the
    # results next change (scoring.generation): the figures above are the warm ones; these are
    # the first request after a recompute or an edit.
    from django.core.cache import cache

    for name in ("ranking", "heatmap", "deductions", "climb"):
        cold = []
        for _ in range(5):
            cache.clear()
            cold += _time(client, *pages[name], repeat=1, warmup=0)
        key = f"{name}_uncached"
        results[key] = {
            "median_ms": round(statistics.median(cold) * 1000, 1),
            "p95_ms": round(_p95(cold) * 1000, 1),
        }
        print(
            f"{key:26} median {results[key]['median_ms']:8.1f} ms   p95 "
            f"{results[key]['p95_ms']:8.1f} ms   (cache cleared)",
            flush=True,
        )
    for name, (url, params) in exports.items():
        times = _time(client, url, params, repeat=5, warmup=1)
        results[name] = {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(_p95(times) * 1000, 1),
        }
        print(
            f"{name:26} median {results[name]['median_ms']:8.1f} ms   p95 "
            f"{results[name]['p95_ms']:8.1f} ms   (export)",
            flush=True,
        )
    pdf_period = _time(client, reverse("reports:period_pdf"), base, repeat=3, warmup=1)
    pdf_unit = _time(client, reverse("reports:unit_pdf", args=[middle]), base, repeat=3, warmup=1)
    pdf_s = round(max(statistics.median(pdf_period), statistics.median(pdf_unit)), 2)
    print(
        f"PDF analysis report of the period and group: median {statistics.median(pdf_period):.2f} s"
    )
    print(
        f"PDF analysis report of one unit:             median {statistics.median(pdf_unit):.2f} s"
    )
    print(f"targets: pages p95 < {PAGE_TARGET_MS} ms, PDF < {PDF_TARGET_S} s")
    print(json.dumps({"pages": results, "pdf_s": pdf_s}))


if __name__ == "__main__":
    main()
