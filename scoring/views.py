"""The Interior Department's daily pages: the list of assessments, the scoring sheet, a criterion's
deductions, explanations, evidence and history, reopen requests, the gap report, and the Excel/CSV
round trip. Thin views: access first (core.permissions, scoring.permissions), then one service or
selector call, then render."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.permissions import Action, can, require
from core.roles import roles_of
from indicators.models import Criterion
from units.models import RankingGroup

from . import exporting, importing, selectors, sheet_services
from .forms import (
    DecisionForm,
    DeductionForm,
    EvidenceForm,
    ExplanationForm,
    ReopenDecisionForm,
    ReopenRequestForm,
    ScoresUploadForm,
    SheetForm,
    TransitionForm,
    sheet_field_name,
)
from .models import Assessment, Deduction, Evidence, Explanation, Period, ReopenRequest
from .permissions import (
    get_assessment_for_user,
    is_own_unit,
    may_answer_deductions,
    may_appraise,
)
from .services import assessment_transition, deduction_add
from .workflow import State, allowed_targets

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
# Moves backwards need a reason the unit will read.
REASON_REQUIRED = {
    (State.SUBMITTED, State.SELF_ASSESSED),
    (State.APPRAISED, State.SUBMITTED),
}


def _sheet_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    """The assessment if the user may open its sheet: staff, leadership and admins any; a unit head
    only their own unit's (other units' published figures are on the results pages, not here).
    Anything else answers 404, like a missing one."""
    assessment = get_assessment_for_user(
        request.user,
        assessment_id,
        queryset=selectors.with_round(
            Assessment.objects.select_related("unit", "period", "framework")
        ),
    )
    if not (can(request.user, Action.VIEW_ALL_UNITS) or is_own_unit(request.user, assessment)):
        raise Http404
    return assessment


def _criterion(assessment: Assessment, criterion_id: int) -> Criterion:
    return get_object_or_404(
        Criterion, pk=criterion_id, framework_id=assessment.framework_id, is_leaf=True
    )


def _sheet_url(assessment: Assessment, criterion: Criterion | None = None) -> str:
    if criterion is None:
        return reverse("scoring:sheet", args=[assessment.pk])
    return reverse("scoring:criterion", args=[assessment.pk, criterion.pk])


def _error_text(exc: DomainError) -> str:
    return " ".join(exc.messages)


# --- Lists and reports ------------------------------------------------------------------------------


def _period_from(request: HttpRequest) -> Period | None:
    year = request.GET.get("ky") or request.GET.get("period")
    periods = Period.objects.order_by("-year")
    if year and year.isdigit():
        return periods.filter(year=int(year)).first()
    return periods.first()


@login_required
@require_GET
def assessment_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_HOME)
    period = _period_from(request)
    group_id = request.GET.get("khoi")
    state = request.GET.get("trang_thai") or ""
    if state not in State.values:
        state = ""
    rows = selectors.assessment_list(
        request.user,
        period=period,
        group_id=int(group_id) if group_id and group_id.isdigit() else None,
        state=state,
    )
    if not can(request.user, Action.VIEW_ALL_UNITS):
        rows = [a for a in rows if is_own_unit(request.user, a)]
    return render(
        request,
        "scoring/assessment_list.html",
        {
            "period": period,
            "periods": Period.objects.order_by("-year"),
            "groups": RankingGroup.objects.all(),
            "states": State.choices,
            "selected_group": group_id or "",
            "selected_state": state,
            "assessments": rows,
            "may_import": can(request.user, Action.APPRAISE),
            "may_publish": can(request.user, Action.PUBLISH),
            "may_view_all": can(request.user, Action.VIEW_ALL_UNITS),
            "snapshots": (
                list(period.snapshots.select_related("created_by").order_by("-version"))
                if period and can(request.user, Action.VIEW_ALL_UNITS)
                else []
            ),
        },
    )


@login_required
@require_GET
def gap_report(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW_ALL_UNITS)
    period = _period_from(request)
    report = selectors.gap_report(request.user, period=period) if period else {}
    return render(
        request,
        "scoring/gap_report.html",
        {"period": period, "periods": Period.objects.order_by("-year"), **report},
    )


# --- The sheet ----------------------------------------------------------------------------------------


def _initial(sheet: selectors.Sheet) -> dict:
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
    sheet: selectors.Sheet,
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
            },
        },
        status=status,
    )


def _conflicts(sheet: selectors.Sheet, form: SheetForm) -> list[dict]:
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
    assessment = _sheet_assessment(request, assessment_id)
    editable = sheet_services.editable_fields(request.user, assessment)
    if request.method != "POST":
        data = selectors.sheet_for(assessment)
        criteria = [r.criterion for r in data.leaves]
        form = SheetForm(initial=_initial(data), criteria=criteria, editable=editable)
        return _render_sheet(request, data, form)
    if not editable:
        raise PermissionDenied
    # Saving reads only what validation needs; the full sheet is read again only to show errors.
    criteria = selectors.sheet_criteria(assessment)
    form = SheetForm(request.POST, criteria=criteria, editable=editable)
    if not form.is_valid():
        messages.error(request, _("Chưa lưu: có giá trị không hợp lệ, xem các ô tô đỏ."))
        return _render_sheet(request, selectors.sheet_for(assessment), form, status=400)
    try:
        result = sheet_services.sheet_save(
            assessment=assessment,
            user=request.user,
            version=form.cleaned_data["version"],
            rows=form.rows(),
            criteria=criteria,
        )
    except sheet_services.StaleSheet as exc:
        messages.error(request, _error_text(exc))
        fresh = selectors.sheet_for(assessment)
        conflicts = _conflicts(fresh, form)
        # The user's typed values stay in the form; saving again now is a deliberate overwrite.
        post = request.POST.copy()
        post["version"] = str(exc.current_version)
        form = SheetForm(post, criteria=criteria, editable=editable)
        form.is_valid()
        return _render_sheet(request, fresh, form, conflicts=conflicts, status=409)
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _render_sheet(request, selectors.sheet_for(assessment), form, status=400)
    if result.changed_scores:
        messages.success(
            request,
            _("Đã lưu %(n)s tiêu chí: %(codes)s.")
            % {"n": result.changed_scores, "codes": ", ".join(result.changed_criteria[:20])},
        )
    else:
        messages.info(request, _("Không có thay đổi nào để lưu."))
    return redirect(_sheet_url(assessment))


@login_required
@require_POST
def transition(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    form = TransitionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["to_state"] not in State.values:
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return redirect(_sheet_url(assessment))
    if not (can(request.user, Action.APPRAISE) or is_own_unit(request.user, assessment)):
        raise Http404
    target = State(form.cleaned_data["to_state"])
    reason = form.cleaned_data["reason"].strip()
    if (State(assessment.state), target) in REASON_REQUIRED and not reason:
        messages.error(request, _("Cần nêu lý do khi trả lại bản đánh giá."))
        return redirect(_sheet_url(assessment))
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
    return redirect(_sheet_url(assessment))


# --- One criterion: deductions, explanations, evidence, history ------------------------------------


@login_required
@require_GET
def criterion_detail(request: HttpRequest, assessment_id: int, criterion_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    criterion = _criterion(assessment, criterion_id)
    score = assessment.scores.filter(criterion=criterion).first()
    deductions = (
        list(
            score.deductions.select_related(
                "reason", "created_by", "withdrawn_by"
            ).prefetch_related("explanations__author", "explanations__decided_by")
        )
        if score
        else []
    )
    evidence = list(score.evidence.select_related("uploaded_by")) if score else []
    return render(
        request,
        "scoring/criterion.html",
        {
            "assessment": assessment,
            "criterion": criterion,
            "score": score,
            "deductions": deductions,
            "evidence": evidence,
            "history": selectors.criterion_history(assessment, criterion),
            "may_appraise": may_appraise(request.user, assessment),
            "may_answer": may_answer_deductions(request.user, assessment),
            "may_decide": can(request.user, Action.APPRAISE),
            "may_attach": sheet_services.may_attach(request.user, assessment),
            "deduction_form": DeductionForm(),
            "explanation_form": ExplanationForm(),
            "decision_form": DecisionForm(),
            "evidence_form": EvidenceForm(),
            "max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
            "accept": ",".join(f".{e}" for e in sheet_services.EVIDENCE_TYPES),
        },
    )


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _submit(request: HttpRequest, form, action, success) -> None:
    """The POST actions' common path: validate the form, run one service with its cleaned data,
    and tell the user how it went (`success` is a message, or makes one from the service's result).
    A refusal of the domain becomes an error message; nothing else is caught."""
    if not form.is_valid():
        _form_errors(request, form)
        return
    try:
        result = action(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, success(result) if callable(success) else success)


@login_required
@require_POST
def deduction_create(request: HttpRequest, assessment_id: int, criterion_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    criterion = _criterion(assessment, criterion_id)
    _submit(
        request,
        DeductionForm(request.POST),
        lambda data: deduction_add(
            assessment=assessment,
            criterion=criterion,
            points=data["points"],
            reason=data["reason"],
            note=data["note"],
            user=request.user,
        ),
        _("Đã ghi điểm bị trừ."),
    )
    return redirect(_sheet_url(assessment, criterion))


def _deduction(assessment: Assessment, deduction_id: int) -> Deduction:
    return get_object_or_404(
        Deduction.objects.select_related("score__criterion", "score__assessment"),
        pk=deduction_id,
        score__assessment=assessment,
    )


@login_required
@require_POST
def deduction_update(request: HttpRequest, assessment_id: int, deduction_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    deduction = _deduction(assessment, deduction_id)
    _submit(
        request,
        DeductionForm(request.POST),
        lambda data: sheet_services.deduction_edit(
            deduction=deduction,
            user=request.user,
            points=data["points"],
            reason=data["reason"],
            note=data["note"],
        ),
        _("Đã sửa điểm bị trừ."),
    )
    return redirect(_sheet_url(assessment, deduction.score.criterion))


@login_required
@require_POST
def deduction_remove(request: HttpRequest, assessment_id: int, deduction_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    deduction = _deduction(assessment, deduction_id)
    criterion = deduction.score.criterion
    try:
        sheet_services.deduction_delete(deduction=deduction, user=request.user)
        messages.success(request, _("Đã xóa điểm bị trừ."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect(_sheet_url(assessment, criterion))


@login_required
@require_POST
def explanation_create(request: HttpRequest, assessment_id: int, deduction_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    deduction = _deduction(assessment, deduction_id)
    _submit(
        request,
        ExplanationForm(request.POST),
        lambda data: sheet_services.explanation_submit(
            deduction=deduction, user=request.user, text=data["text"]
        ),
        _("Đã gửi giải trình."),
    )
    return redirect(_sheet_url(assessment, deduction.score.criterion))


@login_required
@require_POST
def explanation_decision(
    request: HttpRequest, assessment_id: int, explanation_id: int
) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    explanation = get_object_or_404(
        Explanation.objects.select_related("deduction__score__criterion"),
        pk=explanation_id,
        deduction__score__assessment=assessment,
    )
    _submit(
        request,
        DecisionForm(request.POST),
        lambda data: sheet_services.explanation_decide(
            explanation=explanation,
            user=request.user,
            accept=data["accept"],
            note=data["note"],
            withdraw=data["withdraw"],
        ),
        _("Đã ghi kết quả xem xét giải trình."),
    )
    return redirect(_sheet_url(assessment, explanation.deduction.score.criterion))


@login_required
@require_POST
def evidence_upload(request: HttpRequest, assessment_id: int, criterion_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    criterion = _criterion(assessment, criterion_id)
    _submit(
        request,
        EvidenceForm(request.POST, request.FILES),
        lambda data: sheet_services.evidence_add(
            assessment=assessment,
            criterion=criterion,
            upload=data["file"],
            user=request.user,
            note=data["note"],
        ),
        lambda evidence: _("Đã tải lên “%(name)s”.") % {"name": evidence.original_name},
    )
    return redirect(_sheet_url(assessment, criterion))


def _evidence(request: HttpRequest, assessment_id: int, evidence_id: int) -> Evidence:
    assessment = _sheet_assessment(request, assessment_id)
    return get_object_or_404(
        Evidence.objects.select_related("score__criterion", "score__assessment"),
        pk=evidence_id,
        score__assessment=assessment,
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    """Evidence only through here (never from /media/): the sheet's access rule, then the file as an
    attachment that the browser may not sniff into something else."""
    evidence = _evidence(request, assessment_id, evidence_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def evidence_remove(request: HttpRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    evidence = _evidence(request, assessment_id, evidence_id)
    criterion = evidence.score.criterion
    try:
        sheet_services.evidence_delete(evidence=evidence, user=request.user)
        messages.success(request, _("Đã xóa tài liệu."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect(_sheet_url(evidence.score.assessment, criterion))


# --- Reopening ----------------------------------------------------------------------------------------


@login_required
@require_POST
def reopen_create(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    _submit(
        request,
        ReopenRequestForm(request.POST),
        lambda data: sheet_services.reopen_request(
            assessment=assessment, user=request.user, reason=data["reason"]
        ),
        _("Đã gửi đề nghị mở lại; người khác sẽ quyết định."),
    )
    return redirect(_sheet_url(assessment))


@login_required
@require_POST
def reopen_decision(request: HttpRequest, assessment_id: int, request_id: int) -> HttpResponse:
    assessment = _sheet_assessment(request, assessment_id)
    reopen = get_object_or_404(ReopenRequest, pk=request_id, assessment=assessment)
    _submit(
        request,
        ReopenDecisionForm(request.POST),
        lambda data: sheet_services.reopen_decide(
            request=reopen, user=request.user, grant=data["grant"], reason=data["reason"]
        ),
        _("Đã ghi quyết định."),
    )
    return redirect(_sheet_url(assessment))


# --- Excel / CSV round trip ---------------------------------------------------------------------------


def _period(year: int) -> Period:
    return get_object_or_404(Period, year=year)


def _round(request: HttpRequest) -> int:
    return 2 if request.GET.get("lan") == "2" or request.POST.get("round") == "2" else 1


@login_required
@require_GET
def scores_template(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    require(request.user, Action.APPRAISE)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    period = _period(year)
    round_ = _round(request)
    if fmt == "csv":
        body, ctype = exporting.scores_csv(period, round_), "text/csv; charset=utf-8"
    else:
        body = exporting.scores_xlsx(period, round_)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    name = f"mau-cham-diem-{period.year}-lan-{round_}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def results_export(request: HttpRequest, year: int, fmt: str) -> HttpResponse:
    require(request.user, Action.VIEW_ALL_UNITS)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    period = _period(year)
    if fmt == "csv":
        body, ctype = exporting.results_csv(period), "text/csv; charset=utf-8"
    else:
        body = exporting.results_xlsx(period)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="ket-qua-{period.year}.{fmt}"'
    return response


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads(days: int = 2) -> None:
    """Checked files that were never applied are removed after a couple of days."""
    limit = time.time() - days * 86400
    for old in _upload_dir().iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)


MAX_IMPORT_BYTES = 10 * 1024 * 1024


@login_required
def scores_upload(request: HttpRequest, year: int) -> HttpResponse:
    """Upload → preview (every change and every error with sheet, row and column). The file waits
    under MEDIA_ROOT/imports under a generated name until the user applies it."""
    require(request.user, Action.APPRAISE)
    period = _period(year)
    context = {"period": period, "form": ScoresUploadForm()}
    if request.method != "POST":
        return render(request, "scoring/import.html", context)
    form = ScoresUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "scoring/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        form.add_error("file", _("Tệp lớn hơn 10 MB."))
        return render(request, "scoring/import.html", context, status=400)
    data = upload.read()
    plan = importing.scores_plan(
        period=period, data=data, filename=upload.name, round=form.cleaned_data["round"]
    )
    token = ""
    if plan.ok and plan.changes:
        _forget_old_uploads()
        token = uuid.uuid4().hex
        (_upload_dir() / token).write_bytes(data)
        request.session[f"scores-import-{token}"] = {
            "period": period.year,
            "round": plan.round,
            "name": (upload.name or "")[-100:],
        }
    context.update({"plan": plan, "token": token, "filename": upload.name})
    return render(request, "scoring/import.html", context, status=200 if plan.ok else 400)


@login_required
@require_POST
def scores_apply(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, Action.APPRAISE)
    period = _period(year)
    token = request.POST.get("token", "")
    info = request.session.get(f"scores-import-{token}") if token.isalnum() else None
    path = _upload_dir() / token if info else None
    if not info or info["period"] != period.year or not path.exists():
        messages.error(request, _("Không tìm thấy tệp đã kiểm tra; hãy tải tệp lên lại."))
        return redirect("scoring:scores_upload", year=period.year)
    plan = importing.scores_plan(
        period=period, data=path.read_bytes(), filename=info["name"], round=info["round"]
    )
    try:
        n = importing.scores_apply(plan=plan, user=request.user)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("scoring:scores_upload", year=period.year)
    path.unlink(missing_ok=True)
    request.session.pop(f"scores-import-{token}", None)
    messages.success(request, _("Đã nhập điểm của %(n)s tiêu chí.") % {"n": n})
    return redirect(reverse("scoring:assessment_list") + f"?ky={period.year}")
