"""Private services for the fault tests: a Redis and a PostgreSQL cluster of the test's own, on free
ports, that a test may stop and restart at will (the machine's shared ones on 6379 and 5432 are
never touched), and the app's processes (a Celery worker, gunicorn) started against them.

Every process is a child of the test process and is waited for when the fixture ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready after {timeout}s")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def end(process: subprocess.Popen | None, *, timeout: float = 20) -> None:
    """Stop a child process (TERM, then KILL) and reap it."""
    if process is None or process.poll() is not None:
        if process is not None:
            process.wait()
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class PrivateRedis:
    """redis-server on a free port, no persistence: stopped, it forgets everything (the worst case
    for queued messages)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), timeout=15, what="redis")

    def stop(self) -> None:
        end(self.process)
        self.process = None


class PrivatePostgres:
    """A PostgreSQL 15 cluster in a temporary directory (initdb as the postgres user, which initdb
    requires), trust authentication, on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        shutil.chown(self.dir, user="postgres")
        self.data = self.dir / "data"
        self._as_postgres(
            [
                *(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres"),
                *("--no-sync", "-E", "UTF8", "--locale", "C.UTF-8"),
            ]
        )

    def url(self, dbname: str = "parindex") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _as_postgres(self, argv: list, **kwargs) -> None:
        command = ["runuser", "-u", "postgres", "--", *map(str, argv)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **kwargs)

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            [
                *(PG_BIN / "pg_ctl", action, "-D", self.data, "-w", "-t", "60", "-o", options),
                *(*extra, "-l", self.dir / "server.log"),
            ]
        )

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is ended at once, then the server comes back."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._as_postgres([PG_BIN / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w"])

    def createdb(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def app_env(**overrides: str) -> dict[str, str]:
    """The environment of an app process in production settings (no TLS: plain HTTP on loopback)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="fault-tests-secret-key-not-for-anything-else",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def celery_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A real worker process (solo pool, as one of production's) with beat off: tests send the
    beat jobs themselves."""
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"),
                *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def gunicorn(env: dict[str, str], port: int, log: Path, *, workers: int = 2) -> subprocess.Popen:
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers)),
                *("--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "5"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for(lambda: port_open(port), timeout=60, what="gunicorn")
    return process


# Production settings but static files from the finders: no collectstatic (a minute and more) to
# build the manifest that production's storage reads.
APP_SETTINGS = """from config.settings.production import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
"""

# A small round: three submitted sheets in one group, a staff member and a leader logged in (their
# session keys printed with the ids, as one JSON line).
SEED = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from scoring.workflow import State
from tests.factories import (
    PeriodFactory, RankingGroupFactory, UnitFactory, make_assessment, make_user, small_framework,
)

period = PeriodFactory(year=2024)
framework = small_framework()
group = RankingGroupFactory(code="khoi-so")
sheets = [
    make_assessment(UnitFactory(code=f"u{i}"), period, framework, group, state=State.SUBMITTED)
    for i in range(3)
]

def session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

print(json.dumps({
    "year": period.year,
    "group": group.code,
    "sheet": sheets[0].pk,
    "unit": sheets[0].unit_id,
    "criterion": framework.criteria.get(code="1.1").pk,
    "staff": session(make_user("interior_staff", username="canbo")),
    "leader": session(make_user("leadership", username="lanhdao")),
}))
"""


def app_settings_dir(directory: Path) -> Path:
    (directory / "fault_settings.py").write_text(APP_SETTINGS)
    return directory
