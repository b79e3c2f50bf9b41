"""A real Celery worker in a process of its own, which a fault test can kill with SIGKILL and start
again: `celery worker --pool=solo` with an embedded beat (the stale-run sweep every two seconds, as
tests/worker_settings.py says), on the test database and this process's own queue on the broker
(REDIS_URL). The test process sends to that queue instead of running tasks eagerly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from config.celery import app

from .celery_conf import celery_overridden

ROOT = Path(__file__).resolve().parent.parent


def pg_connect() -> psycopg.Connection:
    """A connection of our own to the test database, outside Django (readers, lock holders)."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
        autocommit=True,
    )


class WorkerProcess:
    def __init__(self, queue: str, directory: Path) -> None:
        self.queue = queue
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.process is None, "the worker is already running"
        self.starts += 1
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "FAULT_WORKER_DATABASE": connection.settings_dict["NAME"],
            "FAULT_WORKER_QUEUE": self.queue,
        }
        log = open(self.directory / f"worker-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}-{self.starts}@%h",
                "--beat",
                "--schedule",
                str(self.directory / f"beat-{self.starts}"),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                os.environ.get("RC_LOG", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: the embedded beat is a child, killed with it.
            start_new_session=True,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: no cleanup, no ack."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def log(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.directory.glob("worker-*"))
        )


def purge(queue: str) -> None:
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    except Exception:
        pass


@pytest.fixture(name="fault_worker")
def fault_worker_fixture(transactional_db, tmp_path):
    """A worker process (not started yet: call .start()) and this process sending to its queue."""
    queue = f"test-faults-{os.getpid()}"
    overrides = {"CELERY_TASK_ALWAYS_EAGER": False, "CELERY_TASK_DEFAULT_QUEUE": queue}
    with celery_overridden(**overrides):
        purge(queue)
        worker = WorkerProcess(queue, tmp_path)
        try:
            yield worker
        finally:
            worker.stop()
            purge(queue)


def wait_for(
    predicate,
    *,
    timeout: float,
    what: str,
    worker: WorkerProcess | None = None,
    interval: float = 0.05,
):
    """Poll `predicate` until it returns something true; fail with `what` (and the worker's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not after {timeout}s\n{worker.log() if worker else ''}")
