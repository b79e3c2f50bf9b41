"""Explanations (giải trình): the unit answers a deduction, staff accept or reject the answer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can

from ..models import Deduction, Explanation
from ..permissions import may_answer_deductions
from .deductions import refresh_and_queue, require_active, require_appraiser


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
        require_appraiser(user, deduction.score.assessment)
        require_active(deduction)
        deduction.withdrawn_at, deduction.withdrawn_by = timezone.now(), user
        deduction.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
        refresh_and_queue(explanation.deduction.score)
    explanation.status = Explanation.Status.ACCEPTED if accept else Explanation.Status.REJECTED
    explanation.decided_by, explanation.decided_at = user, timezone.now()
    explanation.decision_note = note
    explanation.save()
    return explanation
