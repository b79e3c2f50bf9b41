"""The top bar's unit search over 10,000 units, on PostgreSQL: diacritics folded in Python.

    .venv/bin/python bench/unit_search.py

Creates once (reused by later runs) 10,000 units with Vietnamese names in the database named by
DATABASE_URL (default `parindex_bench_search` on the local PostgreSQL, created if missing), then
times targets.selectors.search.units_search: the first search (the folded index built and cached)
and the median and p95 of later searches of several queries. The last line is one JSON object:
{"units": ..., "first_ms": ..., "median_ms": ..., "p95_ms": ...}
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

UNITS = 10_000
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parindex_bench_search")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")


WORDS = ["Phường", "Xã", "Thị trấn"]
PLACES = [
    "Hòa Bình",
    "Đông Hưng",
    "Tân Lập",
    "Quảng Phú",
    "Thạch Đà",
    "Nghĩa Đô",
    "Ỷ La",
    "Yên Thế",
]
QUERIES = ["hoa binh", "dong hung 12", "xa tan lap", "phuong nghia do 4711", "y la", "so tu phap"]


def main() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from targets.selectors.search import units_search
    from units.models import Unit, UnitKind

    if Unit.objects.count() < UNITS:
        Unit.objects.all().delete()
        Unit.objects.bulk_create(
            [
                Unit(
                    code=f"dv-{i}",
                    name=f"{WORDS[i % 3]} {PLACES[i % len(PLACES)]} {i}",
                    kind=UnitKind.COMMUNE,
                    active_from_year=2020,
                )
                for i in range(UNITS - 1)
            ]
            + [
                Unit(code="so-tu-phap", name="Sở Tư pháp", kind="department", active_from_year=2020)
            ],
            batch_size=2000,
        )
    cache.clear()
    start = time.perf_counter()
    first = units_search(QUERIES[0])
    first_ms = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(20):
        for q in QUERIES:
            start = time.perf_counter()
            units_search(q)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    found = units_search("so tu phap")
    assert found and found[0][2] == "Sở Tư pháp", found
    median, p95 = statistics.median(times), times[int(len(times) * 0.95)]
    print(f"{Unit.objects.count()} units; first search {first_ms:.1f} ms ({len(first)} hits)")
    print(f"later searches: median {median:.1f} ms, p95 {p95:.1f} ms over {len(times)}")
    print(
        json.dumps(
            {
                "units": Unit.objects.count(),
                "first_ms": round(first_ms, 1),
                "median_ms": round(median, 1),
                "p95_ms": round(p95, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
