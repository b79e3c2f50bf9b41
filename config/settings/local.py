"""The demo and day-to-day development: SQLite unless DATABASE_URL says otherwise, eager Celery."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
