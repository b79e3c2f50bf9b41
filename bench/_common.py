"""What the benchmarks share: their own PostgreSQL database, created when missing, manage.py run in a
separate process, and the generated period they measure, made once (imported as `_common` by the
scripts in bench/, run as `.venv/bin/python bench/<name>.py`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(url: str) -> None:
    """Create the benchmark's database named by `url` unless it exists; a benchmark measures
    PostgreSQL, so any other URL stops it with a message."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit(
            f"{Path(sys.argv[0]).name} measures PostgreSQL: set DATABASE_URL to a postgres:// URL."
        )
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone():
            print(f"Creating database {config['NAME']}", flush=True)
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=env)


def generated_period(year: int, units: int, criteria: int, *options: str, note: str = "once"):
    """The period of `year` that `manage.py generate_scale` made in this benchmark's database
    (`units` × `criteria`, codes prefixed "bench", more `options` for the command), made now when
    missing; later runs reuse it. A period of that year the command did not make stops the
    benchmark: its database holds real data. Call after django.setup()."""
    from scoring.management.commands.generate_scale import period_name
    from scoring.models import Period

    period = Period.objects.filter(year=year).first()
    if period is None:
        print(f"Generating {units} units × {criteria} criteria ({note})…", flush=True)
        manage(
            "generate_scale",
            f"--units={units}",
            f"--criteria={criteria}",
            f"--first-year={year}",
            "--prefix=bench",
            *options,
        )
        return Period.objects.get(year=year)
    if period.name != period_name(year):
        sys.exit(
            f"Database already has a real period {year}; point DATABASE_URL at a bench database."
        )
    return period
