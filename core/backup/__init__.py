"""Backup and restore of the whole app: the PostgreSQL database and the media directory (evidence
files, scoring.models.Evidence) in one tar archive with a manifest.

The archive holds `database.dump` (pg_dump's custom format), `media/<path>` for every file under
MEDIA_ROOT, and `manifest.json` last: database name and server, time, the migrations applied, and
each file's size and SHA-256. The database is dumped before the media directory is read: an upload
writes its file before its row commits, so every Evidence row in the dump finds its file.

The archive is written under a temporary name beside the target and renamed when complete (mode
0600: it holds password hashes), so a crash never leaves a half archive under the final name. A
restore checks every checksum before it touches anything, refuses a database that has tables or a
media file that differs unless forced, and restores the database in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from . import postgres
from .errors import BackupError
from .postgres import postgres_params

__all__ = ["BackupError", "BackupResult", "RestoreResult", "backup_create", "backup_restore"]

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media/"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    media_files: int
    manifest: dict


@dataclass(frozen=True)
class RestoreResult:
    database: str
    media_root: Path
    media_files: int
    # Migrations the archive's database had but this code does not know (older code than data).
    unknown_migrations: list[str] = field(default_factory=list)
    # Migrations of this code the archive's database had not applied: run `migrate`.
    pending_migrations: list[str] = field(default_factory=list)


class _Hashing:
    """A file read through, counting and hashing what tarfile copies."""

    def __init__(self, fh):
        self.fh, self.sha256, self.size = fh, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    with path.open("rb") as fh:
        stat = os.fstat(fh.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _Hashing(fh)
        tar.addfile(info, reader)
    return {"size": reader.size, "sha256": reader.sha256.hexdigest()}


def _media_files(root: Path):
    """(path relative to root, with /, absolute path) of every regular file, sorted."""
    if not root.is_dir():
        return
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _applied_migrations(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _target(output: Path | None, dbname: str, now: datetime) -> Path:
    name = f"parindex-{dbname}-{now:%Y%m%dT%H%M%SZ}.tar"
    if output is None:
        return Path(settings.BACKUP_DIR) / name
    # A directory when it is one, ends with a slash or has no extension ("backups", "/srv/bk").
    if output.is_dir() or str(output).endswith(("/", os.sep)) or not output.suffix:
        return output / name
    return output


def backup_create(*, output: Path | None = None, using: str = "default") -> BackupResult:
    """Dump the database and copy MEDIA_ROOT into one archive at `output`: a file (with an
    extension), or a directory that receives a dated name; settings.BACKUP_DIR when None."""
    connection = connections[using]
    params = postgres_params(connection.settings_dict)
    postgres.tool("pg_dump")  # missing: said before anything is written
    now = datetime.now(UTC).replace(microsecond=0)
    target = _target(output, params["dbname"], now)
    if target.exists():
        raise BackupError(_("Tệp %(path)s đã có; hãy chọn tên khác.") % {"path": target})
    migrations = _applied_migrations(using)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    media_root = Path(settings.MEDIA_ROOT)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            _("Không ghi được vào %(path)s: %(error)s") % {"path": target.parent, "error": exc}
        ) from None
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        dump_path = Path(work) / DUMP
        pg_dump_version = postgres.dump(params, dump_path)
        fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    database = _add_file(tar, dump_path, DUMP)
                    files = [
                        {"path": rel, **_add_file(tar, path, MEDIA + rel)}
                        for rel, path in _media_files(media_root)
                    ]
                    manifest = {
                        "format": FORMAT,
                        "app": "parindex",
                        "created_at": now.isoformat(),
                        "database": {
                            "name": params["dbname"],
                            "server_version": server_version,
                            "pg_dump": pg_dump_version,
                            "file": DUMP,
                            **database,
                        },
                        "migrations": migrations,
                        "media": {
                            "root": str(media_root),
                            "count": len(files),
                            "bytes": sum(f["size"] for f in files),
                            "files": files,
                        },
                    }
                    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                    info = tarfile.TarInfo(MANIFEST)
                    info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                    tar.addfile(info, _Bytes(data))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, target)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    _fsync_directory(target.parent)
    return BackupResult(
        path=target, size=target.stat().st_size, media_files=len(files), manifest=manifest
    )


class _Bytes:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.at + n
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Restore ------------------------------------------------------------------------------------------


def _damaged(archive: Path, why: str) -> BackupError:
    return BackupError(
        _("%(path)s không phải bản sao lưu dùng được: %(why)s") % {"path": archive, "why": why}
    )


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> dict:
    try:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
    except (KeyError, AttributeError, ValueError):
        raise _damaged(archive, _("không có manifest.json đọc được.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(archive, _("định dạng bản sao lưu không đúng."))
    for entry in manifest["media"]["files"]:
        rel = PurePosixPath(entry["path"])
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise _damaged(archive, _("tên tệp không hợp lệ: %(name)s") % {"name": entry["path"]})
    return manifest


def _sha256_of(fh) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _member_checked(tar: tarfile.TarFile, archive: Path, name: str, expected: dict) -> None:
    try:
        fh = tar.extractfile(name)
    except KeyError:
        fh = None
    if fh is None:
        raise _damaged(archive, _("thiếu tệp %(name)s.") % {"name": name})
    if _sha256_of(fh) != (expected["size"], expected["sha256"]):
        raise _damaged(archive, _("tệp %(name)s bị hỏng (mã băm không khớp).") % {"name": name})


def _copy_out(tar: tarfile.TarFile, name: str, target: Path) -> None:
    """The member into `target` under a temporary name, renamed when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, tar.extractfile(name) as src:
            while chunk := src.read(CHUNK):
                out.write(chunk)
        os.replace(part, target)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise


