"""Load test at national scale: gunicorn, a Celery worker and 50 simulated users on the loopback.

    .venv/bin/python bench/load.py                          # or: make bench-load
    .venv/bin/python bench/load.py --seconds 60 --users 20  # a short run

Builds once (reused by later runs) 10,000 units × 100 criteria with `manage.py generate_scale` in
the database named by DATABASE_URL (default: `parindex_bench_load` on the local PostgreSQL, created
if missing), and the accounts the users log in with (password below): per ten users, two interior
staff (`load-canbo-NNN`, each appraising five assessments of their own), three unit heads
(`load-donvi-NNN`, each self-assessing their own unit, whose assessment is put back in draft) and
five leaders (`load-lanhdao-NNN`).

Then starts, as subprocesses stopped at the end whatever happens, gunicorn (config.wsgi, 2 workers,
config.settings.production over plain HTTP: DEBUG off, whitenoise serving the collected static
files) and a Celery worker with its beat (the stale-queue sweep every minute), both on REDIS_URL
(default redis://127.0.0.1:6379/0: the cache, core.cache.SafeRedisCache, and the broker).

--users threads (http.client, no extra dependency) log in through the log-in form, then until
--seconds have passed (or --max-requests were sent) act and think (--think seconds on average):
leaders open the rankings (random group, page, sort), the heatmap, unit profiles, deductions,
climb, comparison, the home page, the JSON API, CSV/XLSX exports and static files; staff and unit
heads open their sheets and save one changed cell at a time (each confirmed save, a 302, is
remembered with the value it wrote), and read lists, rankings and exports.

It prints requests per second, the median and p95 of each kind of request as the users saw it
(the wait in gunicorn's backlog included) and as the server spent it (gunicorn's access log, by an
X-Load-Kind header the users send), and every error: a status of 400 or more other than the
expected ones (409: a sheet saved meanwhile by someone else) and connection errors; 5xx lines in
the gunicorn log are counted too. After the run it waits
(--drain-timeout) for the queued recomputes to finish, stops the servers, checks that every
confirmed save is in the database (lost_writes) and that a fresh full recompute changes nothing in
the stored results (results_equal). The last line is one JSON object:
{"users": 50, "seconds": 600, "requests": ..., "errors": ..., "p95_ms": {...}, "lost_writes": 0,
 "rps": ..., "median_ms": {...}, "results_equal": true, "server_p95_ms": {...}, ...}
Goals: errors 0, lost_writes 0, results_equal true.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import ensure_database, generated_period, manage  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))

from load_users import Plan, Tally, User  # noqa: E402

UNITS, CRITERIA, YEAR = 10_000, 100, 2024
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parindex_bench_load"
PASSWORD = "Tai-tai-2024-load!"
# Of every ten users: two staff, three unit heads, five leaders.
ROLES = ["interior_staff"] * 2 + ["unit_head"] * 3 + ["leadership"] * 5
SHORT = {"interior_staff": "canbo", "unit_head": "donvi", "leadership": "lanhdao"}
SHEETS_PER_STAFF = 5

os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
os.environ["DEBUG"] = "false"
# This process only builds and checks; the servers it starts queue to the real broker.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def _server_env() -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "bench-load-not-a-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: no redirect to HTTPS (the cookies stay Secure).
        "SECURE_SSL_REDIRECT": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("DEBUG", None)
    return env


def _collectstatic() -> None:
    """The production settings serve the hashed, compressed files of a manifest: collected again
    (over a minute, the compression) only when a file under static/ is newer than it."""
    manifest = Path(os.environ.get("STATIC_ROOT", ROOT / "staticfiles")) / "staticfiles.json"
    newest = max(p.stat().st_mtime for p in (ROOT / "static").rglob("*") if p.is_file())
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        print("Collecting the static files…", flush=True)
        manage("collectstatic", "--noinput", "-v0", env=_server_env())


def _setup(n_users: int):
    ensure_database(os.environ["DATABASE_URL"])
    manage("migrate", "-v0")
    import django

    django.setup()
    period = generated_period(YEAR, UNITS, CRITERIA)
    _collectstatic()
    plan = _plan(period, n_users)
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("scoring_criterionscore", "scoring_assessment", "scoring_assessmentresult"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return period, plan


def _plan(period, n_users: int) -> Plan:
    """The accounts (created once, reused) and what each user may write."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from indicators.models import Criterion
    from scoring.models import Assessment, CriterionScore
    from scoring.workflow import State
    from units.models import RankingGroup, UnitHead

    users = get_user_model()
    assessments = list(
        Assessment.objects.filter(period=period).order_by("unit_id").values_list("pk", "unit_id")
    )
    unit_of = dict(assessments)
    heads = iter(assessments)  # from the first unit up
    sheets = iter(reversed(assessments))  # from the last unit down
    accounts = []
    for i in range(n_users):
        role = ROLES[i % len(ROLES)]
        username = f"load-{SHORT[role]}-{i:03d}"
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_user(username, password=PASSWORD)
            user.groups.add(Group.objects.get(name=role))
        if role == "unit_head":
            pk, unit_id = next(heads)
            UnitHead.objects.update_or_create(user=user, defaults={"unit_id": unit_id})
            mine, field = [pk], "self_points"
        elif role == "interior_staff":
            mine = [next(sheets)[0] for _ in range(SHEETS_PER_STAFF)]
            field = "appraised_points"
        else:
            mine, field = [], ""
        accounts.append((username, role, mine, field))
    drafts = [a for _, role, mine, _ in accounts if role == "unit_head" for a in mine]
    # The unit heads self-assess: their assessments go back to draft (bench data, no history).
    Assessment.objects.filter(pk__in=drafts).exclude(state=State.DRAFT).update(state=State.DRAFT)
    # Cells typed on: scored criteria only (a criterion marked not applicable refuses points).
    applicable = set(
        CriterionScore.objects.filter(
            assessment__period=period, assessment_id__in=[a for acc in accounts for a in acc[2]]
        )
        .values_list("criterion_id", flat=True)
        .distinct()
    )
    criteria = {
        c.pk: (c.max_points, c.step or c.max_points)
        for c in Criterion.objects.filter(pk__in=applicable, is_leaf=True, method="entered")
    }
    return Plan(
        year=period.year,
        groups=list(RankingGroup.objects.order_by("code").values_list("code", flat=True)),
        unit_ids=[unit for _, unit in assessments],
        criteria=criteria,
        accounts=accounts,
        password=PASSWORD,
        unit_of_assessment=unit_of,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(workdir: Path, port: int) -> dict[str, subprocess.Popen]:
    env = _server_env()
    commands = {
        "gunicorn": [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--timeout=120",
            "--graceful-timeout=10",
            # The server's own time (µs) of each request by kind: without the wait in the backlog.
            f"--access-logfile={workdir / 'access.log'}",
            "--access-logformat=%({x-load-kind}i)s %(s)s %(D)s",
        ],
        "celery": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            f"--schedule={workdir / 'celerybeat-schedule'}",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
    }
    procs = {}
    for name, command in commands.items():
        log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        procs[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return procs


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_ready(port: int, procs: dict[str, subprocess.Popen], timeout: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode} at start")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer within a minute")


def _drain(period, timeout: float) -> float | None:
    """Seconds until no recompute of the period is queued or running; None after `timeout`."""
    from scoring.models import RecomputeRun

    started = time.monotonic()
    busy = [RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING]
    while time.monotonic() - started < timeout:
        if not RecomputeRun.objects.filter(period=period, status__in=busy).exists():
            return time.monotonic() - started
        time.sleep(1)
    return None


def _lost_writes(tally: Tally) -> tuple[int, int, list[str]]:
    """Confirmed saves whose value is not the stored one; the cells checked; some examples."""
    from decimal import Decimal

    from scoring.models import CriterionScore

    cells = set(tally.writes) | set(tally.uncertain)
    stored = {}
    for assessment_id in {a for a, _, _ in cells}:
        for row in CriterionScore.objects.filter(assessment_id=assessment_id).values(
            "criterion_id", "self_points", "appraised_points"
        ):
            for field in ("self_points", "appraised_points"):
                stored[(assessment_id, row["criterion_id"], field)] = row[field]
    lost, examples = 0, []
    for cell in cells:
        allowed = set(tally.uncertain.get(cell, set()))
        if cell in tally.writes:
            allowed.add(tally.writes[cell])
        elif cell in tally.uncertain:
            continue  # no confirmed save: the value before the run is also possible
        if stored.get(cell) not in {Decimal(v) for v in allowed}:
            lost += 1
            examples.append(f"{cell}: saved {sorted(allowed)}, stored {stored.get(cell)}")
    return lost, len(cells), examples[:10]


def _results(period) -> dict:
    from scoring.models import AssessmentResult, ComponentResult

    out = {
        ("a", *row[:1]): row[1:]
        for row in AssessmentResult.objects.filter(period=period).values_list(
            "assessment_id", "total_points", "max_points", "percent", "band", "rank", "group_id"
        )
    }
    for row in ComponentResult.objects.filter(assessment__period=period).values_list(
        "assessment_id", "component_id", "points", "max_points", "percent"
    ):
        out[("c", *row[:2])] = row[2:]
    return out


def _results_equal(period) -> tuple[bool, int]:
    """Stored results against a fresh full recompute (which rewrites only what differs)."""
    from scoring.recompute import recompute_now

    before = _results(period)
    recompute_now(period)
    after = _results(period)
    differing = sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    return differing == 0, differing


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _server_times(workdir: Path) -> dict[str, list[float]]:
    """Seconds gunicorn spent on each request, by kind, from its access log."""
    out: dict[str, list[float]] = {}
    path = workdir / "access.log"
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        kind, _status, micros = [*line.split(), "", "", ""][:3]
        if micros.isdigit():
            out.setdefault(kind, []).append(int(micros) / 1e6)
    return out


def _server_errors(workdir: Path) -> int:
    text = (workdir / "gunicorn.log").read_text(errors="replace")
    return text.count("Internal Server Error") + text.count("WORKER TIMEOUT")


def _run_users(plan: Plan, args, port: int) -> tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()
    deadline = started + args.seconds
    users = [
        User(
            i,
            plan,
            tally,
            port=port,
            deadline=deadline,
            think=args.think,
            max_requests=args.max_requests,
            seed=args.seed,
        )
        for i in range(args.users)
    ]
    for user in users:
        user.start()
    for user in users:
        # A request under way at the deadline may finish (the client's timeout is 120 s).
        user.join(timeout=max(0.0, deadline - time.monotonic()) + 150)
    return tally, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=3.0, help="mean think time, seconds")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--drain-timeout", type=float, default=420.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    period, plan = _setup(args.users)
    # SIGTERM (a CI timeout, kill) ends the run through the finally below, servers included.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="parindex-load-"))
    port = _free_port()
    procs = _start(workdir, port)
    drain_s = None
    try:
        _wait_ready(port, procs)
        print(f"gunicorn on 127.0.0.1:{port}, logs in {workdir}", flush=True)
        tally, elapsed = _run_users(plan, args, port)
        load = os.getloadavg()
        drain_s = _drain(period, args.drain_timeout)
    finally:
        _stop(procs)
    lost, checked, lost_examples = _lost_writes(tally)
    equal, differing = _results_equal(period)
    server_errors = _server_errors(workdir)

    median_ms, p95_ms, server_p95_ms = {}, {}, {}
    served = _server_times(workdir)
    print(
        f"{'kind':16} {'n':>5} {'median ms':>10} {'p95 ms':>10} {'server p50':>10} "
        f"{'server p95':>10}  statuses"
    )
    for kind in sorted(tally.times):
        times = tally.times[kind]
        median_ms[kind] = round(statistics.median(times) * 1000, 1)
        p95_ms[kind] = round(_pct(times, 0.95) * 1000, 1)
        own = served.get(kind) or [float("nan")]
        server_p95_ms[kind] = round(_pct(own, 0.95) * 1000, 1)
        statuses = ", ".join(f"{s}×{n}" for s, n in sorted(tally.statuses[kind].items()))
        print(
            f"{kind:16} {len(times):5} {median_ms[kind]:10.1f} {p95_ms[kind]:10.1f} "
            f"{statistics.median(own) * 1000:10.1f} {server_p95_ms[kind]:10.1f}  {statuses}"
        )
    for line in tally.errors[:20]:
        print(f"error: {line}")
    for line in lost_examples:
        print(f"lost write: {line}")
    rps = tally.requests / elapsed if elapsed else 0.0
    print(
        f"{tally.requests} requests in {elapsed:.0f} s ({rps:.1f}/s); {len(tally.errors)} errors, "
        f"{tally.expected} expected conflicts (409); {server_errors} 5xx/timeouts in the gunicorn "
        f"log; {tally.saves} saves confirmed, {checked} cells checked, {lost} lost; recompute "
        f"queue drained in {'—' if drain_s is None else f'{drain_s:.0f} s'}; stored results "
        f"{'equal' if equal else f'DIFFER ({differing} rows)'} to a fresh recompute"
    )
    print(f"load average at the end of the run: {' '.join(f'{x:.2f}' for x in load)}")
    print(
        json.dumps(
            {
                "users": args.users,
                "seconds": args.seconds,
                "requests": tally.requests,
                "errors": len(tally.errors),
                "p95_ms": p95_ms,
                "lost_writes": lost,
                "rps": round(rps, 2),
                "median_ms": median_ms,
                "results_equal": equal,
                "server_p95_ms": server_p95_ms,
                "saves": tally.saves,
                "conflicts_409": tally.expected,
                "server_errors_logged": server_errors,
                "drain_s": None if drain_s is None else round(drain_s, 1),
                "load_1m": round(load[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
