"""`manage.py backup` and `manage.py restore` (core.backup): a whole round — units, scores,
deductions with their explanations, history, results, an evidence file — backed up, restored into
a fresh PostgreSQL database and another media directory, and found there row for row, byte for
byte. pg_dump runs in its own process, so the data must be committed: transactional tests."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg import sql

from scoring.models import (
    Assessment,
    AssessmentResult,
    ComponentResult,
    CriterionScore,
    Deduction,
    Evidence,
    Explanation,
)
from scoring.recompute import recompute_now
from scoring.services import deduction_add, evidence_add, explanation_decide, explanation_submit
from scoring.workflow import State

from .factories import make_assessment
from .sheet_helpers import score_write

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
COMPARED = [Assessment, CriterionScore, Deduction, Explanation, Evidence]
COMPARED += [model.history.model for model in COMPARED]
COMPARED += [AssessmentResult, ComponentResult]


def _params(name: str) -> dict:
    db = connection.settings_dict
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
        "dbname": name,
    }
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture
def fresh_database():
    """An empty database of its own, dropped at the end: (its URL, a connection to it)."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**_params("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    p = _params(name)
    auth = p["user"] + (f":{p['password']}" if "password" in p else "")
    url = f"postgres://{auth}@{p['host']}:{p['port']}/{name}"
    restored = psycopg.connect(**p, autocommit=True)
    try:
        yield url, restored
    finally:
        restored.close()
        with psycopg.connect(**_params("postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def round_played(media, period, framework, group, unit, other_unit, unit_head, staff):
    """Two units' assessments appraised, one deduction explained and withdrawn, one kept, an
    evidence file, results recomputed."""
    first = make_assessment(unit, period, framework, group)
    second = make_assessment(other_unit, period, framework, group)
    c11, c12, c21 = (framework.criteria.get(code=c) for c in ("1.1", "1.2", "2.1"))
    evidence = evidence_add(
        assessment=first,
        criterion=c11,
        upload=SimpleUploadedFile("Kế hoạch CCHC 2024.pdf", PDF),
        user=unit_head,
        note="Trang 3",
    )
    Assessment.objects.filter(pk__in=[first.pk, second.pk]).update(state=State.SUBMITTED)
    for a in (first, second):
        a.refresh_from_db()
        score_write(assessment=a, criterion=c11, user=staff, appraised_points=D("3.75"))
        score_write(assessment=a, criterion=c12, user=staff, appraised_points=D(2))
        score_write(assessment=a, criterion=c21, user=staff, measured_value=D("96.5"))
    late = deduction_add(assessment=first, criterion=c11, points=D(1), user=staff, note="Trễ hạn")
    deduction_add(assessment=second, criterion=c12, points=D("0.5"), user=staff, note="Thiếu")
    explanation = explanation_submit(deduction=late, user=unit_head, text="Đã nộp đúng hạn")
    explanation_decide(explanation=explanation, user=staff, accept=True, withdraw=True)
    recompute_now(period)
    return evidence


def _rows(cursor, table: str) -> list[tuple]:
    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table)))
    return [tuple(row) for row in cursor.fetchall()]


def _assert_same_data(restored) -> None:
    for model in COMPARED:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            original = _rows(cursor, table)
        assert original, f"{table} is empty: the round does not exercise it"
        assert _rows(restored.cursor(), table) == original, table


