"""Evidence files: checked for size and real type, stored under generated names, downloaded only
through the view that checks who may see the assessment."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from scoring.models import Evidence
from scoring.services import evidence_add, evidence_delete
from scoring.workflow import State


@pytest.fixture(autouse=True)
def vietnamese():
    """Messages and numbers in Vietnamese whatever an earlier test left active."""
    with translation.override("vi"):
        yield


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, assessment, name, content, code="1.1"):
    criterion = assessment.framework.criteria.get(code=code)
    url = reverse("scoring:evidence_upload", args=[assessment.pk, criterion.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content), "note": "Trang 3"})


@pytest.mark.parametrize(
    ("name", "content", "ctype"),
    [
        ("Kế hoạch CCHC 2024.pdf", PDF, "application/pdf"),
        ("anh.PNG", PNG, "image/png"),
        (
            "bao-cao.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_the_unit_head_attaches_evidence_stored_under_a_generated_name(
    client, unit_head, assessment, media, name, content, ctype
):
    client.force_login(unit_head)
    response = upload(client, assessment, name, content)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.original_name == name and evidence.content_type == ctype
    assert evidence.size == len(content) and len(evidence.sha256) == 64
    stored = Path(evidence.file.path)
    assert stored.is_relative_to(Path(media) / "evidence" / str(assessment.pk))
    assert name not in str(stored) and stored.read_bytes() == content
    assert evidence.uploaded_by == unit_head


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "chỉ nhận PDF"),
        ("gia.pdf", b"<html><script>alert(1)</script></html>", "không phải là tệp PDF"),
        ("anh.jpg", PNG, "không phải là tệp JPG"),
        ("bao-cao.docx", b"PK\x03\x04 not really a zip", "không phải là tệp DOCX"),
        ("rong.pdf", b"", "rỗng"),
    ],
)
def test_wrong_or_disguised_files_are_refused(unit_head, assessment, name, content, message):
    criterion = assessment.framework.criteria.get(code="1.1")
    with pytest.raises(DomainError, match=message):
        evidence_add(
            assessment=assessment,
            criterion=criterion,
            upload=SimpleUploadedFile(name, content),
            user=unit_head,
        )
    assert not Evidence.objects.exists()


def test_a_file_above_the_size_limit_is_refused(client, unit_head, assessment, settings, media):
    settings.EVIDENCE_MAX_BYTES = 1024
    client.force_login(unit_head)
    response = upload(client, assessment, "lon.pdf", PDF + b"0" * 2048)
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert not any(Path(media).rglob("*.pdf"))


def test_a_path_in_the_file_name_cannot_escape_the_media_folder(unit_head, assessment, media):
    criterion = assessment.framework.criteria.get(code="1.1")
    evidence = evidence_add(
        assessment=assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("../../etc/passwd.pdf", PDF),
        user=unit_head,
    )
    assert Path(evidence.file.path).resolve().is_relative_to(Path(media).resolve())
    assert evidence.original_name == "passwd.pdf"


def test_own_unit_head_and_staff_download_as_an_attachment(client, unit_head, staff, assessment):
    client.force_login(unit_head)
    upload(client, assessment, "Kế hoạch.pdf", PDF)
    evidence = Evidence.objects.get()
    url = reverse("scoring:evidence_download", args=[assessment.pk, evidence.pk])
    for user in (unit_head, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "K%E1%BA%BF%20ho%E1%BA%A1ch.pdf" in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"


def test_other_units_heads_and_anonymous_users_cannot_download(
    client, unit_head, other_unit_head, assessment
):
    client.force_login(unit_head)
    upload(client, assessment, "ke-hoach.pdf", PDF)
    evidence = Evidence.objects.get()
    url = reverse("scoring:evidence_download", args=[assessment.pk, evidence.pk])
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
    client.force_login(other_unit_head)
    assert client.get(url).status_code == 404
    assessment.state = State.PUBLISHED
    assessment.save()
    assert client.get(url).status_code == 404  # published figures, not the unit's documents


def test_evidence_cannot_be_fetched_through_another_assessment(
    client, staff, unit_head, assessment, other_unit, period, framework, group
):
    from .factories import make_assessment

    other = make_assessment(other_unit, period, framework, group)
    client.force_login(unit_head)
    upload(client, assessment, "ke-hoach.pdf", PDF)
    evidence = Evidence.objects.get()
    client.force_login(staff)
    url = reverse("scoring:evidence_download", args=[other.pk, evidence.pk])
    assert client.get(url).status_code == 404


def test_removed_evidence_leaves_no_file_behind(
    unit_head, assessment, media, django_capture_on_commit_callbacks
):
    criterion = assessment.framework.criteria.get(code="1.1")
    evidence = evidence_add(
        assessment=assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("a.pdf", PDF),
        user=unit_head,
    )
    path = Path(evidence.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(evidence=evidence, user=unit_head)
    assert not Evidence.objects.exists()
    assert not path.exists()  # removed once the deletion commits


def test_unit_heads_cannot_attach_once_the_assessment_is_published(unit_head, assessment):
    assessment.state = State.PUBLISHED
    assessment.save()
    with pytest.raises(DomainError):
        evidence_add(
            assessment=assessment,
            criterion=assessment.framework.criteria.get(code="1.1"),
            upload=SimpleUploadedFile("a.pdf", PDF),
            user=unit_head,
        )


def test_a_file_whose_upload_rolled_back_is_swept_once_it_is_old(unit_head, assessment, media):
    """The upload's transaction rolls back after the file was written: the file stays on disk
    until the sweep, which spares files still in use and files too recent to judge."""
    import os
    import time
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction

    criterion = assessment.framework.criteria.get(code="1.1")
    kept = evidence_add(
        assessment=assessment,
        criterion=criterion,
        upload=SimpleUploadedFile("giu.pdf", PDF),
        user=unit_head,
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = evidence_add(
            assessment=assessment,
            criterion=criterion,
            upload=SimpleUploadedFile("mat.pdf", PDF),
            user=unit_head,
        )
        raise RuntimeError("the request failed after the upload")
    orphan = Path(lost.file.path)
    assert orphan.exists() and not Evidence.objects.filter(pk=lost.pk).exists()
    hour_ago = time.time() - 2 * 3600
    os.utime(orphan, (hour_ago, hour_ago))
    os.utime(kept.file.path, (hour_ago, hour_ago))
    fresh = orphan.with_name("vua-tai.pdf")
    fresh.write_bytes(PDF)  # an upload of a transaction still running

    out = StringIO()
    call_command("evidence_orphans", stdout=out)
    assert lost.file.name in out.getvalue() and orphan.exists()  # listed, not removed
    call_command("evidence_orphans", "--delete", stdout=StringIO())
    assert not orphan.exists()
    assert Path(kept.file.path).exists() and fresh.exists()
