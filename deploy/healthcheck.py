"""The containers' healthchecks (docker-compose.yml), in plain Python: no Django start-up each time.

    python deploy/healthcheck.py web     GET /health/ of the local gunicorn answers 200
    python deploy/healthcheck.py beat    beat wrote its schedule file in the last 10 minutes

Exit status 0 when healthy, 1 when not (with the reason on stderr, which `docker inspect` shows).
The worker's check is Celery's own `inspect ping` (see docker-compose.yml).
"""

from __future__ import annotations

import glob
import os
import sys
import time
import urllib.request

HEALTH_URL = "http://127.0.0.1:8000/health/"
# beat's --schedule in docker-compose.yml; shelve may add a suffix (.db, .dat) after it.
BEAT_SCHEDULE = "/tmp/celerybeat-schedule"
# beat sends a task every minute (the worker heartbeat) and saves its schedule at most 3 minutes
# after a send: a file older than this means beat is stuck or dead.
BEAT_STALE_SECONDS = 10 * 60


def host_for(allowed_hosts: str) -> str:
    """A Host header that ALLOWED_HOSTS accepts: the first named host (".example.org" allows
    example.org itself); "localhost" when it allows any ("*") or names none. Without it, a
    production ALLOWED_HOSTS would answer the check's "localhost" with 400."""
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def web_healthy(url: str = HEALTH_URL, allowed_hosts: str | None = None) -> bool:
    if allowed_hosts is None:
        allowed_hosts = os.environ.get("ALLOWED_HOSTS", "")
    request = urllib.request.Request(url, headers={"Host": host_for(allowed_hosts)})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError as exc:  # URLError and HTTPError (503: the database does not answer) included
        print(f"{url}: {exc}", file=sys.stderr)
        return False


def beat_healthy(schedule: str = BEAT_SCHEDULE, now: float | None = None) -> bool:
    files = glob.glob(glob.escape(schedule) + "*")
    if not files:
        print(f"{schedule}: no schedule file", file=sys.stderr)
        return False
    age = (time.time() if now is None else now) - max(os.path.getmtime(f) for f in files)
    if age > BEAT_STALE_SECONDS:
        print(f"{schedule}: not written for {int(age)} s", file=sys.stderr)
        return False
    return True


def main(argv: list[str]) -> int:
    checks = {"web": web_healthy, "beat": beat_healthy}
    if len(argv) != 2 or argv[1] not in checks:
        print(f"usage: {argv[0]} {{{'|'.join(checks)}}}", file=sys.stderr)
        return 2
    return 0 if checks[argv[1]]() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
