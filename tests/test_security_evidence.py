"""Evidence files that attack the server: archive bombs and names too long to store."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from scoring.models import Evidence
from scoring.services import evidence_add
from scoring.services.evidence import evidence_check

ODT = "application/vnd.oasis.opendocument.text"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def vietnamese():
    with translation.override("vi"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def odt(padding: int = 0, target=None, compression=zipfile.ZIP_DEFLATED):
    """An .odt whose `mimetype` is the right text followed by `padding` spaces, written in chunks
    so that building a 300 MB member never holds it in memory."""
    out = target if target is not None else io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as z:
        with z.open("mimetype", "w", force_zip64=True) as member:
            member.write(ODT.encode())
            chunk = b" " * (1024 * 1024)
            left = padding
            while left > 0:
                member.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        z.writestr("content.xml", "<office:document-content/>")
    return out


def test_a_real_odt_is_accepted():
    assert evidence_check(SimpleUploadedFile("bien-ban.odt", odt().getvalue())) == "odt"


def test_an_archive_bomb_is_refused_without_unpacking_it(tmp_path):
    bomb = tmp_path / "bomb.odt"
    with open(bomb, "wb") as target:
        odt(300 * 1024 * 1024, target)
    size = bomb.stat().st_size
    assert size < 2 * 1024 * 1024  # 300 MB of spaces packs into a few hundred KB
    upload = TemporaryUploadedFile("bomb.odt", "application/octet-stream", size, None)
    with open(bomb, "rb") as source:
        upload.write(source.read())
    upload.seek(0)
    tracemalloc.start()
    try:
        with pytest.raises(DomainError, match="không phải là tệp ODT"):
            evidence_check(upload)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        upload.close()
    assert peak < 20 * 1024 * 1024, peak


def _unpacked_bytes(monkeypatch) -> list[int]:
    """The sizes of what the check unpacks: work proportional to them is what makes a bomb slow."""
    sizes: list[int] = []
    original = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = original(self, n)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    return sizes


def test_the_bomb_is_refused_before_anything_is_unpacked(monkeypatch):
    """Quickly, by construction: the declared sizes refuse it, no byte of it is inflated."""
    sizes = _unpacked_bytes(monkeypatch)
    bomb = odt(50 * 1024 * 1024).getvalue()
    with pytest.raises(DomainError):
        evidence_check(SimpleUploadedFile("bomb.odt", bomb))
    assert sum(sizes) == 0


def test_the_mimetype_member_is_read_only_in_part():
    """A stored (uncompressed) 8 MB `mimetype` passes the size checks, as a real file of that size
    would; the check still reads only its first bytes, not the whole member."""
    content = odt(8 * 1024 * 1024, compression=zipfile.ZIP_STORED).getvalue()
    upload = SimpleUploadedFile("lon.odt", content)
    tracemalloc.start()
    try:
        assert evidence_check(upload) == "odt"
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, peak


def test_a_large_real_member_is_read_only_for_its_first_bytes(monkeypatch):
    sizes = _unpacked_bytes(monkeypatch)
    content = odt(8 * 1024 * 1024, compression=zipfile.ZIP_STORED).getvalue()
    assert evidence_check(SimpleUploadedFile("lon.odt", content)) == "odt"
    assert 0 < sum(sizes) <= 4096


def test_a_long_name_keeps_its_extension(unit_head, assessment):
    name = "Báo cáo " + "rất dài " * 60 + ".pdf"
    evidence = evidence_add(
        assessment=assessment,
        criterion=assessment.framework.criteria.get(code="1.1"),
        upload=SimpleUploadedFile(name, PDF),
        user=unit_head,
    )
    evidence.refresh_from_db()
    assert len(evidence.original_name) == 255
    assert evidence.original_name.endswith(".pdf")
    assert evidence.original_name.startswith("Báo cáo rất dài")
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "expected_end"),
    [("a" * 300 + ".pdf", "a.pdf"), ("b" * 300 + ".tar.docx", "b.docx"), ("c" * 300, "c")],
)
def test_the_service_cuts_names_keeping_the_extension(name, expected_end):
    """The service does not rely on the upload class having cut the name already."""
    from scoring.services.evidence import _cut_name

    cut = _cut_name(name)
    assert len(cut) == 255 and cut.endswith(expected_end)
    assert _cut_name("ngan.pdf") == "ngan.pdf"


def test_a_long_name_uploaded_through_the_page_keeps_its_extension_to_the_download(
    client, unit_head, assessment
):
    """The whole path: a browser sends a 400-character name; the stored name and the name of the
    downloaded file are cut to 255 characters and still end in .pdf."""
    criterion = assessment.framework.criteria.get(code="1.1")
    file = io.BytesIO(PDF)
    file.name = "Biên bản kiểm tra " + "rất dài " * 50 + ".pdf"
    assert len(file.name) > 400
    client.force_login(unit_head)
    response = client.post(
        reverse("scoring:evidence_upload", args=[assessment.pk, criterion.pk]), {"file": file}
    )
    assert response.status_code in (200, 302)
    evidence = Evidence.objects.get()
    assert len(evidence.original_name) == 255 and evidence.original_name.endswith(".pdf")
    download = client.get(reverse("scoring:evidence_download", args=[assessment.pk, evidence.pk]))
    download.close()  # the streamed file
    assert download["Content-Disposition"].rstrip('"').endswith(".pdf")
