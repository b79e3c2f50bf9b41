"""Celery configuration changed for a test and put back, for the tests that send real tasks.

The app reads Django settings under the CELERY_ namespace, so overrides use those names. Put back
is the value in force before (`conf.task_default_queue` is "celery" when the settings name none):
`conf.get("CELERY_TASK_DEFAULT_QUEUE")` would give None, and a None default queue breaks every
later send ('NoneType' object has no attribute 'pop' in Celery's router). Celery also keeps its
broker pools and, from a process's first send, its routing: both are dropped on the way in and out,
so sends follow the configuration in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from config.celery import app


def pools_reset() -> None:
    app._pool = None
    app.__dict__.pop("amqp", None)


def _in_force(key: str):
    return getattr(app.conf, key.removeprefix("CELERY_").lower())


@contextmanager
def celery_overridden(**overrides) -> Iterator[None]:
    saved = {key: _in_force(key) for key in overrides}
    app.conf.update(overrides)
    pools_reset()
    try:
        yield
    finally:
        app.conf.update(saved)
        pools_reset()
