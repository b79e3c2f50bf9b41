"""Reopening a published or locked assessment: a request, and staff's decision."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can

from ..models import Assessment, ReopenRequest, StateChange
from ..permissions import is_own_unit
from ..recompute import recompute_on_commit
from ..workflow import FROZEN, State


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
            recompute_on_commit(assessment.period_id, [assessment.unit_id])
    return request
