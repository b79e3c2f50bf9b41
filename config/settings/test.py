"""Tests run on the real PostgreSQL at 127.0.0.1:5432 (or DATABASE_URL).

When PostgreSQL does not answer: with CI=true that is an error; on a developer's machine the suite
falls back to SQLite and says so loudly (the PostgreSQL-only tests then fail, by design).
"""

import os
import sys

from .base import *  # noqa: F403
from .base import BASE_DIR, env

_pg_url = env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/parindex")
DATABASES = {"default": env.db_url_config(_pg_url)}


def _postgres_answers(config: dict) -> bool:
    if "postgresql" not in config["ENGINE"]:
        return True
    import psycopg

    try:
        psycopg.connect(
            host=config["HOST"] or "127.0.0.1",
            port=config["PORT"] or 5432,
            user=config["USER"] or "postgres",
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        if env.bool("CI", default=False):
            raise RuntimeError(
                f"CI=true and PostgreSQL does not answer at {config['HOST']}:{config['PORT']}: {exc}"
            ) from exc
        return False
    return True


if not _postgres_answers(DATABASES["default"]):
    print(
        "WARNING: PostgreSQL does not answer; tests fall back to SQLite (CI would fail here).",
        file=sys.stderr,
    )
    DATABASES = {"default": env.db_url_config(f"sqlite:///{BASE_DIR / 'test.sqlite3'}")}

DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_parindex")}
SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks eagerly; the job tests start a real worker against Redis themselves.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = BASE_DIR / ".test-media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = True
# No collectstatic in unit tests: whitenoise serves from the finders (the browser tests collect).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