def _media_conflicts(manifest: dict, media_root: Path) -> list[str]:
    """Files of the archive that exist in media_root with other content."""
    conflicts = []
    for entry in manifest["media"]["files"]:
        path = media_root / entry["path"]
        if path.exists():
            with path.open("rb") as fh:
                if _sha256_of(fh) != (entry["size"], entry["sha256"]):
                    conflicts.append(entry["path"])
    return conflicts


def _migration_differences(manifest: dict) -> tuple[list[str], list[str]]:
    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(f"{a}.{n}" for a, n in archived - on_disk)
    pending = sorted(f"{a}.{n}" for a, n in on_disk - archived)
    return unknown, pending


def backup_restore(
    *,
    archive: Path,
    database_url: str | None = None,
    media_root: Path | None = None,
    force: bool = False,
    using: str = "default",
) -> RestoreResult:
    """Restore `archive` into the database of `database_url` (default: the app's own) and into
    `media_root` (default: MEDIA_ROOT). The database must have no table and no media file may
    differ from the archive's, unless `force`: then the public schema is emptied first and the
    differing files are overwritten. Nothing is touched when a checksum does not match."""
    import environ

    if database_url:
        try:
            settings_dict = environ.Env.db_url_config(database_url)
        except Exception:
            raise BackupError(
                _("Địa chỉ cơ sở dữ liệu không hợp lệ: %(url)s") % {"url": database_url}
            ) from None
    else:
        settings_dict = connections[using].settings_dict
    params = postgres_params(settings_dict)
    postgres.tool("pg_restore")
    media_root = Path(media_root or settings.MEDIA_ROOT)
    try:
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 (the `with tar` below closes it)
    except (OSError, tarfile.TarError):
        raise _damaged(archive, _("không mở được tệp tar.")) from None
    with tar:
        manifest = _read_manifest(tar, archive)
        _member_checked(tar, archive, DUMP, manifest["database"])
        for entry in manifest["media"]["files"]:
            _member_checked(tar, archive, MEDIA + entry["path"], entry)
        tables = postgres.table_count(params)
        if tables and not force:
            raise BackupError(
                _(
                    "Cơ sở dữ liệu %(name)s không trống (%(count)s bảng). Hãy phục hồi vào một cơ "
                    "sở dữ liệu mới, hoặc thêm --force để xóa hết dữ liệu hiện có và ghi đè."
                )
                % {"name": params["dbname"], "count": tables}
            )
        conflicts = _media_conflicts(manifest, media_root)
        if conflicts and not force:
            raise BackupError(
                _(
                    "%(count)s tệp trong %(root)s khác với bản sao lưu (ví dụ %(example)s); thêm "
                    "--force để ghi đè."
                )
                % {"count": len(conflicts), "root": media_root, "example": conflicts[0]}
            )
        with tempfile.TemporaryDirectory(prefix="parindex-restore-") as work:
            dump_path = Path(work) / DUMP
            _copy_out(tar, DUMP, dump_path)
            if tables:
                postgres.schema_empty(params)
            postgres.restore(params, dump_path)
        for entry in manifest["media"]["files"]:
            _copy_out(tar, MEDIA + entry["path"], media_root / entry["path"])
    unknown, pending = _migration_differences(manifest)
    return RestoreResult(
        database=params["dbname"],
        media_root=media_root,
        media_files=len(manifest["media"]["files"]),
        unknown_migrations=unknown,
        pending_migrations=pending,
    )
