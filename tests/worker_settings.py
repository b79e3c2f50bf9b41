"""Settings of the Celery worker process that the fault tests start and kill (tests/fault_worker.py):
the test settings, on the test database the test names, with a real broker and its own queue, and
the stale-run sweep beaten every two seconds instead of every minute."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import CELERY_BEAT_SCHEDULE, DATABASES

DATABASES["default"]["NAME"] = os.environ["FAULT_WORKER_DATABASE"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["FAULT_WORKER_QUEUE"]
CELERY_BEAT_SCHEDULE = {
    "recompute-stale-queued": {**CELERY_BEAT_SCHEDULE["recompute-stale-queued"], "schedule": 2.0}
}