def test_a_round_backed_up_is_restored_whole_into_a_fresh_database(
    round_played, fresh_database, media, tmp_path
):
    url, restored = fresh_database
    evidence = round_played
    results = dict(AssessmentResult.objects.values_list("assessment__unit__code", "total_points"))
    assert results == {"so-tu-phap": D("7.75"), "so-y-te": D("7.25")}

    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), stdout=out)
    archives = list((tmp_path / "backups").iterdir())
    assert len(archives) == 1, "only the finished archive, no temporary file left"
    archive = archives[0]
    assert archive.name.endswith(".tar") and str(archive) in out.getvalue()
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds password hashes: owner only"

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert tar.getnames()[-1] == "manifest.json"
    assert manifest["database"]["name"] == connection.settings_dict["NAME"]
    assert manifest["created_at"].endswith("+00:00")
    assert "0001_initial" in manifest["migrations"]["scoring"]
    assert manifest["media"]["files"] == [
        {"path": evidence.file.name, "size": len(PDF), "sha256": evidence.sha256}
    ]

    restored_media = tmp_path / "restored-media"
    out = io.StringIO()
    call_command(
        "restore", str(archive), "--database-url", url, "--media-root", restored_media, stdout=out
    )
    assert "1" in out.getvalue()
    _assert_same_data(restored)
    assert (restored_media / evidence.file.name).read_bytes() == PDF
    with restored.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] == sum(len(v) for v in manifest["migrations"].values())

    # The restored database now has tables: a second restore is refused, unless forced.
    with pytest.raises(CommandError, match="không trống"):
        call_command("restore", str(archive), "--database-url", url, "--media-root", restored_media)
    with restored.cursor() as cursor:
        cursor.execute("INSERT INTO core_heartbeat (name, at) VALUES ('sau-phuc-hoi', now())")
    call_command(
        "restore",
        str(archive),
        "--database-url",
        url,
        "--media-root",
        restored_media,
        "--force",
        stdout=io.StringIO(),
    )
    _assert_same_data(restored)
    with restored.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_heartbeat WHERE name = 'sau-phuc-hoi'")
        assert cursor.fetchone()[0] == 0


def test_a_damaged_archive_restores_nothing(round_played, fresh_database, media, tmp_path):
    url, restored = fresh_database
    evidence = round_played
    call_command("backup", "--output", str(tmp_path / "good.tar"), stdout=io.StringIO())
    # The evidence file's bytes changed inside the archive: the same length, another content.
    with tarfile.open(tmp_path / "good.tar") as tar, tarfile.open(tmp_path / "bad.tar", "w") as bad:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name == f"media/{evidence.file.name}":
                data = data.replace(b"Catalog", b"Katalog")
            bad.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match="mã băm không khớp"):
        call_command(
            "restore", str(tmp_path / "bad.tar"), "--database-url", url, "--media-root", tmp_path
        )
    with restored.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert cursor.fetchone()[0] == 0
    (tmp_path / "not-an-archive.tar").write_text("xin chào")
    with pytest.raises(CommandError, match="không phải bản sao lưu"):
        call_command("restore", str(tmp_path / "not-an-archive.tar"), "--database-url", url)


def test_an_existing_file_is_never_overwritten(media, tmp_path):
    target = tmp_path / "co-san.tar"
    target.write_bytes(b"old")
    with pytest.raises(CommandError, match="đã có"):
        call_command("backup", "--output", str(target))
    assert target.read_bytes() == b"old"


def test_the_app_database_is_not_empty_so_a_restore_into_it_is_refused(media, tmp_path, unit):
    call_command("backup", "--output", str(tmp_path / "a.tar"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="không trống"):
        call_command("restore", str(tmp_path / "a.tar"))


def test_without_pg_dump_the_backup_says_which_package_to_install(media, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no pg_dump on the PATH
    with pytest.raises(CommandError, match=r"pg_dump.*postgresql-client"):
        call_command("backup", "--output", str(tmp_path / "out.tar"))
    assert list(tmp_path.iterdir()) == []


def test_restore_refuses_a_database_that_is_not_postgresql(tmp_path):
    with pytest.raises(CommandError, match=r"chỉ làm được với PostgreSQL.*sqlite3"):
        call_command(
            "restore", str(tmp_path / "a.tar"), "--database-url", f"sqlite:///{tmp_path}/x.db"
        )


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    """The demo runs on SQLite: `manage.py backup` there is a clear error, not a traceback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "backup", "--output", str(tmp_path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "CommandError: Sao lưu và phục hồi chỉ làm được với PostgreSQL" in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in Path(tmp_path).iterdir()] == []
