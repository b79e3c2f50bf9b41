"""Evidence files (tài liệu kiểm chứng): checked for size and real type, stored, removed."""

from __future__ import annotations

import hashlib
import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from indicators.computation import CriterionRule, criterion_points
from indicators.models import Criterion

from ..models import Assessment, CriterionScore, Evidence
from ..permissions import may_answer_deductions, may_appraise, may_self_assess
from ..recompute import recompute_on_commit

# Accepted kinds: extension → (content type, a check of the first bytes / the archive inside).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EVIDENCE_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
_OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# Archive bombs: a real office file unpacks to a few times its size; refuse anything that claims to
# unpack to more than this in total, or whose members are compressed more than this ratio.
_ARCHIVE_MAX_UNPACKED = 200 * 1024 * 1024
_ARCHIVE_MAX_RATIO = 200
_ARCHIVE_MAX_MEMBERS = 10_000
_MIMETYPE_READ = 128


def _archive_is_sane(archive: zipfile.ZipFile) -> bool:
    """Whether the declared sizes of the archive's members are those of a real document."""
    members = archive.infolist()
    if len(members) > _ARCHIVE_MAX_MEMBERS:
        return False
    total = 0
    for info in members:
        total += info.file_size
        if total > _ARCHIVE_MAX_UNPACKED:
            return False
        if info.file_size > 1024 * 1024 and info.file_size > _ARCHIVE_MAX_RATIO * max(
            info.compress_size, 1
        ):
            return False
    return True


def _read_mimetype(archive: zipfile.ZipFile) -> str:
    """The first bytes of the `mimetype` member (never the whole of it: it may be a bomb)."""
    with archive.open("mimetype") as member:
        return member.read(_MIMETYPE_READ).decode("ascii", "replace").strip()


def _content_matches(ext: str, upload: UploadedFile) -> bool:
    """Whether the bytes are really the kind the extension claims (not just the name)."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext in ("doc", "xls", "ppt"):
        return head.startswith(_OLE2)
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(upload) as archive:
            if not _archive_is_sane(archive):
                return False
            names = archive.namelist()
            if ext in _OOXML_PART:
                return "[Content_Types].xml" in names and any(
                    n.startswith(_OOXML_PART[ext]) for n in names
                )
            mimetype = _read_mimetype(archive)
            return mimetype == EVIDENCE_TYPES[ext]
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
        return False
    finally:
        upload.seek(0)


def evidence_check(upload: UploadedFile) -> str:
    """The checked extension of an upload, or a DomainError saying what is wrong with it."""
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("Tệp “%(name)s” lớn hơn giới hạn %(limit)s MB.")
            % {"name": name, "limit": limit // (1024 * 1024)}
        )
    if upload.size == 0:
        raise DomainError(_("Tệp “%(name)s” rỗng.") % {"name": name})
    if ext not in EVIDENCE_TYPES:
        raise DomainError(
            _("Không nhận tệp “%(name)s”: chỉ nhận PDF, ảnh (PNG, JPEG) và tài liệu văn phòng.")
            % {"name": name}
        )
    if not _content_matches(ext, upload):
        raise DomainError(
            _("Nội dung tệp “%(name)s” không phải là tệp %(ext)s hợp lệ.")
            % {"name": name, "ext": ext.upper()}
        )
    return ext


def _cut_name(name: str, limit: int = 255) -> str:
    """The name cut to `limit` characters, keeping its extension (the part after the last dot)."""
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) + 2 > limit:
        return name[:limit]
    return stem[: limit - len(ext) - 1] + "." + ext


def may_attach(user, assessment: Assessment) -> bool:
    return (
        may_self_assess(user, assessment)
        or may_appraise(user, assessment)
        or (may_answer_deductions(user, assessment))
    )


def evidence_add(
    *, assessment: Assessment, criterion: Criterion, upload: UploadedFile, user, note: str = ""
) -> Evidence:
    """Attach a file to a criterion's score: checked for size and real type, stored under a
    generated name."""
    if not may_attach(user, assessment):
        raise DomainError(
            _("Bạn không được thêm tài liệu kiểm chứng cho bản đánh giá này lúc này.")
        )
    if criterion.framework_id != assessment.framework_id or not criterion.is_leaf:
        raise DomainError(
            _("Tiêu chí %(code)s không thuộc bản đánh giá này.") % {"code": criterion.code}
        )
    ext = evidence_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = _cut_name((upload.name or "").replace("\\", "/").rsplit("/", 1)[-1])
    with transaction.atomic():
        score, _created = CriterionScore.objects.get_or_create(
            assessment=assessment,
            criterion=criterion,
            defaults={
                "component_id": criterion.component_id,
                "max_points": criterion.max_points,
                "points": criterion_points(CriterionRule.of(criterion), entered=None),
            },
        )
        evidence = Evidence(
            score=score,
            original_name=original,
            content_type=EVIDENCE_TYPES[ext],
            size=upload.size,
            sha256=digest.hexdigest(),
            note=(note or "").strip()[:500],
            uploaded_by=user,
        )
        evidence._checked_extension = ext
        evidence.file.save("upload", upload, save=False)
        stored = evidence.file.name
        try:
            evidence.save()
        except Exception:
            evidence.file.storage.delete(stored)
            raise
        if _created:
            recompute_on_commit(assessment.period_id, [assessment.unit_id])
    return evidence


def evidence_delete(*, evidence: Evidence, user) -> None:
    assessment = evidence.score.assessment
    own_upload = evidence.uploaded_by_id == user.pk
    if not (may_attach(user, assessment) and (own_upload or can(user, Action.APPRAISE))):
        raise DomainError(_("Bạn không được xóa tài liệu này."))
    storage, name = evidence.file.storage, evidence.file.name
    evidence._history_user = user  # who removed it, also outside a request
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))
