"""The scoring sheet (read, save with optimistic locking) and the workflow moves from it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, can
from core.roles import roles_of
from indicators.computation import ENTERED_PRECEDENCE

from ..forms import (
    ReopenRequestForm,
    SheetForm,
    TransitionForm,
    sheet_field_name,
)
from ..permissions import (
    is_own_unit,
)
from ..selectors.sheet import Sheet, sheet_criteria, sheet_for
from ..services.assessments import (
    assessment_transition,
    published_before,
    unit_closed_by_deadline,
)
from ..services.sheet import SheetRefused, StaleSheet, editable_fields, sheet_save
from ..workflow import REASON_REQUIRED, State, allowed_targets
from .common import (
    error_text,
    sheet_assessment,
    sheet_url,
)

# Lazy: the labels are read per request, in the user's language, not once at import.
TRANSITION_LABELS = {
    (State.DRAFT, State.SELF_ASSESSED): gettext_lazy("Hoàn thành tự đánh giá"),
    (State.SELF_ASSESSED, State.DRAFT): gettext_lazy("Mở lại để sửa tự đánh giá"),
    (State.SELF_ASSESSED, State.SUBMITTED): gettext_lazy("Gửi thẩm định"),
    (State.SUBMITTED, State.SELF_ASSESSED): gettext_lazy("Trả lại để đơn vị giải trình"),
    (State.SUBMITTED, State.APPRAISED): gettext_lazy("Hoàn thành thẩm định"),
    (State.APPRAISED, State.SUBMITTED): gettext_lazy("Thẩm định lần 2"),
    (State.APPRAISED, State.PUBLISHED): gettext_lazy("Công bố kết quả"),
    (State.PUBLISHED, State.LOCKED): gettext_lazy("Khóa kết quả"),
}
# What the unit head reads on the sheet in each state: what happens next and how to change it.
NEXT_STEPS = {
    State.SELF_ASSESSED: gettext_lazy(
        "Đã hoàn thành tự đánh giá; bảng điểm chỉ còn xem. Bước tiếp theo: bấm “Gửi thẩm định” để "
        "gửi Sở Nội vụ. Cần sửa điểm, viết giải thích hay bổ sung tài liệu: bấm “Mở lại để sửa tự "
        "đánh giá”, sửa, rồi hoàn thành lại."
    ),
    State.SUBMITTED: gettext_lazy(
        "Đã gửi thẩm định: Sở Nội vụ đang thẩm định, bảng điểm chỉ còn xem. Điểm bị trừ (nếu có) "
        "hiện ở từng tiêu chí, đơn vị giải trình tại đó. Cần sửa tự đánh giá: đề nghị Sở Nội vụ "
        "trả lại bản đánh giá."
    ),
    State.APPRAISED: gettext_lazy(
        "Đã thẩm định: kết quả chờ công bố. Đơn vị vẫn giải trình được các điểm bị trừ ở từng "
        "tiêu chí."
    ),
    State.PUBLISHED: gettext_lazy(
        "Kết quả đã công bố. Cần sửa: gửi “Đề nghị mở lại” ở cuối trang, nêu lý do; Sở Nội vụ "
        "quyết định."
    ),
    State.LOCKED: gettext_lazy(
        "Kết quả đã khóa. Cần sửa: gửi “Đề nghị mở lại” ở cuối trang, nêu lý do; Sở Nội vụ quyết "
        "định."
    ),
}


def _initial(sheet: Sheet) -> dict:
    initial = {"version": sheet.assessment.version}
    for row in sheet.leaves:
        s = row.score
        if s is None:
            continue
        for name in (
            "self_points",
            "appraised_points",
            "final_points",
            "measured_value",
            "not_applicable",
            "comment",
            "self_explanation",
        ):
            initial[sheet_field_name(name, row.criterion.pk)] = getattr(s, name)
    return initial


def _render_sheet(
    request: HttpRequest,
    sheet: Sheet,
    form: SheetForm,
    *,
    conflicts: list | None = None,
    status: int = 200,
) -> HttpResponse:
    assessment = sheet.assessment
    for row in sheet.leaves:
        row.fields = {
            name: form[sheet_field_name(name, row.criterion.pk)]
            for name in (
                "self_points",
                "appraised_points",
                "final_points",
                "measured_value",
                "not_applicable",
                "comment",
                "self_explanation",
            )
            if sheet_field_name(name, row.criterion.pk) in form.fields
        }
    _mark_refused(form)
    roles = roles_of(request.user)
    transitions = [
        {
            "to": target,
            "label": TRANSITION_LABELS.get((State(assessment.state), target), target.label),
            "needs_reason": (State(assessment.state), target) in REASON_REQUIRED,
        }
        for target in allowed_targets(State(assessment.state), roles)
    ]
    if not (can(request.user, Action.APPRAISE) or is_own_unit(request.user, assessment)):
        transitions = []
    if unit_closed_by_deadline(request.user, assessment):
        transitions = []
    if not published_before(assessment):
        transitions = [t for t in transitions if t["to"] != State.PUBLISHED]
    frozen = State(assessment.state) in (State.PUBLISHED, State.LOCKED)
    may_request_reopen = frozen and (
        can(request.user, Action.APPRAISE)
        or (can(request.user, Action.SELF_ASSESS) and is_own_unit(request.user, assessment))
    )
    return render(
        request,
        "scoring/sheet.html",
        {
            "assessment": assessment,
            "sheet": sheet,
            "form": form,
            "editable": form.editable,
            "transitions": transitions,
            "conflicts": conflicts or [],
            "may_request_reopen": may_request_reopen,
            "next_steps": NEXT_STEPS.get(State(assessment.state))
            if is_own_unit(request.user, assessment)
            else None,
            "may_decide_reopen": can(request.user, Action.PUBLISH),
            "reopen_form": ReopenRequestForm(),
            "show_self": True,
            "show_round2": sheet.appraisal_round == 2
            or any(r.score and r.score.final_points is not None for r in sheet.leaves),
            "sheet_data": {
                "locale": "vi-VN" if request.LANGUAGE_CODE == "vi" else "en-US",
                "unsaved": _("Có thay đổi chưa lưu. Rời trang sẽ mất các thay đổi này."),
                "outOfRange": _("Điểm phải từ 0 đến %(max)s."),
                "notNumber": _("Không phải là số."),
                "notStep": _("Điểm phải là bội số của %(step)s."),
                "enteredPrecedence": list(ENTERED_PRECEDENCE),
            },
        },
        status=status,
    )


def _mark_refused(form: SheetForm) -> None:
    """Every cell whose value was refused (by the form or by the service) is marked on the cell
    itself: red, aria-invalid, and data-refused so that the running totals leave it out."""
    if not form.is_bound:
        return
    for key, errors in form.errors.items():
        field = form.fields.get(key)
        if field is None or not errors:
            continue
        attrs = field.widget.attrs
        if "is-invalid" not in attrs.get("class", ""):
            attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()
        attrs["aria-invalid"] = "true"
        attrs["data-refused"] = "1"
        attrs["title"] = " ".join(str(e) for e in errors)


def _conflicts(sheet: Sheet, form: SheetForm) -> list[dict]:
    """Rows where the stored values (the other person's) differ from what this user typed."""
    out = []
    typed = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    for row in sheet.leaves:
        s = row.score
        for name in sorted(form.editable):
            key = sheet_field_name(name, row.criterion.pk)
            if key not in form.fields:
                continue
            mine = typed.get(key)
            theirs = getattr(s, name) if s else None
            if (mine or None) != (theirs or None):
                out.append(
                    {
                        "code": row.criterion.code,
                        "field": form.fields[key].label.rsplit(" ", 1)[0],
                        "mine": mine,
                        "theirs": theirs,
                    }
                )
    return out


@login_required
def sheet(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    editable = editable_fields(request.user, assessment)
    if request.method != "POST":
        data = sheet_for(assessment)
        criteria = [r.criterion for r in data.leaves]
        form = SheetForm(initial=_initial(data), criteria=criteria, editable=editable)
        return _render_sheet(request, data, form)
    if not editable:
        raise PermissionDenied
    # Saving reads only what validation needs; the full sheet is read again only to show errors.
    criteria = sheet_criteria(assessment)
    form = SheetForm(request.POST, criteria=criteria, editable=editable)
    if not form.is_valid():
        messages.error(request, _("Chưa lưu: có giá trị không hợp lệ, xem các ô được đánh dấu đỏ."))
        return _render_sheet(request, sheet_for(assessment), form, status=400)
    try:
        result = sheet_save(
            assessment=assessment,
            user=request.user,
            version=form.cleaned_data["version"],
            rows=form.rows(),
            criteria=criteria,
        )
    except StaleSheet as exc:
        messages.error(request, error_text(exc))
        fresh = sheet_for(assessment)
        conflicts = _conflicts(fresh, form)
        # The user's typed values stay in the form; saving again now is a deliberate overwrite.
        post = request.POST.copy()
        post["version"] = str(exc.current_version)
        form = SheetForm(post, criteria=criteria, editable=editable)
        form.is_valid()
        return _render_sheet(request, fresh, form, conflicts=conflicts, status=409)
    except SheetRefused as exc:
        messages.error(request, _("Chưa lưu: có giá trị không hợp lệ, xem các ô được đánh dấu đỏ."))
        for key, cell_messages in exc.cells.items():
            for message in cell_messages:
                if key in form.fields:
                    form.add_error(key, message)
                else:
                    messages.error(request, message)
        for message in exc.messages:
            if not any(message in m for m in exc.cells.values()):
                messages.error(request, message)
        return _render_sheet(request, sheet_for(assessment), form, status=400)
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _render_sheet(request, sheet_for(assessment), form, status=400)
    if result.changed_scores:
        messages.success(
            request,
            _("Đã lưu %(n)s tiêu chí: %(codes)s.")
            % {"n": result.changed_scores, "codes": ", ".join(result.changed_criteria[:20])},
        )
    else:
        messages.info(request, _("Không có thay đổi nào để lưu."))
    return redirect(sheet_url(assessment))


@login_required
@require_POST
def transition(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = sheet_assessment(request, assessment_id)
    form = TransitionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["to_state"] not in State.values:
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect(sheet_url(assessment))
    if not (can(request.user, Action.APPRAISE) or is_own_unit(request.user, assessment)):
        raise Http404
    target = State(form.cleaned_data["to_state"])
    reason = form.cleaned_data["reason"].strip()
    if (State(assessment.state), target) in REASON_REQUIRED and not reason:
        messages.error(request, _("Cần nêu lý do khi trả lại bản đánh giá."))
        return redirect(sheet_url(assessment))
    if (State(assessment.state), target) == (State.DRAFT, State.SELF_ASSESSED):
        blank = sheet_for(assessment).blank_self_scores
        if blank and request.POST.get("confirm_blank") != str(len(blank)):
            # Finishing with blank criteria takes an explicit confirmation of that very list.
            messages.error(
                request,
                _(
                    "Chưa hoàn thành: %(n)s tiêu chí chưa tự chấm điểm (%(codes)s). Hãy chấm các "
                    "tiêu chí này, hoặc xác nhận hoàn thành khi vẫn để trống."
                )
                % {"n": len(blank), "codes": ", ".join(blank)},
            )
            return redirect(sheet_url(assessment))
    try:
        assessment_transition(
            assessment=assessment, to_state=target, user=request.user, reason=reason
        )
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Bản đánh giá đã chuyển sang “%(state)s”.") % {"state": target.label}
        )
        if target == State.SELF_ASSESSED and is_own_unit(request.user, assessment):
            messages.info(request, str(NEXT_STEPS[State.SELF_ASSESSED]))
    return redirect(sheet_url(assessment))
