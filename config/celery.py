"""Celery application. Configuration lives in Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("parindex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(weak=False)
def database_connections_checked(task=None, **kwargs) -> None:
    """A task starts as a request does with CONN_HEALTH_CHECKS: a kept database connection is
    checked before reuse, so after PostgreSQL restarted the worker's next task opens a new one
    instead of failing on the dead one. (Celery's Django fixup only closes connections that already
    failed or are older than CONN_MAX_AGE.) Eager tasks run inside a request, already checked."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close_if_health_check_failed()
