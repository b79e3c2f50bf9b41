"""Writes of the scoring sheet: the whole sheet in one save, deductions, explanations, evidence files
and reopen requests. Every function validates, runs in one transaction and queues at most one
recompute (scoring.services._queue_recompute, on commit)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from core.numbers import fmt_number
from core.permissions import Action, can
from indicators.computation import ZERO, CriterionRule, criterion_points
from indicators.models import Criterion

from .models import (
    Assessment,
    CriterionScore,
    Deduction,
    DeductionReason,
    Evidence,
    Explanation,
    ReopenRequest,
    StateChange,
)
from .permissions import is_own_unit, may_answer_deductions, may_appraise, may_self_assess
from .services import _queue_recompute, score_refresh_points
from .workflow import FROZEN, State

SELF_FIELDS = ("self_points", "self_explanation")
APPRAISAL_FIELDS = (
    "appraised_points",
    "final_points",
    "measured_value",
    "not_applicable",
    "comment",
)
POINT_FIELDS = ("self_points", "appraised_points", "final_points")
SCORE_FIELDS = SELF_FIELDS + APPRAISAL_FIELDS


class StaleSheet(DomainError):
    """Someone else saved the sheet after this user loaded it; nothing was written."""

    def __init__(self, message, *, current_version: int, changed_by=None, changed_at=None):
        super().__init__(message)
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at


@dataclass
class SheetSaveResult:
    changed_scores: int
    version: int
    changed_criteria: list[str] = field(default_factory=list)


def appraisal_round(assessment: Assessment) -> int:
    """2 once the assessment has been sent back from "appraised" for a second appraisal, else 1.
    Uses the `second_round` annotation (scoring.selectors.with_round) when the caller fetched it."""
    annotated = getattr(assessment, "second_round", None)
    if annotated is not None:
        return 2 if annotated else 1
    returned = StateChange.objects.filter(
        assessment=assessment, from_state=State.APPRAISED, to_state=State.SUBMITTED
    ).exists()
    return 2 if returned else 1


def editable_fields(user, assessment: Assessment, *, round_: int | None = None) -> set[str]:
    """The score fields this user may write on this assessment now."""
    fields: set[str] = set()
    if may_self_assess(user, assessment):
        fields.update(SELF_FIELDS)
    if may_appraise(user, assessment):
        round_ = (
            round_ or getattr(assessment, "appraisal_round", None) or appraisal_round(assessment)
        )
        fields.update(APPRAISAL_FIELDS)
        fields.discard("appraised_points" if round_ == 2 else "final_points")
    return fields


def _check_points(value: Decimal | None, criterion: Criterion, label: str) -> None:
    if value is None:
        return
    if value < 0 or value > criterion.max_points:
        raise DomainError(
            _("%(label)s của tiêu chí %(code)s phải từ 0 đến %(max)s (nhận được %(value)s).")
            % {
                "label": label,
                "code": criterion.code,
                "max": fmt_number(criterion.max_points),
                "value": fmt_number(value),
            }
        )
    if criterion.step and (value / criterion.step) % 1:
        raise DomainError(
            _("%(label)s của tiêu chí %(code)s phải là bội số của %(step)s.")
            % {"label": label, "code": criterion.code, "step": fmt_number(criterion.step)}
        )


def _rule(criterion: Criterion) -> CriterionRule:
    return CriterionRule(
        max_points=criterion.max_points, method=criterion.method, bands=tuple(criterion.bands)
    )


def _entered(score: CriterionScore) -> Decimal | None:
    for value in (score.final_points, score.appraised_points, score.self_points):
        if value is not None:
            return value
    return None


def _normalise(name: str, value: Any) -> Any:
    if name in ("comment", "self_explanation"):
        return (value or "").strip()
    if name == "not_applicable":
        return bool(value)
    return value


def stale_message(*, changed_by, changed_at) -> str:
    who = (changed_by.get_full_name() or changed_by.username) if changed_by else _("người khác")
    when = timezone.localtime(changed_at).strftime("%H:%M %d/%m/%Y") if changed_at else ""
    return _(
        "Bảng điểm đã được %(who)s lưu lúc %(when)s, sau khi bạn mở trang. Không có thay đổi nào "
        "của bạn được lưu: hãy xem các giá trị hiện tại bên dưới, rồi nhập lại nếu cần."
    ) % {"who": who, "when": when}


def _last_change(assessment: Assessment):
    record = (
        CriterionScore.history.filter(assessment_id=assessment.pk)
        .select_related("history_user")
        .order_by("-history_date")
        .first()
    )
    if record is None:
        return None, None
    return record.history_user, record.history_date


def sheet_save(
    *,
    assessment: Assessment,
    user,
    version: int,
    rows: dict[int, dict[str, Any]],
    criteria: list[Criterion] | None = None,
    change_reason: str = "",
) -> SheetSaveResult:
    """Save every row of the scoring sheet at once.

    `rows` maps a leaf criterion id to the values typed for it (any of SCORE_FIELDS). The save is
    refused whole when the sheet was saved by someone else since `version` was loaded (StaleSheet),
    when a value is out of bounds or not a multiple of the criterion's step, or when the user may not
    write a field in the assessment's state; every error is listed. Only values that really changed
    are written (with history: who, when, old and new value), the version is bumped, and one
    recompute of the period is queued.
    """
    now = timezone.now()
    with transaction.atomic():
        # Optimistic locking in one statement: the row is locked by the UPDATE until commit, and
        # matches only if nobody saved (version) or moved the workflow (state) since the page loaded.
        bumped = Assessment.objects.filter(
            pk=assessment.pk, version=version, state=assessment.state
        ).update(version=F("version") + 1, updated_at=now)
        if not bumped:
            current = Assessment.objects.get(pk=assessment.pk)
            if current.version != version:
                who, when = _last_change(current)
                raise StaleSheet(
                    stale_message(changed_by=who, changed_at=when),
                    current_version=current.version,
                    changed_by=who,
                    changed_at=when,
                )
            raise DomainError(
                _("Bản đánh giá vừa chuyển sang trạng thái “%(state)s”; hãy tải lại trang.")
                % {"state": State(current.state).label}
            )
        locked = assessment
        allowed = editable_fields(user, locked)
        if criteria is None:
            criteria = list(
                Criterion.objects.filter(framework_id=locked.framework_id, is_leaf=True)
            )
        criteria = {
            c.pk: c for c in criteria if c.framework_id == locked.framework_id and c.is_leaf
        }
        existing = {
            s.criterion_id: s
            for s in CriterionScore.objects.filter(assessment_id=locked.pk).annotate(
                deducted=Sum("deductions__points", filter=Q(deductions__withdrawn_at__isnull=True))
            )
        }
        deducted = {cid: s.deducted or ZERO for cid, s in existing.items()}
        errors: list[str] = []
        to_create: list[CriterionScore] = []
        to_update: list[CriterionScore] = []
        changed_fields: set[str] = set()
        changed_codes: list[str] = []
        for criterion_id, values in rows.items():
            criterion = criteria.get(criterion_id)
            if criterion is None:
                errors.append(_("Tiêu chí không thuộc bộ chỉ số của bản đánh giá này."))
                continue
            score = existing.get(criterion_id) or CriterionScore(
                assessment=locked,
                criterion=criterion,
                component_id=criterion.component_id,
                max_points=criterion.max_points,
            )
            row_changed = []
            for name, raw in values.items():
                if name not in SCORE_FIELDS:
                    continue
                value = _normalise(name, raw)
                if value == _normalise(name, getattr(score, name)):
                    continue
                if name not in allowed:
                    errors.append(
                        _("Tiêu chí %(code)s: bạn không được sửa “%(field)s” lúc này.")
                        % {
                            "code": criterion.code,
                            "field": CriterionScore._meta.get_field(name).verbose_name,
                        }
                    )
                    continue
                if name in POINT_FIELDS:
                    if name == "self_points" and criterion.method == "survey" and value is not None:
                        errors.append(
                            _("Tiêu chí %(code)s lấy điểm từ điều tra, đơn vị không tự chấm.")
                            % {"code": criterion.code}
                        )
                        continue
                    try:
                        _check_points(
                            value, criterion, str(CriterionScore._meta.get_field(name).verbose_name)
                        )
                    except DomainError as exc:
                        errors.extend(exc.messages)
                        continue
                if name == "measured_value" and value is not None and value < 0:
                    errors.append(
                        _("Tiêu chí %(code)s: giá trị đo không được âm.") % {"code": criterion.code}
                    )
                    continue
                setattr(score, name, value)
                row_changed.append(name)
            if not row_changed:
                continue
            score.points = criterion_points(
                _rule(criterion),
                entered=_entered(score),
                measured=score.measured_value,
                deducted=deducted.get(criterion_id, ZERO),
            )
            score.updated_at = now
            changed_fields.update(row_changed)
            changed_codes.append(criterion.code)
            (to_update if score.pk else to_create).append(score)
        if errors:
            raise DomainError(errors)
        reason = change_reason or _("Lưu bảng chấm điểm")
        if to_create:
            bulk_create_with_history(
                to_create, CriterionScore, default_user=user, default_change_reason=reason
            )
        if to_update:
            bulk_update_with_history(
                to_update,
                CriterionScore,
                sorted(changed_fields | {"points", "updated_at"}),
                default_user=user,
                default_change_reason=reason,
            )
        changed = len(to_create) + len(to_update)
        if changed:
            new_version = version + 1
            _queue_recompute(locked.period_id, [locked.unit_id])
        else:
            # Nothing changed: give the version back so that other open pages stay valid.
            new_version = version
            Assessment.objects.filter(pk=locked.pk).update(version=version)
    assessment.version = new_version
    return SheetSaveResult(
        changed_scores=changed, version=new_version, changed_criteria=changed_codes
    )


# --- Deductions ---------------------------------------------------------------------------------


def _require_appraiser(user, assessment: Assessment) -> None:
    if not may_appraise(user, assessment):
        raise DomainError(_("Chỉ Sở Nội vụ ghi, sửa điểm bị trừ khi bản đánh giá đang thẩm định."))


def _require_active(deduction: Deduction) -> None:
    if deduction.withdrawn_at is not None:
        raise DomainError(
            _("Điểm bị trừ này đã được gỡ sau khi chấp nhận giải trình; không sửa hay xóa được.")
        )


def _refresh_and_queue(score: CriterionScore) -> None:
    score_refresh_points(score=score)
    score.save(update_fields=["points", "updated_at"])
    _queue_recompute(score.assessment.period_id, [score.assessment.unit_id])


@transaction.atomic
def deduction_edit(
    *,
    deduction: Deduction,
    user,
    points: Decimal,
    reason: DeductionReason | None = None,
    note: str = "",
) -> Deduction:
    """Change a deduction's points or reason; the criterion's points and results follow."""
    deduction = (
        Deduction.objects.select_for_update()
        .select_related("score__assessment", "score__criterion")
        .get(pk=deduction.pk)
    )
    _require_appraiser(user, deduction.score.assessment)
    _require_active(deduction)
    if points is None or points <= 0:
        raise DomainError(_("Điểm bị trừ phải lớn hơn 0."))
    if points > deduction.score.max_points:
        raise DomainError(
            _("Điểm bị trừ không được lớn hơn điểm tối đa của tiêu chí (%(max)s).")
            % {"max": fmt_number(deduction.score.max_points)}
        )
    if not reason and not (note or "").strip():
        raise DomainError(_("Cần nêu lý do trừ điểm."))
    deduction.points, deduction.reason, deduction.note = points, reason, (note or "").strip()
    deduction.save()
    _refresh_and_queue(deduction.score)
    return deduction


@transaction.atomic
def deduction_delete(*, deduction: Deduction, user) -> None:
    deduction = (
        Deduction.objects.select_for_update()
        .select_related("score__assessment", "score__criterion")
        .get(pk=deduction.pk)
    )
    _require_appraiser(user, deduction.score.assessment)
    _require_active(deduction)
    score = deduction.score
    deduction.delete()
    _refresh_and_queue(score)


# --- Explanations (giải trình) ---------------------------------------------------------------------


@transaction.atomic
def explanation_submit(*, deduction: Deduction, user, text: str) -> Explanation:
    """The unit head answers a deduction; while an answer waits for a decision it can be rewritten."""
    assessment = deduction.score.assessment
    if not may_answer_deductions(user, assessment):
        raise DomainError(_("Chỉ thủ trưởng đơn vị được giải trình, trước khi kết quả công bố."))
    if deduction.withdrawn_at is not None:
        raise DomainError(_("Điểm bị trừ này đã được gỡ; không cần giải trình nữa."))
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Nội dung giải trình không được để trống."))
    pending = (
        Explanation.objects.select_for_update()
        .filter(deduction=deduction, status=Explanation.Status.PENDING)
        .first()
    )
    if pending is not None:
        pending.text, pending.author = text, user
        pending.save()
        return pending
    return Explanation.objects.create(deduction=deduction, text=text, author=user)


@transaction.atomic
def explanation_decide(
    *, explanation: Explanation, user, accept: bool, note: str = "", withdraw: bool = False
) -> Explanation:
    """Staff accept or reject an explanation; a rejection needs a reason.

    Accepting with `withdraw` gives the points back: the deduction is withdrawn (kept on record
    with its explanation, no longer counted), the criterion's points and the results follow. That
    is an appraisal change, so only while the assessment is being appraised. Accepting without it
    leaves the deduction as it is (the explanation is noted; the appraiser may still lower it).
    """
    explanation = (
        Explanation.objects.select_for_update()
        .select_related("deduction__score__assessment", "deduction__score__criterion")
        .get(pk=explanation.pk)
    )
    if not can(user, Action.APPRAISE):
        raise DomainError(_("Chỉ Sở Nội vụ xem xét giải trình."))
    if explanation.status != Explanation.Status.PENDING:
        raise DomainError(_("Giải trình này đã được xem xét."))
    note = (note or "").strip()
    if not accept and not note:
        raise DomainError(_("Cần nêu lý do không chấp nhận giải trình."))
    if accept and withdraw:
        deduction = Deduction.objects.select_for_update().get(pk=explanation.deduction_id)
        _require_appraiser(user, deduction.score.assessment)
        _require_active(deduction)
        deduction.withdrawn_at, deduction.withdrawn_by = timezone.now(), user
        deduction.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
        _refresh_and_queue(explanation.deduction.score)
    explanation.status = Explanation.Status.ACCEPTED if accept else Explanation.Status.REJECTED
    explanation.decided_by, explanation.decided_at = user, timezone.now()
    explanation.decision_note = note
    explanation.save()
    return explanation


# --- Evidence files ----------------------------------------------------------------------------

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
    import zipfile

    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if ext in _OOXML_PART:
                return "[Content_Types].xml" in names and any(
                    n.startswith(_OOXML_PART[ext]) for n in names
                )
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            return mimetype == EVIDENCE_TYPES[ext]
    except (zipfile.BadZipFile, KeyError, OSError):
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


def _may_attach(user, assessment: Assessment) -> bool:
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
    if not _may_attach(user, assessment):
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
    original = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        score, _created = CriterionScore.objects.get_or_create(
            assessment=assessment,
            criterion=criterion,
            defaults={
                "component_id": criterion.component_id,
                "max_points": criterion.max_points,
                "points": criterion_points(_rule(criterion), entered=None),
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
            _queue_recompute(assessment.period_id, [assessment.unit_id])
    return evidence


@transaction.atomic
def evidence_orphans_remove(*, min_age: timedelta = timedelta(hours=1), dry_run: bool = False):
    """Files under evidence/ that no Evidence row names and that are older than `min_age`: removed
    (unless `dry_run`), and returned. An upload whose transaction rolled back after the file was
    written leaves such a file (the database has no rollback hook); `min_age` spares the uploads
    of transactions still running. Run nightly by Celery beat and as `manage.py evidence_orphans`.
    """
    storage = Evidence._meta.get_field("file").storage
    known = set(Evidence.objects.values_list("file", flat=True))
    cutoff = timezone.now() - min_age
    found = []
    try:
        folders, _files = storage.listdir("evidence")
    except FileNotFoundError:
        return found
    for folder in sorted(folders):
        for name in sorted(storage.listdir(f"evidence/{folder}")[1]):
            path = f"evidence/{folder}/{name}"
            if path in known or storage.get_modified_time(path) > cutoff:
                continue
            found.append(path)
            if not dry_run:
                storage.delete(path)
    return found


def evidence_delete(*, evidence: Evidence, user) -> None:
    assessment = evidence.score.assessment
    own_upload = evidence.uploaded_by_id == user.pk
    if not (_may_attach(user, assessment) and (own_upload or can(user, Action.APPRAISE))):
        raise DomainError(_("Bạn không được xóa tài liệu này."))
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- Reopening a published or locked assessment ----------------------------------------------------


@transaction.atomic
def reopen_request(*, assessment: Assessment, user, reason: str) -> ReopenRequest:
    """Ask to reopen a published or locked assessment; staff, or the unit's own head, may ask."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if State(assessment.state) not in FROZEN:
        raise DomainError(_("Chỉ đề nghị mở lại bản đánh giá đã công bố hoặc đã khóa."))
    if not (
        can(user, Action.APPRAISE)
        or (can(user, Action.SELF_ASSESS) and is_own_unit(user, assessment))
    ):
        raise DomainError(_("Bạn không được đề nghị mở lại bản đánh giá này."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Cần nêu lý do đề nghị mở lại."))
    if assessment.reopen_requests.filter(status=ReopenRequest.Status.PENDING).exists():
        raise DomainError(_("Đã có một đề nghị mở lại đang chờ quyết định."))
    return ReopenRequest.objects.create(
        assessment=assessment, reason=reason, requested_by=user, from_state=assessment.state
    )


@transaction.atomic
def reopen_decide(*, request: ReopenRequest, user, grant: bool, reason: str) -> ReopenRequest:
    """Grant or refuse a reopen request, with a reason, by staff other than the requester. Granting
    puts the assessment back to "appraised", where the appraisal can be corrected and published
    again; the move is logged like any other."""
    request = ReopenRequest.objects.select_for_update().get(pk=request.pk)
    if not can(user, Action.PUBLISH):
        raise DomainError(_("Chỉ Sở Nội vụ quyết định mở lại bản đánh giá."))
    if request.status != ReopenRequest.Status.PENDING:
        raise DomainError(_("Đề nghị này đã được quyết định."))
    if request.requested_by_id == user.pk:
        raise DomainError(_("Người đề nghị không tự quyết định đề nghị của mình."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Cần nêu lý do quyết định."))
    request.status = ReopenRequest.Status.GRANTED if grant else ReopenRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_reason = user, timezone.now(), reason
    request.save()
    if grant:
        assessment = Assessment.objects.select_for_update().get(pk=request.assessment_id)
        if State(assessment.state) in FROZEN:
            StateChange.objects.create(
                assessment=assessment,
                from_state=assessment.state,
                to_state=State.APPRAISED,
                by=user,
                reason=_("Mở lại theo đề nghị: %(reason)s") % {"reason": request.reason},
            )
            assessment.state = State.APPRAISED
            assessment.save(update_fields=["state", "updated_at"])
            _queue_recompute(assessment.period_id, [assessment.unit_id])
    return request


def ready_to_submit_errors(assessment: Assessment) -> list[str]:
    """Criteria self-scored without evidence and without a written explanation (the unit must
    explain how it scored them before submitting)."""
    missing = (
        CriterionScore.objects.filter(
            assessment=assessment,
            self_points__isnull=False,
            criterion__evidence_required=True,
            self_explanation="",
            evidence__isnull=True,
        )
        .order_by("criterion__order")
        .values_list("criterion__code", flat=True)
    )
    codes = list(missing)
    if not codes:
        return []
    return [
        _(
            "Các tiêu chí %(codes)s đã tự chấm nhưng chưa có tài liệu kiểm chứng: cần viết giải "
            "thích cách tự chấm trước khi gửi thẩm định."
        )
        % {"codes": ", ".join(codes)}
    ]
