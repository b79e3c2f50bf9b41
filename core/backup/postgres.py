"""PostgreSQL through its own tools: pg_dump writes the dump, pg_restore reads it back.

Connection parameters go to the tools as PG* environment variables, never on the command line, so
the password does not show in the process list.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from django.utils.translation import gettext as _

from .errors import BackupError

# Tables in these schemas are PostgreSQL's own; any other table makes a database "not empty".
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


def postgres_params(settings_dict: dict) -> dict:
    """The connection parameters of a Django DATABASES entry; only PostgreSQL is backed up."""
    engine = settings_dict.get("ENGINE", "")
    if "postgresql" not in engine:
        raise BackupError(
            _("Sao lưu và phục hồi chỉ làm được với PostgreSQL; cơ sở dữ liệu này dùng %(engine)s.")
            % {"engine": engine.rsplit(".", 1)[-1] or "?"}
        )
    options = settings_dict.get("OPTIONS") or {}
    return {
        "dbname": settings_dict.get("NAME") or "",
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
        "sslmode": options.get("sslmode", ""),
    }


def tool(name: str) -> str:
    """The path of pg_dump or pg_restore, or a clear error naming the Debian package."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "Không tìm thấy lệnh %(tool)s. Hãy cài gói postgresql-client (cùng phiên bản với "
                "máy chủ PostgreSQL; xem deploy/debian-packages.txt)."
            )
            % {"tool": name}
        )
    return path


def _environment(params: dict) -> dict:
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
        "sslmode": "PGSSLMODE",
    }
    # What Django's own connection leaves to libpq's defaults (PGPASSFILE, PGSSLROOTCERT…) stays.
    return {**os.environ, **{names[k]: v for k, v in params.items() if v}}


def _run(command: list[str], params: dict) -> str:
    done = subprocess.run(
        command, env=_environment(params), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s dừng với lỗi: %(error)s")
            % {"tool": Path(command[0]).name, "error": done.stderr.strip()[-2000:]}
        )
    return done.stdout


def dump(params: dict, target: Path) -> str:
    """The whole database into `target` (pg_dump's custom format, compressed); returns the
    version line of the pg_dump that wrote it."""
    pg_dump = tool("pg_dump")
    version = _run([pg_dump, "--version"], params).strip()
    _run([pg_dump, "--format=custom", "--file", str(target)], params)
    return version


def restore(params: dict, source: Path) -> None:
    """The dump into the (empty) database, in one transaction: all of it or nothing. Owners and
    grants are left out, so the database may belong to another role than the one dumped."""
    pg_restore = tool("pg_restore")
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            params["dbname"],
            str(source),
        ],
        params,
    )


def _connect(params: dict):
    import psycopg

    kwargs = {k: v for k, v in params.items() if v}
    try:
        return psycopg.connect(**kwargs, connect_timeout=10, autocommit=True)
    except psycopg.OperationalError as exc:
        raise BackupError(
            _("Không kết nối được cơ sở dữ liệu %(name)s: %(error)s")
            % {"name": params["dbname"], "error": str(exc).strip()}
        ) from None


def table_count(params: dict) -> int:
    """Tables, views and sequences outside PostgreSQL's own schemas."""
    with _connect(params) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
            "AND n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg\\_%%'",
            [list(SYSTEM_SCHEMAS)],
        ).fetchone()
    return row[0]


def schema_empty(params: dict) -> None:
    """Drop everything in the public schema (restore --force): a newer database's extra tables
    would otherwise stay beside the restored ones and confuse the next migrate."""
    with _connect(params) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
